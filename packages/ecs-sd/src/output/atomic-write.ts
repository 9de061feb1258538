/**
 * How file_sd files reach the disk. Prometheus re-reads a watched file on every change and treats a
 * half-written one as an error, so a file is replaced atomically (temporary file, fsync, rename,
 * directory fsync), and only when its bytes change; temporaries a killed process left are removed.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Mode of written files: Prometheus often runs as another user and must be able to read them. */
const FILE_MODE = 0o644;

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
 * Replaces `path` with the chunks' bytes atomically, unless it already holds them: the chunks go to a
 * temporary file in the same directory (so rename stays on one file system), named so that no
 * file_sd glob like `*.json` matches it, hashed on the way; when the digest equals `known` (the
 * digest of the file's last write) or, without it, the file's own, the temporary file is dropped
 * and nothing changes. Otherwise it is fsynced and renamed, then the directory fsynced. The
 * temporary file is removed if anything fails, including the chunks throwing. So a file is written
 * without holding its content, and an unchanged one never wakes Prometheus.
 */
export async function writeIfChanged(
  path: string,
  chunks: Iterable<Uint8Array>,
  known?: string,
): Promise<{ written: boolean; digest: string }> {
  const directory = dirname(path);
  const temporary = join(directory, temporaryName(path));
  const hash = createHash('sha256');
  let digest: string;
  try {
    const handle = await open(temporary, 'wx', FILE_MODE);
    let changed: boolean;
    try {
      await handle.writeFile(hashed(chunks, hash));
      digest = hash.digest('hex');
      changed = digest !== (known ?? (await fileDigest(path)));
      if (changed) await handle.sync();
    } finally {
      await handle.close();
    }
    if (!changed) {
      await unlink(temporary);
      return { written: false, digest };
    }
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => {});
    throw err;
  }
  await fsyncDirectory(directory);
  return { written: true, digest };
}

function* hashed(chunks: Iterable<Uint8Array>, hash: Hash): Generator<Uint8Array> {
  for (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
}

/** The SHA-256 of a file's bytes, or undefined when there is no file. */
async function fileDigest(path: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The name of a temporary file of `path`: hidden, so that no file_sd glob like `*.json` matches it. */
function temporaryName(path: string): string {
  return `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Matches exactly the temporary files `writeIfChanged` makes for a file of this name (any process). */
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
