/**
 * The file_sd output: the prometheus-ecs-sd directory layout (one file per interval) or a single
 * file, JSON or YAML. Prometheus re-reads a watched file on every change and treats a half-written
 * one as an error, so each file is written to a temporary name in the same directory, fsynced,
 * renamed over the old one, and the directory fsynced; a file whose content is unchanged is not
 * touched, so Prometheus is not woken for nothing.
 *
 * Each file is rendered and written on its own: one that cannot be (too large, a full disk, a path
 * that is not a directory) is a failure value naming that file and keeps its previous content,
 * while the other files are still written. A file is written in chunks of its groups' texts, never
 * built as one string; whether it changed is known from the texts of its last write (kept in the
 * memo), so a changed file is not read back first, and only the first write of a process compares
 * with the file on disk.
 */
import { randomBytes } from 'node:crypto';
import { type Dirent, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Target } from '../discovery/types.ts';
import { EcsSdError } from '../errors.ts';
import { type FileSdFormat, fileSdPathProblem, INTERVALS, intervalFileName } from '../lib/intervals.ts';
import {
  listByteChunks,
  MAX_OUTPUT_LENGTH,
  type RenderOrder,
  tryRenderGroupParts,
  tryRenderTargetGroups,
} from './target-groups.ts';

export { type FileSdFormat, fileSdPathProblem, intervalFileName } from '../lib/intervals.ts';

/** Where and how to write; exactly one of `directory` and `file`. */
export interface FileSdOptions {
  /** prometheus-ecs-sd layout: `<directory>/<interval>-tasks.json` (`.yml` for YAML) for every interval. */
  directory?: string;
  /** Single-file layout: every target in one file, which must end in `.json`, `.yml` or `.yaml`. */
  file?: string;
  format: FileSdFormat;
  /** Called once per file actually rewritten (e.g. to count `ecs_sd_file_writes_total{file}`). */
  onWrite?: (file: string) => void;
  /** Longest content of one file in UTF-16 code units; a longer one is not written (`too-large`). Default `MAX_OUTPUT_LENGTH`. */
  maxLength?: number;
  /** What earlier calls did to each file; pass the same memo every time to skip files whose targets did not change. */
  memo?: FileSdMemo;
}

/**
 * Per file, the targets of its last rendering and its outcome. A file whose targets are the same
 * objects in the same order as last time is not rendered again: still unchanged when it was
 * written (and exists), still failing when it could not be rendered (the same targets give the same
 * bytes), so an oversized file costs one comparison per call, not a rendering. Write failures are
 * always tried again (a disk fills and empties). `parts`: the groups' texts the file holds, after a
 * write or an unchanged check, to tell whether a new rendering changes it without reading it.
 */
export type FileSdMemo = Map<
  string,
  {
    targets: readonly Target[];
    replaced: number;
    failure?: FileSdFailure | undefined;
    parts?: readonly string[] | undefined;
    order?: RenderOrder | undefined;
  }
>;

function sameParts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when the file holds exactly the chunks' bytes (compared chunk by chunk; a missing file does not). */
async function holds(path: string, chunks: Iterable<Buffer>): Promise<boolean> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  let offset = 0;
  for (const encoded of chunks) {
    if (!bytes.subarray(offset, offset + encoded.length).equals(encoded)) return false;
    offset += encoded.length;
  }
  return offset === bytes.length;
}

