/**
 * One refresh at a time: a full refresh asked for during another full one shares it; a partial
 * one (some sources or clusters), or a full one during a partial one, waits for the one in flight
 * and then runs. After a stop, a waiting refresh gets the one it waited for instead of running.
 */
export class RefreshGate<T> {
  #inFlight: Promise<T> | undefined;
  /** True while the refresh in flight covers only some sources or clusters. */
  #inFlightPartial = false;

  readonly #stopped: () => boolean;

  constructor(stopped: () => boolean) {
    this.#stopped = stopped;
  }

  run(partial: boolean, refresh: () => Promise<T>): Promise<T> {
    if (this.#inFlight !== undefined) {
      if (!partial && !this.#inFlightPartial) return this.#inFlight;
      const running = this.#inFlight;
      return running
        .catch(() => undefined)
        .then(() => (this.#stopped() ? running : this.run(partial, refresh)));
    }
    const current = refresh().finally(() => {
      this.#inFlight = undefined;
      this.#inFlightPartial = false;
    });
    this.#inFlight = current;
    this.#inFlightPartial = partial;
    return current;
  }

  /** Settles when the refresh in flight (if any) has ended, whatever its outcome. */
  async settled(): Promise<void> {
    await this.#inFlight?.catch(() => {});
  }
}
