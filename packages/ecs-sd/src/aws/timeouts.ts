/**
 * Timeouts of AWS reads: the signal helpers, and the defaults and bounds of `lib/timeouts.ts`
 * re-exported. Two bounds make a call that never answers harmless: each attempt is aborted after
 * `timeouts.aws_request` (the SDK retries it), and each cluster's whole read in a refresh — every
 * call, retry and rate-budget wait — after `timeouts.cluster_refresh`.
 */
import { DeadlineError } from '../errors.ts';

export {
  AWS_CONNECTION_TIMEOUT_MS,
  AWS_REQUEST_TIMEOUT_MS,
  AWS_REQUEST_TIMEOUT_RANGE_MS,
  CLUSTER_REFRESH_TIMEOUT_MS,
  CLUSTER_REFRESH_TIMEOUT_RANGE_MS,
  DEFAULT_TIMEOUTS,
  type Timeouts,
} from '../lib/timeouts.ts';

/** A signal that aborts with a `DeadlineError` after `ms`, or with `parent`'s reason; `clear()` drops the timer. */
export function deadline(
  ms: number,
  what: string,
  timeout: string,
  parent?: AbortSignal,
): { signal: AbortSignal; controller: AbortController; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeadlineError(what, timeout, ms)), ms);
  timer.unref();
  const signal = parent === undefined ? controller.signal : AbortSignal.any([controller.signal, parent]);
  return { signal, controller, clear: () => clearTimeout(timer) };
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts (the work itself goes on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** What made a read fail in time: an attempt timed out (after the SDK's retries), or a deadline passed. */
export type TimeoutKind = { kind: 'request' } | { kind: 'deadline'; error: DeadlineError };

/**
 * The timeout behind an error, following `cause`s: `TimeoutError` is what the SDK's HTTP handler
 * throws for its request, socket and connection timeouts; a `DeadlineError` is the reason of an
 * aborted signal (the SDK wraps it as the cause of an `AbortError`). Undefined for anything else.
 */
export function timeoutOf(error: unknown): TimeoutKind | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    if (current instanceof DeadlineError) return { kind: 'deadline', error: current };
    if (current.name === 'TimeoutError') return { kind: 'request' };
    current = current.cause;
  }
  return undefined;
}
