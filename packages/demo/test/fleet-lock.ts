/**
 * One demo at a time on the demo fleet's addresses (127.10.x.x hosts, 127.20.x.x ENIs): test files
 * run at once, and two demos would listen on the same task addresses, so one's exporters would
 * answer for the other's targets and outlive its stop. A directory in the temporary directory is the
 * lock (mkdir is atomic); a holder that died leaves its pid there, and the lock is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@ecs-sd/testkit';

const LOCK = join(tmpdir(), 'ecs-sd-demo-fleet.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until no other demo holds the fleet's addresses, holds them, and returns the release. */
export async function holdDemoFleet(what: string): Promise<() => Promise<void>> {
  await waitUntil(
    `the demo fleet's addresses to be free for ${what}`,
    async () => {
      try {
        await mkdir(LOCK);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => ''));
        if (holder > 0 && !alive(holder)) await rm(LOCK, { recursive: true, force: true });
        return false;
      }
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      return true;
    },
    { timeoutMs: 240_000, everyMs: 250 },
  );
  return () => rm(LOCK, { recursive: true, force: true });
}
