/**
 * What the real Prometheus keeps of targets: `promtool check service-discovery` on a config with one
 * file_sd job per interval bucket (scraping at the bucket's interval, as the per-interval layout is meant
 * to be used), each reading a file rendered as file_sd writes it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from '@ecs-sd/testkit';
import { INTERVALS, type Interval } from '../../src/lib/intervals.ts';

const run = promisify(execFile);

/** The promtool binary: tests that need it skip without it, unless CI is set (CI installs the Debian package). */
export const promtool = requireTool('promtool', 'prometheus');

/** One target as promtool reports it: its labels after Prometheus's checks, or an error when dropped. */
interface Reported {
  labels: Record<string, string>;
  error?: unknown;
}

/**
 * Runs `promtool check service-discovery` for each bucket's job on the given file contents (file_sd JSON)
 * and returns the label sets Prometheus keeps, by bucket.
 */
export async function keptByPrometheus(
  binary: string,
  files: Partial<Record<Interval, string>>,
): Promise<Record<Interval, Record<string, string>[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-promtool-'));
  try {
    const jobs: string[] = [];
    for (const bucket of INTERVALS) {
      const file = join(dir, `${bucket}-tasks.json`);
      await writeFile(file, files[bucket] ?? '[]\n');
      jobs.push(
        `  - job_name: ecs-${bucket}\n    scrape_interval: ${bucket}\n    file_sd_configs: [{ files: [${JSON.stringify(file)}] }]`,
      );
    }
    const config = join(dir, 'prometheus.yml');
    await writeFile(config, `scrape_configs:\n${jobs.join('\n')}\n`);
    // File discovery answers at once; promtool then waits out its timeout for more updates, so the
    // four jobs run side by side.
    const reports = await Promise.all(
      INTERVALS.map(async (bucket) => {
        const { stdout } = await run(
          binary,
          ['check', 'service-discovery', '--timeout=2s', config, `ecs-${bucket}`],
          { maxBuffer: 256 * 1024 * 1024 },
        );
        const reported = JSON.parse(stdout) as Reported[] | null;
        return [bucket, (reported ?? []).filter((r) => r.error === undefined).map((r) => r.labels)] as const;
      }),
    );
    return Object.fromEntries(reports) as Record<Interval, Record<string, string>[]>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
