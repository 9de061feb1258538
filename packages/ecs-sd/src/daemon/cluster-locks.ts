/**
 * One poll or event apply of a cluster at a time: a poll's state update and an event apply of the
 * same cluster never interleave, while other clusters go on. Keyed by source and cluster ARN.
 */

/** Per-cluster mutual exclusion by promise chaining; an entry lives only while work is queued. */
export class ClusterLocks {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` when no earlier work of this cluster is running, and holds the cluster until it ends. */
  run<T>(source: string, clusterArn: string, fn: () => Promise<T>): Promise<T> {
    const key = `${source}\u0000${clusterArn}`;
    const before = this.#tails.get(key) ?? Promise.resolve();
    const run = before.then(fn);
    const held = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, held);
    void held.then(() => {
      if (this.#tails.get(key) === held) this.#tails.delete(key);
    });
    return run;
  }

  /** Clusters with work running or queued. */
  get size(): number {
    return this.#tails.size;
  }
}
