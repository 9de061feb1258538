/** Prometheus durations and the interval buckets of the per-interval file layout. */
import { INTERVALS, type Interval } from './types.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds of a Prometheus duration (`30s`, `1m30s`, `250ms`), undefined unless it is one and above zero. */
export function parseDuration(text: string): number | undefined {
  if (text === '') return undefined;
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let ms = 0;
  for (let i = 0; i < units.length; i++) {
    const n = match[i + 1];
    if (n !== undefined) ms += Number(n) * UNIT_MS[units[i]!]!;
  }
  return ms > 0 ? ms : undefined;
}

/** One of the four file buckets (`15s`, `30s`, `1m`, `5m`) by exact name, undefined otherwise. */
export function parseInterval(text: string): Interval | undefined {
  return (INTERVALS as readonly string[]).includes(text) ? (text as Interval) : undefined;
}

const BUCKET_MS: readonly [Interval, number][] = [
  ['15s', 15_000],
  ['30s', 30_000],
  ['1m', 60_000],
  ['5m', 300_000],
];

/**
 * The bucket a scrape interval lands in: the longest bucket not longer than it (15s when shorter), so the
 * bucket job's scrape_timeout (at most its interval) never exceeds the target's own `__scrape_interval__`.
 */
export function bucketFor(ms: number): Interval {
  let bucket: Interval = '15s';
  for (const [name, bucketMs] of BUCKET_MS) if (bucketMs <= ms) bucket = name;
  return bucket;
}
