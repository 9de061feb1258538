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
 * built or held as one string; whether it changed is known from the digest of its last write (kept
 * in the memo), so a changed file is not read back, and only the first write of a process compares
 * with the file on disk (see atomic-write.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Target } from '../discovery/types.ts';
import { EcsSdError } from '../errors.ts';
import { type FileSdFormat, fileSdPathProblem, INTERVALS, intervalFileName } from '../lib/intervals.ts';
import { writeIfChanged } from './atomic-write.ts';
import {
  listByteChunks,
  MAX_OUTPUT_LENGTH,
  RenderError,
  type RenderOrder,
  tryRenderGroupTexts,
  tryRenderTargetGroups,
} from './target-groups.ts';

export { type FileSdFormat, fileSdPathProblem, intervalFileName } from '../lib/intervals.ts';
export { removeTemporaries } from './atomic-write.ts';

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
 * always tried again (a disk fills and empties). `digest`: the SHA-256 of the bytes the file holds,
 * after a write or an unchanged check, to tell whether a new rendering changes it without reading
 * it; `order`: the targets sorted as last rendered, so the next rendering sorts only new ones.
 */
export type FileSdMemo = Map<string, FileSdMemoEntry>;

/** What the memo knows of one file (see `FileSdMemo`). */
export interface FileSdMemoEntry {
  targets: readonly Target[];
  replaced: number;
  failure?: FileSdFailure | undefined;
  digest?: string | undefined;
  order?: RenderOrder | undefined;
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
    options.memo?.delete(path);
    const outcome = await renderAndWrite(path, held, style, maxLength, last);
    if (!outcome.ok) {
      result.failed.push(outcome.failure);
      // A render failure is remembered (the same targets fail the same way); a write failure is retried.
      if (outcome.failure.error.code === 'ECS_SD_FILE_SD_RENDER')
        options.memo?.set(path, { targets: held, replaced: 0, failure: outcome.failure });
      continue;
    }
    const { written, digest, replaced, order } = outcome;
    result.replaced.set(path, replaced);
    options.memo?.set(path, { targets: held, replaced, digest, order });
    if (!written) {
      result.unchanged.push(path);
      continue;
    }
    result.written.push(path);
    options.onWrite?.(path);
  }
  return result;
}

type WriteOutcome =
  | { ok: true; written: boolean; digest: string; replaced: number; order: RenderOrder }
  | { ok: false; failure: FileSdFailure };

/** Renders one file's targets straight into its temporary file, which replaces the file if its bytes changed. */
async function renderAndWrite(
  path: string,
  targets: readonly Target[],
  style: 'file' | 'yaml',
  maxLength: number,
  last: FileSdMemoEntry | undefined,
): Promise<WriteOutcome> {
  const rendered = tryRenderGroupTexts(targets, style, maxLength, last?.order);
  if (!rendered.ok) return { ok: false, failure: renderFailure(path, rendered) };
  // The digest of the last write counts only while the file is still there.
  const known = last?.failure === undefined && existsSync(path) ? last?.digest : undefined;
  try {
    const { written, digest } = await writeIfChanged(path, listByteChunks(rendered.texts, style), known);
    return { ok: true, written, digest, replaced: rendered.replaced, order: rendered.order };
  } catch (err) {
    if (err instanceof RenderError) return { ok: false, failure: renderFailure(path, err) };
    const error = new FileSdError('ECS_SD_FILE_SD_WRITE', `writing file_sd file "${path}" failed`, {
      cause: err,
    });
    return { ok: false, failure: { path, reason: writeFailureReason(err), error } };
  }
}

function renderFailure(
  path: string,
  { reason, message, cause }: { reason: 'too-large' | 'render-error'; message: string; cause?: unknown },
): FileSdFailure {
  const error = new FileSdError('ECS_SD_FILE_SD_RENDER', `file_sd file "${path}" not rendered: ${message}`, {
    cause,
  });
  return { path, reason, error };
}
