/** Timers whose time moves only when a test says so: for the loop, the host batch and the runtime's clock. */

/** A fake clock with timers; `set`/`clear` fit `LoopTimer` and `BatchTimer`, `now` fits a `now` dependency. */
export class FakeTimer {
  time = 0;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  readonly now = (): number => this.time;

  set(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clear(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Delays of the timers still pending, from now, soonest first. */
  pending(): number[] {
    return [...this.#timers.values()].map((timer) => timer.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in time order and letting their promise reactions run. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, timer]) => timer.at <= end)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every promise reaction queued so far run (a few macrotask turns). */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}
