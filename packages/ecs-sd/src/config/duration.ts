/** Prometheus-style durations (`90s`, `1m30s`, `2h`, `500ms`) and bare seconds (`60`, the Python tool's `--interval`). */

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const SECONDS = /^\d+(?:\.\d+)?$/;

/** Milliseconds of a duration string or a number of seconds; undefined when it is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
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
