/**
 * Durations in the two grammars ecs-sd reads, one function each because their rules differ:
 * config durations (`parseConfigDuration`: h, m, s, ms and bare seconds, the Python tool's
 * `--interval 60`) and Prometheus durations (`prometheusDuration`: `model.ParseDuration`'s y to ms,
 * as a target's `__scrape_interval__` must be written). Both print as `formatDuration` writes. Pure.
 */

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const CONFIG_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Milliseconds of a config duration (`90s`, `1m30s`, `2h`, `500ms`) or a number of seconds (`60`,
 * `1.5`, 1.5); undefined when it is not one. Digits too many for a number give a value above every
 * bound (up to Infinity), never a wrapped one.
 */
export function parseConfigDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (SECONDS.test(text)) return Math.round(Number(text) * 1000);
  const match = CONFIG_DURATION.exec(text);
  if (match === null || text === '') return undefined;
  const [, h, m, s, ms] = match;
  return (
    Number(h ?? 0) * UNIT_MS['h']! +
    Number(m ?? 0) * UNIT_MS['m']! +
    Number(s ?? 0) * UNIT_MS['s']! +
    Number(ms ?? 0) * UNIT_MS['ms']!
  );
}

/** A duration in Prometheus notation (`1m30s`), for help text, problems and logs. */
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

/** What one duration setting accepts, in milliseconds; `max` is capped at `MAX_TIMER_MS`. */
export interface DurationBounds {
  /** @default 0 */
  min?: number;
  max: number;
  /** Only whole seconds (an API that takes seconds). */
  wholeSeconds?: boolean;
}

/**
 * Milliseconds of a config duration within its setting's bounds, or the problem with it, as
 * `"600h" is too long, expected at most 24h`: the one rule of every duration setting.
 */
export function boundedDuration(
  value: unknown,
  bounds: DurationBounds,
): { ok: true; ms: number } | { ok: false; message: string } {
  const shown =
    value === undefined ? 'nothing' : typeof value === 'number' ? String(value) : JSON.stringify(value);
  const ms = typeof value === 'string' || typeof value === 'number' ? parseConfigDuration(value) : undefined;
  if (ms === undefined) {
    return {
      ok: false,
      message: `${shown} is not a duration, expected e.g. 30s, 1m, 1h30m or a number of seconds`,
    };
  }
  const max = Math.min(bounds.max, MAX_TIMER_MS);
  const min = bounds.min ?? 0;
  if (!(ms <= max))
    return { ok: false, message: `${shown} is too long, expected at most ${formatDuration(max)}` };
  if (ms < min)
    return { ok: false, message: `${shown} is too short, expected at least ${formatDuration(min)}` };
  if (bounds.wholeSeconds === true && ms % 1000 !== 0) {
    return {
      ok: false,
      message: `${shown} is not whole seconds, expected whole seconds from ${formatDuration(min)} to ${formatDuration(max)}`,
    };
  }
  return { ok: true, ms };
}

/** The problem `boundedDuration` finds with a value, undefined when it is a duration within the bounds. */
export function durationProblem(value: unknown, bounds: DurationBounds): string | undefined {
  const result = boundedDuration(value, bounds);
  return result.ok ? undefined : result.message;
}

const PROMETHEUS_UNITS: readonly [string, bigint][] = [
  ['y', 31_536_000_000n],
  ['w', 604_800_000n],
  ['d', 86_400_000n],
  ['h', 3_600_000n],
  ['m', 60_000n],
  ['s', 1000n],
  ['ms', 1n],
];

const PROMETHEUS_DURATION =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Longest duration Prometheus holds: its durations are Go time.Duration, int64 nanoseconds (about 292 years). */
const MAX_NANOSECONDS = (1n << 63n) - 1n;

/** What is wrong with a Prometheus duration text (`model.ParseDuration`, then the scrape checks). */
export type PrometheusDurationProblem = 'not-a-duration' | 'zero' | 'out-of-range';

/** Milliseconds of a Prometheus duration, or why it is none: not the grammar, zero, or past int64 nanoseconds. */
export function prometheusDuration(text: string): { ms: number } | { problem: PrometheusDurationProblem } {
  const match = text === '' ? null : PROMETHEUS_DURATION.exec(text);
  if (!match) return { problem: 'not-a-duration' };
  let ms = 0n;
  for (let i = 0; i < PROMETHEUS_UNITS.length; i++) {
    const n = match[i + 1]?.replace(/^0+(?=\d)/, '');
    if (n === undefined) continue;
    // 17 digits are past int64 nanoseconds in any unit: no need to read a 60 KB number.
    if (n.length > 16) return { problem: 'out-of-range' };
    ms += BigInt(n) * PROMETHEUS_UNITS[i]![1];
  }
  if (ms * 1_000_000n > MAX_NANOSECONDS) return { problem: 'out-of-range' };
  if (ms === 0n) return { problem: 'zero' };
  return { ms: Number(ms) };
}

/** Milliseconds of a Prometheus duration (`30s`, `1m30s`, `250ms`, `1d`), undefined unless it is one, above zero and at most ~292y. */
export function parsePrometheusDuration(text: string): number | undefined {
  const result = prometheusDuration(text);
  return 'ms' in result ? result.ms : undefined;
}

/** What a Prometheus duration problem means for a person, e.g. in `ecs-sd.interval="300000y" is out of range (…)`. */
export function prometheusDurationProblemText(problem: PrometheusDurationProblem): string {
  switch (problem) {
    case 'not-a-duration':
      return 'is not a duration';
    case 'zero':
      return 'is zero';
    case 'out-of-range':
      return 'is out of range (prometheus holds durations up to 292y)';
  }
}
