/**
 * Runs a publish function once per burst of triggers: after `delayMs` of quiet, and never later than
 * `maxDelayMs` after the first trigger of the burst, so a steady stream of events still publishes
 * within a second. Runs never overlap; a trigger during a run schedules one more run after it.
 */

/** Options of `createCoalescer`. */
export interface CoalescerOptions {
  /** Quiet time that ends a burst. @default 100 */
  delayMs?: number;
  /** Longest wait from the first trigger of a burst to the run. @default 1000 */
  maxDelayMs?: number;
  /** Receives an error thrown (or rejected) by fn; the coalescer keeps working, even if this throws. @default ignore */
  onError?: (err: unknown) => void;
}

/** A coalescing trigger around one function. */
export interface Coalescer {
  /** Asks for a run; many triggers within a burst give one run. */
  trigger(): void;
  /** Runs now if a run is pending (or waits for the one in progress); resolves when no run is pending. */
  flush(): Promise<void>;
  /** Drops a pending run and stops scheduling new ones; a run in progress finishes. */
  cancel(): void;
  /** True while a run is scheduled or in progress. */
  readonly pending: boolean;
}

/** Wraps `fn` so that bursts of `trigger()` run it once, within `maxDelayMs` of the burst's first trigger. */
export function createCoalescer(fn: () => unknown, options: CoalescerOptions = {}): Coalescer {
  const delayMs = options.delayMs ?? 100;
  const maxDelayMs = Math.max(options.maxDelayMs ?? 1000, delayMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstAt: number | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let cancelled = false;

  const schedule = (): void => {
    if (cancelled || firstAt === undefined) return;
    if (timer !== undefined) clearTimeout(timer);
    const wait = Math.max(0, Math.min(delayMs, firstAt + maxDelayMs - Date.now()));
    timer = setTimeout(() => void run(), wait);
  };

  const run = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (running) {
      again = true;
      return running;
    }
    firstAt = undefined;
    running = (async () => {
      try {
        await fn();
      } catch (err) {
        try {
          options.onError?.(err);
        } catch {
          // An onError that throws must not turn into an unhandled rejection of the timer's run.
        }
      }
    })();
    await running;
    running = undefined;
    if (again && !cancelled) {
      again = false;
      firstAt = Date.now();
      schedule();
    }
  };

  return {
    trigger() {
      if (cancelled) return;
      if (running) {
        again = true;
        return;
      }
      firstAt ??= Date.now();
      schedule();
    },
    async flush() {
      while (timer !== undefined || running !== undefined) {
        if (running) await running;
        else await run();
      }
    },
    cancel() {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      firstAt = undefined;
      again = false;
    },
    get pending() {
      return timer !== undefined || running !== undefined;
    },
  };
}