function sameTargets(a: readonly Target[], b: readonly Target[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Why a file was not written: its content could not be rendered (`too-large`, `render-error`), or
 * the file system refused it (`no-space`, `permission-denied`, `bad-path` when a part of the path
 * is not a directory or the file is one, `io-error` for anything else).
 */
export type FileSdFailureReason =
  | 'too-large'
  | 'render-error'
  | 'no-space'
  | 'permission-denied'
  | 'bad-path'
  | 'io-error';

/** One file that was not written; it keeps its previous content (or stays missing). */
export interface FileSdFailure {
  path: string;
  reason: FileSdFailureReason;
  error: FileSdError;
}

/** What a call did to each file: rewritten, already right, or not written. */
export interface FileSdResult {
  written: string[];
  unchanged: string[];
  failed: FileSdFailure[];
  /** Per file rendered, the targets whose address or labels held lone surrogates, written as U+FFFD. */
  replaced: Map<string, number>;
}

/**
 * A file_sd problem crossing into the daemon: bad options (`ECS_SD_FILE_SD_OPTIONS`), content that
 * cannot be rendered (`ECS_SD_FILE_SD_RENDER`) or failed I/O (`ECS_SD_FILE_SD_WRITE`).
 */
export class FileSdError extends EcsSdError {
  declare readonly code: FileSdErrorCode;
  constructor(code: FileSdErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The stable codes of FileSdError. */
export type FileSdErrorCode = 'ECS_SD_FILE_SD_OPTIONS' | 'ECS_SD_FILE_SD_RENDER' | 'ECS_SD_FILE_SD_WRITE';
/** Mode of written files: Prometheus often runs as another user and must be able to read them. */
const FILE_MODE = 0o644;

/** The exact bytes of a file_sd file for these targets: sorted groups, `[]` when there are none; throws when they cannot be rendered. */
export function renderFileSd(targets: readonly Target[], format: FileSdFormat): string {
  const rendered = tryRenderTargetGroups(targets, format === 'yaml' ? 'yaml' : 'file');
  if (!rendered.ok)
    throw new FileSdError('ECS_SD_FILE_SD_RENDER', rendered.message, { cause: rendered.cause });
  return rendered.content;
}

function checkOptions(options: Pick<FileSdOptions, 'directory' | 'file' | 'format'>): void {
  const { directory, file, format } = options;
  if ((directory === undefined) === (file === undefined)) {
    throw new FileSdError(
      'ECS_SD_FILE_SD_OPTIONS',
      `file_sd needs exactly one of directory and file, received ${directory === undefined ? 'neither' : 'both'}`,
    );
  }
  if (format !== 'json' && format !== 'yaml') {
    throw new FileSdError('ECS_SD_FILE_SD_OPTIONS', `file_sd format "${String(format)}" is not json or yaml`);
  }
  if (file !== undefined) {
    const problem = fileSdPathProblem(file, format);
    if (problem !== undefined) throw new FileSdError('ECS_SD_FILE_SD_OPTIONS', problem);
  }
}

/**
 * Every file of the layout with the targets it holds: all four interval files always, so none is
 * ever missing. Throws FileSdError (`ECS_SD_FILE_SD_OPTIONS`) for options that name no valid layout.
 */
export function planFileSd(
  targets: readonly Target[],
  options: Pick<FileSdOptions, 'directory' | 'file' | 'format'>,
): { path: string; targets: readonly Target[] }[] {
  checkOptions(options);
  const { directory, file, format } = options;
  if (file !== undefined) return [{ path: file, targets }];
  return INTERVALS.map((interval) => ({
    path: join(directory!, intervalFileName(interval, format)),
    targets: targets.filter((target) => target.interval === interval),
  }));
}

/** The paths of the files a layout writes. */
export function fileSdPaths(options: Pick<FileSdOptions, 'directory' | 'file' | 'format'>): string[] {
  return planFileSd([], options).map(({ path }) => path);
}

/** The failure reason of a file system error, by its errno code. */
export function writeFailureReason(err: unknown): FileSdFailureReason {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return 'no-space';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'permission-denied';
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ENOENT':
    case 'ELOOP':
    case 'ENAMETOOLONG':
    case 'EEXIST':
      return 'bad-path';
    default:
      return 'io-error';
  }
}

/** Flushes a directory entry (the rename) to disk; platforms that cannot fsync a directory are tolerated. */
async function fsyncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `path` with `content` (a string, or chunks of text or bytes written one after another) atomically: a
 * temporary file in the same directory (so rename stays on one file system), named so that no
 * file_sd glob like `*.json` matches it, fsynced, renamed, then the directory fsynced. The
 * temporary file is removed if anything fails.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Iterable<string | Uint8Array>,
): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, temporaryName(path));
  try {
    const handle = await open(temporary, 'wx', FILE_MODE);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => {});
    throw err;
  }
  await fsyncDirectory(directory);
}

/** The name of a temporary file of `path`: hidden, so that no file_sd glob like `*.json` matches it. */
function temporaryName(path: string): string {
  return `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Matches exactly the temporary files `writeFileAtomic` makes for a file of this name (any process). */
function temporaryPattern(name: string): RegExp {
  return new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9]+\\.[0-9a-f]{12}\\.tmp$`);
}

/**
 * Removes temporary files that a write of one of these files left behind (a process killed
 * between creating and renaming it): regular files next to each path named exactly
 * `.<name>.<pid>.<12 hex digits>.tmp`, nothing else. A missing directory has none.
 */
