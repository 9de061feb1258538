/**
 * The checks Prometheus makes when it turns a discovered target into a scrape target
 * (`scrape/target.go` PopulateLabels, with `model.ParseDuration` and `config.CheckTargetAddress`). A target
 * failing one is dropped by Prometheus, so ecs-sd skips it with a reason rather than report a target that
 * never gets scraped.
 *
 * Not repeated here: label value validity (Prometheus drops invalid UTF-8; a JavaScript string written as
 * UTF-8 or JSON never is, a lone surrogate arrives as U+FFFD) and label names (every name ecs-sd writes is
 * `[a-zA-Z_][a-zA-Z0-9_]*`).
 */
import {
  type PrometheusDurationProblem,
  prometheusDuration,
  prometheusDurationProblemText,
} from '../lib/duration.ts';
import { bucketMs, type Interval } from '../lib/intervals.ts';
import type { Skip } from './types.ts';
import { quote } from './values.ts';

const EXPECTED: Readonly<Record<PrometheusDurationProblem, string>> = {
  'not-a-duration': ', expected a duration such as 30s or 1m',
  zero: ', expected a duration above 0',
  'out-of-range': '',
};

/**
 * Why Prometheus would drop a target with this address and labels, or undefined when it keeps it. A target
 * without `__scrape_interval__` is scraped at the interval of its bucket's job (the bucket's name). The
 * names say what set the interval and timeout, for messages (`ecs-sd.timeout`); the label names otherwise.
 */
export function scrapeProblem(
  address: string,
  labels: Readonly<Record<string, string>>,
  bucket: Interval,
  intervalName?: string,
  timeoutName?: string,
): Skip | undefined {
  if (address === '') return { reason: 'invalid-address', message: 'the target has no address' };
  if (address.includes('/')) {
    return {
      reason: 'invalid-address',
      message: `address ${quote(address)} contains "/", expected host:port (prometheus drops an address with a scheme or path)`,
    };
  }
  const intervalText = labels['__scrape_interval__'];
  const timeoutText = labels['__scrape_timeout__'];
  const shown = (label: string, name: string | undefined, text: string): string =>
    `${name ?? label}=${quote(text)}`;

  let intervalMs = bucketMs(bucket);
  if (intervalText !== undefined) {
    const interval = prometheusDuration(intervalText);
    if ('problem' in interval) {
      return {
        reason: 'invalid-endpoint',
        message: `${shown('__scrape_interval__', intervalName, intervalText)} ${prometheusDurationProblemText(interval.problem)}${EXPECTED[interval.problem]}`,
      };
    }
    intervalMs = interval.ms;
  }
  if (timeoutText === undefined) return undefined;
  const timeout = prometheusDuration(timeoutText);
  if ('problem' in timeout) {
    return {
      reason: 'invalid-endpoint',
      message: `${shown('__scrape_timeout__', timeoutName, timeoutText)} ${prometheusDurationProblemText(timeout.problem)}${EXPECTED[timeout.problem]}`,
    };
  }
  if (timeout.ms <= intervalMs) return undefined;
  const than =
    intervalText !== undefined
      ? shown('__scrape_interval__', intervalName, intervalText)
      : `the scrape interval ${bucket} of the ${bucket} bucket it lands in (no interval is declared)`;
  return {
    reason: 'invalid-endpoint',
    message: `${shown('__scrape_timeout__', timeoutName, timeoutText)} is longer than ${than}, expected a timeout at most as long as the interval (prometheus drops the target otherwise)`,
  };
}
