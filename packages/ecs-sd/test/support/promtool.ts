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

/** One entry of promtool's answer: a target it kept, or one it dropped with an error (and no labels). */
interface Reported {
  discoveredLabels: Record<string, string>;
  error?: unknown;
}

/** Runs `promtool check service-discovery CONFIG JOB` and returns its entries and its log. */
async function checkJob(
  config: string,
  job: string,
  timeoutSeconds: number,
): Promise<{ reported: Reported[]; log: string }> {
  if (promtool.path === undefined)
    throw new Error('promtool not found: install the Debian package prometheus');
  const binary = promtool.path;
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      binary,
      ['check', 'service-discovery', `--timeout=${timeoutSeconds}s`, config, job],
      { maxBuffer: 1024 * 1024 * 1024, timeout: (timeoutSeconds + 60) * 1000 },
      (err, out, errOut) =>
        err ? reject(Object.assign(err, { stderr: errOut })) : resolve({ stdout: out, stderr: errOut }),
    );
  });
  return { reported: JSON.parse(stdout) as Reported[], log: stderr };
}

function targetOf({ discoveredLabels }: Reported): PromtoolTarget {
  return {
    file: discoveredLabels['__meta_filepath']!,
    address: discoveredLabels['__address__']!,
    labels: Object.fromEntries(
      Object.entries(discoveredLabels).filter(([name]) => !PROMETHEUS_LABELS.has(name)),
    ),
  };
}

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
    const { reported, log } = await checkJob(config, 'sd', timeoutSeconds);
    return { log, targets: reported.map(targetOf) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A file_sd job for promtoolJobs: its name, its scrape interval (Prometheus checks targets against it) and its files. */
export interface PromtoolJob {
  name: string;
  scrapeInterval: string;
  files: readonly string[];
}

/** What promtool made of one job: the targets it kept, and the errors of the targets it dropped. */
export interface PromtoolJobResult {
  targets: PromtoolTarget[];
  errors: string[];
  log: string;
}

/**
 * Runs `promtool check service-discovery` once per job, all at once (each run waits out `--timeout`), on
 * one config holding every job: many files are read in one wait instead of one wait each.
 */
export async function promtoolJobs(
  jobs: readonly PromtoolJob[],
  timeoutSeconds = 4,
): Promise<Map<string, PromtoolJobResult>> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-promtool-'));
  try {
    const config = join(dir, 'prometheus.yml');
    const lines = jobs.map(
      (job) =>
        `  - job_name: ${JSON.stringify(job.name)}\n    scrape_interval: ${job.scrapeInterval}\n    file_sd_configs: [{ files: ${JSON.stringify(job.files)} }]`,
    );
    await writeFile(config, `scrape_configs:\n${lines.join('\n')}\n`);
    const results = await Promise.all(
      jobs.map(async (job) => {
        const { reported, log } = await checkJob(config, job.name, timeoutSeconds);
        const result: PromtoolJobResult = {
          targets: reported.filter((entry) => entry.error === undefined).map(targetOf),
          errors: reported
            .filter((entry) => entry.error !== undefined)
            .map((entry) => JSON.stringify(entry.error)),
          log,
        };
        return [job.name, result] as const;
      }),
    );
    return new Map(results);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