export async function removeTemporaries(
  paths: readonly string[],
): Promise<{ removed: string[]; failed: { path: string; error: unknown }[] }> {
  const removed: string[] = [];
  const failed: { path: string; error: unknown }[] = [];
  const byDirectory = new Map<string, RegExp[]>();
  for (const path of paths) {
    const patterns = byDirectory.get(dirname(path)) ?? [];
    patterns.push(temporaryPattern(basename(path)));
    byDirectory.set(dirname(path), patterns);
  }
  for (const [directory, patterns] of byDirectory) {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') failed.push({ path: directory, error: err });
      continue;
    }
    for (const entry of entries) {
      if (!entry.isFile() || !patterns.some((pattern) => pattern.test(entry.name))) continue;
      const path = join(directory, entry.name);
      try {
        await unlink(path);
        removed.push(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed.push({ path, error: err });
      }
    }
  }
  return { removed, failed };
}

/**
 * Writes the file_sd files for these targets, rewriting only those whose content changed; the
 * directory is created if missing. Each file is rendered and written on its own: a file that cannot
 * be is in `failed` (and keeps its previous content) while the others are written. Throws only
 * FileSdError `ECS_SD_FILE_SD_OPTIONS`, for options that name no valid layout.
 */
export async function writeFileSd(targets: readonly Target[], options: FileSdOptions): Promise<FileSdResult> {
  const plan = planFileSd(targets, options);
  const style = options.format === 'yaml' ? 'yaml' : 'file';
  const maxLength = options.maxLength ?? MAX_OUTPUT_LENGTH;
  const result: FileSdResult = { written: [], unchanged: [], failed: [], replaced: new Map() };
  const directoryErrors = new Map<string, unknown>();
  for (const directory of new Set(plan.map(({ path }) => dirname(path)))) {
    try {
      await mkdir(directory, { recursive: true });
    } catch (err) {
      directoryErrors.set(directory, err);
    }
  }
  for (const { path, targets: held } of plan) {
    const directory = dirname(path);
    if (directoryErrors.has(directory)) {
      const cause = directoryErrors.get(directory);
      result.failed.push({
        path,
        reason: writeFailureReason(cause),
        error: new FileSdError(
          'ECS_SD_FILE_SD_WRITE',
          `creating file_sd directory "${directory}" for "${path}" failed`,
          { cause },
        ),
      });
      continue;
    }
    const last = options.memo?.get(path);
    if (last !== undefined && sameTargets(last.targets, held)) {
      if (last.failure === undefined && existsSync(path)) {
        result.unchanged.push(path);
        result.replaced.set(path, last.replaced);
        continue;
      }
      if (last.failure?.error.code === 'ECS_SD_FILE_SD_RENDER') {
        result.failed.push(last.failure);
        continue;
      }
    }
    const previous = last?.failure === undefined ? last?.parts : undefined;
    options.memo?.delete(path);
    const rendered = tryRenderGroupParts(held, style, maxLength, last?.order);
    if (!rendered.ok) {
      const failure: FileSdFailure = {
        path,
        reason: rendered.reason,
        error: new FileSdError(
          'ECS_SD_FILE_SD_RENDER',
          `file_sd file "${path}" not rendered: ${rendered.message}`,
          {
            cause: rendered.cause,
          },
        ),
      };
      result.failed.push(failure);
      options.memo?.set(path, { targets: held, replaced: 0, failure });
      continue;
    }
    result.replaced.set(path, rendered.replaced);
    const { parts, order } = rendered;
    try {
      const unchanged =
        previous === undefined
          ? await holds(path, listByteChunks(parts, style))
          : sameParts(previous, parts) && existsSync(path);
      if (unchanged) {
        result.unchanged.push(path);
        options.memo?.set(path, { targets: held, replaced: rendered.replaced, parts, order });
        continue;
      }
      await writeFileAtomic(path, listByteChunks(parts, style));
    } catch (err) {
      result.failed.push({
        path,
        reason: writeFailureReason(err),
        error: new FileSdError('ECS_SD_FILE_SD_WRITE', `writing file_sd file "${path}" failed`, {
          cause: err,
        }),
      });
      continue;
    }
    result.written.push(path);
    options.onWrite?.(path);
    options.memo?.set(path, { targets: held, replaced: rendered.replaced, parts, order });
  }
  return result;
}
