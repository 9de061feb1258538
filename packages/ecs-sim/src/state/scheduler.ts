interface Step {
  key: object;
  due: number;
  order: number;
  run: () => void;
  background: boolean;
}

const before = (a: Step, b: Step): boolean => a.due < b.due || (a.due === b.due && a.order < b.order);

/**
 * A drivable clock of pending lifecycle steps: a binary heap (stale entries skipped lazily) with one unref'd timer for
 * the earliest step, plus `advance()` and `settle()` so tests can reach a state deterministically.
 */
export class Scheduler {
  readonly #steps = new Map<object, Step>();
  readonly #heap: Step[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #skew = 0;
  #order = 0;
  #foreground = 0;
  #closed = false;

  /** Monotonic milliseconds (performance.now plus whatever `advance()` and `settle()` added). */
  now(): number {
    return performance.now() + this.#skew;
  }

  /**
   * Schedules `run` for `key` after `delayMs`, replacing any step already pending for that key. Background steps
   * (housekeeping such as forgetting STOPPED tasks) only run when due, never from `settle()`.
   */
  schedule(key: object, delayMs: number, run: () => void, background = false): void {
    if (this.#closed) return;
    this.cancel(key);
    const step: Step = { key, due: this.now() + delayMs, order: this.#order++, run, background };
    this.#steps.set(key, step);
    if (!background) this.#foreground++;
    this.#push(step);
    if (step.due < this.#timerDue) this.#arm();
  }

  /** Drops the pending step of `key`. */
  cancel(key: object): void {
    const s = this.#steps.get(key);
    if (!s) return;
    this.#steps.delete(key);
    if (!s.background) this.#foreground--;
  }

  /** Number of pending lifecycle (non-background) steps. */
  get pending(): number {
    return this.#foreground;
  }

  /** Moves the clock forward by `ms` and runs every step that became due. */
  advance(ms: number): void {
    this.#skew += ms;
    this.#runDue();
  }

  /** Runs every pending lifecycle step (and the steps they schedule) now, in due order, until none is left. */
  settle(maxSteps = 10_000_000): number {
    let ran = 0;
    const parked: Step[] = [];
    while (this.#foreground > 0 && ran < maxSteps) {
      const s = this.#pop();
      if (!s) break;
      if (this.#steps.get(s.key) !== s) continue;
      if (s.background) {
        parked.push(s);
        continue;
      }
      if (s.due > this.now()) this.#skew += s.due - this.now();
      this.#take(s);
      s.run();
      ran++;
    }
    for (const s of parked) if (this.#steps.get(s.key) === s) this.#push(s);
    this.#arm();
    return ran;
  }

  /** Stops the timer and forgets every step (after close() nothing fires). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#steps.clear();
    this.#heap.length = 0;
    this.#foreground = 0;
  }

  #take(s: Step): void {
    this.#steps.delete(s.key);
    if (!s.background) this.#foreground--;
  }

  #runDue(): void {
    for (;;) {
      const top = this.#peek();
      if (!top || top.due > this.now()) break;
      this.#pop();
      this.#take(top);
      top.run();
    }
    this.#arm();
  }

  /** The earliest live step, dropping stale heap entries on the way. */
  #peek(): Step | undefined {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (this.#steps.get(top.key) === top) return top;
      this.#pop();
    }
    return undefined;
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    const top = this.#peek();
    if (!top) return;
    this.#timerDue = top.due;
    this.#timer = setTimeout(() => this.#runDue(), Math.max(0, top.due - this.now()));
    this.#timer.unref();
  }

  #push(s: Step): void {
    const h = this.#heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Step | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
