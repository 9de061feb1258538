/**
 * The interval buckets of the prometheus-ecs-sd file layout and the names of their files: one
 * `<interval>-tasks.json` per bucket, each read by a Prometheus job scraping at that interval. The
 * one list the daemon, the config, the monitoring content, the CDK kit and their tests share. Pure.
 */
import { extname } from 'node:path';

/** Scrape interval buckets, shortest first. */
export const INTERVALS = ['15s', '30s', '1m', '5m'] as const;
/** One interval bucket. */
export type Interval = (typeof INTERVALS)[number];

const BUCKET_MS: Readonly<Record<Interval, number>> = {
  '15s': 15_000,
  '30s': 30_000,
  '1m': 60_000,
  '5m': 300_000,
};

/** One of the buckets by exact name (`15s`, `30s`, `1m`, `5m`), undefined otherwise. */
export function parseInterval(text: string): Interval | undefined {
  return (INTERVALS as readonly string[]).includes(text) ? (text as Interval) : undefined;
}

/** Milliseconds of a bucket: the scrape interval of the job that reads its file. */
export function bucketMs(bucket: Interval): number {
  return BUCKET_MS[bucket];
}

/**
 * The bucket a scrape interval lands in: the longest bucket not longer than it (15s when shorter), so the
 * bucket job's scrape_timeout (at most its interval) never exceeds the target's own `__scrape_interval__`.
 */
export function bucketFor(ms: number): Interval {
  let bucket: Interval = '15s';
  for (const name of INTERVALS) if (BUCKET_MS[name] <= ms) bucket = name;
  return bucket;
}

/** File formats Prometheus's file_sd reads; it picks the parser by file extension. */
export type FileSdFormat = 'json' | 'yaml';

/** The file name of a bucket in the directory layout: `1m-tasks.json`, or `1m-tasks.yml` for YAML. */
export function intervalFileName(interval: Interval, format: FileSdFormat = 'json'): string {
  return `${interval}-tasks${format === 'json' ? '.json' : '.yml'}`;
}

/** Extensions Prometheus reads a file_sd file of each format from. */
const EXTENSIONS: Readonly<Record<FileSdFormat, readonly string[]>> = {
  json: ['.json'],
  yaml: ['.yml', '.yaml'],
};

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
