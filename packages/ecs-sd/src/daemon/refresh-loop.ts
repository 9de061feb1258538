/**
 * The refresh loop: refresh now, then again `intervalMs()` after each refresh ends, so refreshes
 * never overlap. A refresh that throws is reported to `onError` and the loop goes on (the state
 * keeps what it had: better stale than partial). Like Prometheus's discovery/refresh/refresh.go,
 * and nothing more: what a refresh does is the caller's. The timer is injected (tests pass a fake
 * one) and unref'd by default; stop() clears it.
 */
import { type Timer, UNREF_TIMER } from '../lib/timer.ts';

/** What the loop runs. */
export interface RefreshLoopOptions {
  /** One refresh. */
  refresh: () => Promise<unknown>;
  /** Time from the end of one refresh to the start of the next, asked after each refresh. */
  intervalMs: () => number;
  /** Receives what a refresh threw; the loop goes on. */
  onError: (error: unknown) => void;
  timer?: Timer;
}

/** Refreshes now and then every interval after each refresh ends, until stopped. */
export class RefreshLoop {
  readonly #options: RefreshLoopOptions;
  readonly #timer: Timer;
  #handle: unknown;
  #running: Promise<void> | undefined;
  #stopped = true;
  /** Set by `runSoon` while a refresh runs: the next one starts as soon as it ends. */
  #again = false;

  constructor(options: RefreshLoopOptions) {
    this.#options = options;
    this.#timer = options.timer ?? UNREF_TIMER;
  }

  /** Starts the loop with a refresh now; a second call while running is a no-op. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tick();
  }

  /** True while a next refresh is scheduled or running. */
  scheduled(): boolean {
    return !this.#stopped && (this.#handle !== undefined || this.#running !== undefined);
  }

  /** The refresh in flight, if any (resolves when it has ended, whatever its outcome). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /** Brings the next refresh to `ms` from now; no-op while a refresh runs (the next is scheduled when it ends). */
  reschedule(ms: number): void {
    if (this.#stopped || this.#handle === undefined) return;
    this.#timer.clear(this.#handle);
    this.#handle = this.#timer.set(() => this.#tick(), ms);
  }

  /** Refreshes now, or right after the refresh in flight (a reload changed what is read). */
  runSoon(): void {
    if (this.#stopped) return;
    if (this.#handle === undefined) {
      this.#again = true;
      return;
    }
    this.reschedule(0);
  }

  /** Stops scheduling; a refresh in flight is not waited for (see `running`). */
  stop(): void {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#timer.clear(this.#handle);
    this.#handle = undefined;
  }

  #tick(): void {
    this.#handle = undefined;
    const run = (async () => {
      try {
        await this.#options.refresh();
      } catch (error) {
        try {
          this.#options.onError(error);
        } catch {
          // An onError that throws must not end the loop.
        }
      }
    })();
    this.#running = run;
    void run.then(() => {
      this.#running = undefined;
      const delay = this.#again ? 0 : this.#options.intervalMs();
      this.#again = false;
      if (!this.#stopped) this.#handle = this.#timer.set(() => this.#tick(), delay);
    });
  }
}
