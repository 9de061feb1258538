/** Polling with a deadline, like the SDK's waiters: no fixed sleeps. */
import { setTimeout as sleep } from 'node:timers/promises';

/** The first pause between two checks; later pauses double, up to `everyMs`. */
export const FIRST_PAUSE_MS = 10;

/** How waitUntil polls; every key is optional. */
export interface WaitOptions {
  /** How long to keep trying. @default 30_000 */
  timeoutMs?: number;
  /**
   * The longest pause between two checks: pauses start at `FIRST_PAUSE_MS` and double up to this,
   * like the SDK's waiters, so a condition met at once is seen at once and a long wait polls slowly.
   * @default 100
   */
  everyMs?: number;
  /** Context for the timeout error (the last state seen, a log tail), called only on timeout. */
  describe?: () => string;
  /**
   * Keep polling when `check` throws (a server that does not listen yet) and name the last error on
   * timeout; otherwise an error from `check` ends the wait at once. @default false
   */
  retryErrors?: boolean;
  /** Stops the wait at once, throwing the signal's reason (a shutdown that should not sit out a timeout). */
  signal?: AbortSignal;
}

/**
 * Calls `check` until it returns something other than undefined or false and resolves with it; after
 * `timeoutMs` it throws an error naming `what` was awaited, so a failed wait says what never happened.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000, everyMs = 100, describe, retryErrors = false, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let pauseMs = Math.min(FIRST_PAUSE_MS, everyMs);
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      // A check that failed because the wait was stopped (its server shut down under it) ends with the signal's reason.
      signal?.throwIfAborted();
      if (!retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = describe ? `: ${describe()}` : lastError ? `: ${String(lastError)}` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${detail}`);
    }
    // An aborted sleep rejects with its own AbortError; throw the signal's reason, as above.
    await sleep(pauseMs, undefined, signal ? { signal } : undefined).catch(() => signal?.throwIfAborted());
    pauseMs = Math.min(pauseMs * 2, everyMs);
  }
}
