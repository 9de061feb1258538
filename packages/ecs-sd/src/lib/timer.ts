/** Timers as a dependency, so time is a test input: the refresh loop, the publisher and the host batch take one. */

/** Sets and clears one-shot timers; tests pass a fake one whose time moves when they say. */
export interface Timer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Node's timers, unref'd: a timer alone never holds the process open (the work it starts does). */
export const UNREF_TIMER: Timer = {
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
