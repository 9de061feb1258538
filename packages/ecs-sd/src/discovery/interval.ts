/** Prometheus durations and the interval buckets of the per-interval file layout. */
import { INTERVALS, type Interval } from './types.ts';

const UNITS: readonly [string, bigint][] = [
  ['y', 31_536_000_000n],
  ['w', 604_800_000n],
  ['d', 86_400_000n],
  ['h', 3_600_000n],
  ['m', 60_000n],
  ['s', 1000n],
  ['ms', 1n],
];

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Longest duration Prometheus holds: its durations are Go time.Duration, int64 nanoseconds (about 292 years). */
const MAX_NANOSECONDS = (1n << 63n) - 1n;

/** What is wrong with a duration text, in Prometheus's terms (`model.ParseDuration`, then the scrape checks). */
export type DurationProblem = 'not-a-duration' | 'zero' | 'out-of-range';

/** Milliseconds of a Prometheus duration, or why it is none: not the grammar, zero, or past int64 nanoseconds. */
export function durationOf(text: string): { ms: number } | { problem: DurationProblem } {
  const match = text === '' ? null : DURATION.exec(text);
  if (!match) return { problem: 'not-a-duration' };
  let ms = 0n;
  for (let i = 0; i < UNITS.length; i++) {
    const n = match[i + 1]?.replace(/^0+(?=\d)/, '');
    if (n === undefined) continue;
    // 17 digits are past int64 nanoseconds in any unit: no need to read a 60 KB number.
    if (n.length > 16) return { problem: 'out-of-range' };
    ms += BigInt(n) * UNITS[i]![1];
  }
  if (ms * 1_000_000n > MAX_NANOSECONDS) return { problem: 'out-of-range' };
  if (ms === 0n) return { problem: 'zero' };
  return { ms: Number(ms) };
}

/** Milliseconds of a Prometheus duration (`30s`, `1m30s`, `250ms`), undefined unless it is one, above zero and at most ~292y. */
export function parseDuration(text: string): number | undefined {
  const result = durationOf(text);
  return 'ms' in result ? result.ms : undefined;
}

/** What a duration problem means for a person, e.g. in `ecs-sd.interval="300000y" is out of range (…)`. */
export function durationProblemText(problem: DurationProblem): string {
  switch (problem) {
    case 'not-a-duration':
      return 'is not a duration';
    case 'zero':
      return 'is zero';
    case 'out-of-range':
      return 'is out of range (prometheus holds durations up to 292y)';
  }
}

/** One of the four file buckets (`15s`, `30s`, `1m`, `5m`) by exact name, undefined otherwise. */
export function parseInterval(text: string): Interval | undefined {
  return (INTERVALS as readonly string[]).includes(text) ? (text as Interval) : undefined;
}

const BUCKET_MS: Readonly<Record<Interval, number>> = {
  '15s': 15_000,
  '30s': 30_000,
  '1m': 60_000,
  '5m': 300_000,
};

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
