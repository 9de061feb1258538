/**
 * Durations as the demo reads them: Prometheus notation (`1h30m`, `20s`, `500ms`, up to `y`) as in
 * rule files, and, on the command line, bare seconds (`5`, `2.5`) as ecs-sd accepts them.
 */

const UNIT_SECONDS = { y: 31_536_000, w: 604_800, d: 86_400, h: 3600, m: 60, s: 1, ms: 0.001 } as const;
/** Prometheus's own order of units; each at most once. */
const PROMETHEUS_DURATION =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const BARE_SECONDS = /^\d+(?:\.\d+)?$/;

/** Seconds of a Prometheus duration such as `1h30m` or `20s`, or of bare seconds (`90`); undefined otherwise. */
export function durationSeconds(text: string): number | undefined {
  const d = text.trim();
  if (BARE_SECONDS.test(d)) return Number(d);
  const match = PROMETHEUS_DURATION.exec(d);
  if (match === null || d === '') return undefined;
  const units = Object.values(UNIT_SECONDS);
  return match.slice(1).reduce((total, n, i) => total + Number(n ?? 0) * units[i]!, 0);
}

/** A number of seconds as a short Prometheus duration (`90` → `1m30s`), for messages. */
export function formatSeconds(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = Math.round(seconds * 1000);
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}
