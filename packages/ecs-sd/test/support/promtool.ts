/**
 * Reading file_sd files with the real Prometheus parser: `promtool check service-discovery` on a
 * config whose one job reads the given files, and the targets it reports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '@ecs-sd/testkit';

/** The promtool binary: tests that need it skip without it, unless CI is set (CI installs the Debian package). */
export const promtool = requireTool('promtool', 'prometheus');

/** One target as promtool read it: its file, its address and its labels before relabelling. */
export interface PromtoolTarget {
  file: string;
  address: string;
  /** The discovered labels without Prometheus's own (`__address__`, `__meta_filepath`, scrape defaults, `job`). */
  labels: Record<string, string>;
}

/** What promtool read, and what it logged (a file it could not read is named there). */
export interface PromtoolResult {
  targets: PromtoolTarget[];
  log: string;
}

const PROMETHEUS_LABELS = new Set([
  '__address__',
  '__meta_filepath',
  '__metrics_path__',
  '__scheme__',
  '__scrape_interval__',
  '__scrape_timeout__',
  'job',
]);

/**
 * Runs `promtool check service-discovery` for a job reading `files` (globs allowed). promtool
 * watches file_sd files and prints what it has when `--timeout` ends, so this takes that long.
 */
export async function promtoolRead(files: readonly string[], timeoutSeconds = 4): Promise<PromtoolResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-promtool-'));
  try {
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      `scrape_configs:\n  - job_name: sd\n    file_sd_configs: [{ files: ${JSON.stringify(files)} }]\n`,
    );
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        promtool.path,
        ['check', 'service-discovery', `--timeout=${timeoutSeconds}s`, config, 'sd'],
        { maxBuffer: 256 * 1024 * 1024, timeout: (timeoutSeconds + 60) * 1000 },
        (err, out, errOut) =>
          err ? reject(Object.assign(err, { stderr: errOut })) : resolve({ stdout: out, stderr: errOut }),
      );
    });
    const found = JSON.parse(stdout) as { discoveredLabels: Record<string, string> }[];
    return {
      log: stderr,
      targets: found.map(({ discoveredLabels }) => ({
        file: discoveredLabels['__meta_filepath']!,
        address: discoveredLabels['__address__']!,
        labels: Object.fromEntries(
          Object.entries(discoveredLabels).filter(([name]) => !PROMETHEUS_LABELS.has(name)),
        ),
      })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
