/**
 * The value shapes the config schema is made of: anchored RE2 patterns, bounded durations parsed
 * into milliseconds, interval names and ports. Each parses its value once, into what `Config` holds.
 */
import { z } from 'zod';
import { boundedDuration, type DurationBounds } from '../lib/duration.ts';
import { INTERVALS } from '../lib/intervals.ts';
import { compilePattern, type Pattern } from '../lib/pattern.ts';

/** A value as problems quote it: JSON, or `nothing`. */
export function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Smallest refresh interval accepted: ECS read APIs refill 20 tokens per second per account and Region. */
export const MIN_REFRESH_INTERVAL_MS = 1000;
/** Longest refresh_interval and reconcile_interval: targets a day old are as good as none. */
export const MAX_REFRESH_INTERVAL_MS = 86_400_000;

/** A user regex, compiled once into an anchored RE2 `Pattern` (Prometheus semantics); unsupported syntax is a problem. */
export const regex = z.string().transform((value, ctx): Pattern => {
  const compiled = compilePattern(value);
  if (compiled.ok) return compiled.value;
  ctx.addIssue({ code: 'custom', message: compiled.message });
  return z.NEVER;
});

/**
 * A duration key (Prometheus notation or seconds) within its bounds, parsed into milliseconds;
 * every duration key has a maximum. Give its default with `.prefault('60s')`: written as users
 * write it (help shows it), parsed like a value from the file.
 */
export function durationWithin(bounds: DurationBounds) {
  return z.custom<string | number>().transform((value, ctx): number => {
    const parsed = boundedDuration(value, bounds);
    if (parsed.ok) return parsed.ms;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });
}

/** One of the interval buckets, by name. */
export const interval = z.enum(INTERVALS);

/** A TCP port, 1 to 65535. */
export const port = z.custom<number>(
  (value) => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535,
  { error: (issue) => `${show(issue.input)} is not a port, expected 1-65535` },
);
