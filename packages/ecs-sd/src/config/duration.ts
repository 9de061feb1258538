/** Prometheus-style durations (`90s`, `1m30s`, `2h`, `500ms`) and bare seconds (`60`, the Python tool's `--interval`). */

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Milliseconds of a duration string or a number of seconds; undefined when it is not a duration.
 * Digits too many for a number give a value above every bound (up to Infinity), never a wrapped one.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (SECONDS.test(text)) return Math.round(Number(text) * 1000);
  const match = DURATION.exec(text);
  if (match === null || text === '') return undefined;
  const [, h, m, s, ms] = match;
  return (
    Number(h ?? 0) * UNIT_MS['h']! +
    Number(m ?? 0) * UNIT_MS['m']! +
    Number(s ?? 0) * UNIT_MS['s']! +
    Number(ms ?? 0) * UNIT_MS['ms']!
  );
}

/** A duration in Prometheus notation (`1m30s`), for help text and logs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]!;
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}

/** Longest delay Node's timers keep: above 2^31−1 ms (24.8 days) `setTimeout` fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What one duration key accepts, in milliseconds; `max` is capped at `MAX_TIMER_MS`. */
export interface DurationBounds {
  /** @default 0 */
  min?: number;
  max: number;
  /** Only whole seconds (an API that takes seconds). */
  wholeSeconds?: boolean;
}

/**
 * The problem with a duration value under its key's bounds, as `"600h" is too long, expected at
 * most 24h`; undefined when it is a duration within them.
 */
export function durationProblem(value: unknown, bounds: DurationBounds): string | undefined {
  const shown =
    value === undefined ? 'nothing' : typeof value === 'number' ? String(value) : JSON.stringify(value);
  const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  if (ms === undefined) {
    return `${shown} is not a duration, expected e.g. 30s, 1m, 1h30m or a number of seconds`;
  }
  const max = Math.min(bounds.max, MAX_TIMER_MS);
  const min = bounds.min ?? 0;
  if (!(ms <= max)) return `${shown} is too long, expected at most ${formatDuration(max)}`;
  if (ms < min) return `${shown} is too short, expected at least ${formatDuration(min)}`;
  if (bounds.wholeSeconds === true && ms % 1000 !== 0) {
    return `${shown} is not whole seconds, expected whole seconds from ${formatDuration(min)} to ${formatDuration(max)}`;
  }
  return undefined;
}
