/**
 * The file_sd output: the prometheus-ecs-sd directory layout (one file per interval) or a single
 * file, JSON or YAML. Prometheus re-reads a watched file on every change and treats a half-written
 * one as an error, so each file is written to a temporary name in the same directory, fsynced,
 * renamed over the old one, and the directory fsynced; a file whose content is unchanged is not
 * touched, so Prometheus is not woken for nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { INTERVALS, type Interval, type Target } from '../discovery/types.ts';
import { EcsSdError } from '../errors.ts';
import { renderTargetGroups, toTargetGroups } from './target-groups.ts';

/** File formats Prometheus's file_sd reads; it picks the parser by file extension. */
export type FileSdFormat = 'json' | 'yaml';

/** Where and how to write; exactly one of `directory` and `file`. */
export interface FileSdOptions {
  /** prometheus-ecs-sd layout: `<directory>/<interval>-tasks.json` (`.yml` for YAML) for every interval. */
  directory?: string;
  /** Single-file layout: every target in one file, which must end in `.json`, `.yml` or `.yaml`. */
  file?: string;
  format: FileSdFormat;
  /** Called once per file actually rewritten (e.g. to count `ecs_sd_file_writes_total{file}`). */
  onWrite?: (file: string) => void;
}

/** Which files a call rewrote and which already had the right content. */
export interface FileSdResult {
  written: string[];
  unchanged: string[];
}

/** A file_sd problem crossing into the daemon: bad options (`ECS_SD_FILE_SD_OPTIONS`) or failed I/O (`ECS_SD_FILE_SD_WRITE`). */
export class FileSdError extends EcsSdError {
  declare readonly code: FileSdErrorCode;
  constructor(code: FileSdErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The stable codes of FileSdError. */
export type FileSdErrorCode = 'ECS_SD_FILE_SD_OPTIONS' | 'ECS_SD_FILE_SD_WRITE';

const EXTENSIONS: Readonly<Record<FileSdFormat, readonly string[]>> = {
  json: ['.json'],
  yaml: ['.yml', '.yaml'],
};

/** Mode of written files: Prometheus often runs as another user and must be able to read them. */
const FILE_MODE = 0o644;

/** The file name of an interval in the directory layout, e.g. `1m-tasks.json` or `1m-tasks.yml`. */
export function intervalFileName(interval: Interval, format: FileSdFormat): string {
  return `${interval}-tasks${format === 'json' ? '.json' : '.yml'}`;
}

/**
 * A one-line problem with a single-file path for this format, or undefined when it is usable:
 * Prometheus only reads file_sd files ending in `.json`, `.yml` or `.yaml`, and parses by extension.
 */
export function fileSdPathProblem(file: string, format: FileSdFormat): string | undefined {
  const extension = extname(file).toLowerCase();
  const expected = EXTENSIONS[format];
  if (expected.includes(extension)) return undefined;
  return `file_sd file "${file}" does not end in ${expected.join(' or ')}, expected for format ${format}`;
}

/** The exact bytes of a file_sd file for these targets: sorted groups, `[]` when there are none. */
export function renderFileSd(targets: readonly Target[], format: FileSdFormat): string {
  if (format === 'yaml') return toYaml(toTargetGroups(targets));
  return renderTargetGroups(targets, 'file');
}

/** Every file of the layout with its content: all four interval files always, so none is ever missing. */
export function planFileSd(
  targets: readonly Target[],
  options: Pick<FileSdOptions, 'directory' | 'file' | 'format'>,
): { path: string; content: string }[] {
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
    return [{ path: file, content: renderFileSd(targets, format) }];
  }
  return INTERVALS.map((interval) => ({
    path: join(directory!, intervalFileName(interval, format)),
    content: renderFileSd(
      targets.filter((target) => target.interval === interval),
      format,
    ),
  }));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
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
 * Replaces `path` with `content` atomically: a temporary file in the same directory (so rename
 * stays on one file system), named so that no file_sd glob like `*.json` matches it, fsynced,
 * renamed, then the directory fsynced. The temporary file is removed if anything fails.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const directory = dirname(path);
  const temporary = join(
    directory,
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
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

/**
 * Writes the file_sd files for these targets, rewriting only those whose content changed.
 * Called after every refresh; the directory is created if missing.
 */
export async function writeFileSd(targets: readonly Target[], options: FileSdOptions): Promise<FileSdResult> {
  const plan = planFileSd(targets, options);
  const result: FileSdResult = { written: [], unchanged: [] };
  const directories = new Set(plan.map(({ path }) => dirname(path)));
  for (const directory of directories) {
    try {
      await mkdir(directory, { recursive: true });
    } catch (err) {
      throw new FileSdError('ECS_SD_FILE_SD_WRITE', `creating file_sd directory "${directory}" failed`, {
        cause: err,
      });
    }
  }
  for (const { path, content } of plan) {
    try {
      if ((await readIfExists(path)) === content) {
        result.unchanged.push(path);
        continue;
      }
      await writeFileAtomic(path, content);
    } catch (err) {
      throw new FileSdError('ECS_SD_FILE_SD_WRITE', `writing file_sd file "${path}" failed`, { cause: err });
    }
    result.written.push(path);
    options.onWrite?.(path);
  }
  return result;
}
