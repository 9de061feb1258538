/**
 * Timeouts of AWS reads, a leaf module of facts and small signal helpers (config imports it, so it
 * imports no SDK). Two bounds make a call that never answers harmless: each attempt is aborted after
 * `timeouts.aws_request` (the SDK retries it), and each cluster's whole read in a refresh — every
 * call, retry and rate-budget wait — after `timeouts.cluster_refresh`.
 */
import { DeadlineError } from '../errors.ts';

/**
 * An attempt of an AWS call that has not answered (headers, then no byte for as long) after this
 * long is aborted and retried. ECS and EC2 reads answer in well under a second.
 */
export const AWS_REQUEST_TIMEOUT_MS = 10_000;
/** A connection not established after this long (or the request timeout, if shorter) is abandoned and retried. */
export const AWS_CONNECTION_TIMEOUT_MS = 5_000;
/**
 * Deadline of one cluster's read in a refresh. Generous, because rate-budget waits count: a cold
 * start of a 10,000-task cluster takes ~200 calls at the default budget's 10 per second, shared
 * with the other clusters. A hung call fails long before, after its attempts time out.
 */
export const CLUSTER_REFRESH_TIMEOUT_MS = 5 * 60_000;

/** Bounds of `timeouts.aws_request`. */
export const AWS_REQUEST_TIMEOUT_RANGE_MS = { min: 100, max: 5 * 60_000 } as const;
/** Bounds of `timeouts.cluster_refresh`. */
export const CLUSTER_REFRESH_TIMEOUT_RANGE_MS = { min: 1000, max: 60 * 60_000 } as const;

/** The timeouts of a daemon's AWS reads. */
export interface Timeouts {
  /** Per attempt of one AWS call. */
  awsRequestMs: number;
  /** Per cluster per refresh (and for selecting a source's clusters). */
  clusterRefreshMs: number;
}

/** The defaults, for callers that build no config (tests, the library). */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  awsRequestMs: AWS_REQUEST_TIMEOUT_MS,
  clusterRefreshMs: CLUSTER_REFRESH_TIMEOUT_MS,
};

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
