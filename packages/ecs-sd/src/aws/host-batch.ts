/**
 * One host read for the clusters of a source: the cluster reads of a refresh each join the batch,
 * then either ask for the hosts they miss (`load`) or say they need none (`leave`). The hosts are
 * read, 100 ids per DescribeInstances call, once every cluster has done one or the other, so a cold
 * start of four clusters on 100 hosts costs one DescribeInstances instead of four. A cluster that
 * is slow (or hung) holds the others back at most `maxWaitMs` after the first asked: then the hosts
 * asked for so far are read, and the slow cluster's are read when it asks.
 *
 * The shared read is not aborted by one cluster's signal (another cluster may wait for it); each
 * `load` stops waiting when its own signal aborts.
 */
import type { HostInfo } from '../discovery/types.ts';
import { type Timer, UNREF_TIMER } from '../lib/timer.ts';
import { abortable } from './timeouts.ts';

/** Reads hosts by instance id for the named clusters; throws when the read fails. */
export type HostRead = (
  ids: readonly string[],
  clusters: readonly string[],
) => Promise<ReadonlyMap<string, HostInfo>>;

/** One cluster's part in a batch: exactly one of `load` or `leave` counts, the first called. */
export interface HostTicket {
  /** Resolves with the hosts of `ids` the read found (ids it did not find are absent). */
  load(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, HostInfo>>;
  /** This cluster asks for no hosts (none missing, its read failed, or the refresh stopped waiting for it). */
  leave(): void;
}

interface Round {
  ids: Set<string>;
  clusters: string[];
  timer: unknown;
  result: Promise<ReadonlyMap<string, HostInfo>>;
  resolve(hosts: ReadonlyMap<string, HostInfo>): void;
  reject(error: unknown): void;
}

/** Merges the host reads of a refresh's cluster reads into as few calls as their timing allows. */
export class HostBatch {
  readonly #read: HostRead;
  readonly #maxWaitMs: number;
  readonly #timer: Timer;
  /** Tickets that have neither loaded nor left. */
  readonly #open = new Set<symbol>();
  #round: Round | undefined;

  constructor(read: HostRead, options: { maxWaitMs: number; timer?: Timer }) {
    this.#read = read;
    this.#maxWaitMs = options.maxWaitMs;
    this.#timer = options.timer ?? UNREF_TIMER;
  }

  /** A ticket for one cluster read; the batch waits for it until it loads or leaves. */
  join(cluster: string): HostTicket {
    const id = Symbol(cluster);
    this.#open.add(id);
    return {
      load: (ids, signal) => {
        const round = this.#roundFor(ids, cluster);
        this.#arrive(id);
        return abortable(round.result, signal).then((hosts) => {
          const mine = new Map<string, HostInfo>();
          for (const hostId of ids) {
            const host = hosts.get(hostId);
            if (host !== undefined) mine.set(hostId, host);
          }
          return mine;
        });
      },
      leave: () => this.#arrive(id),
    };
  }

  #roundFor(ids: readonly string[], cluster: string): Round {
    let round = this.#round;
    if (round === undefined) {
      let resolve!: (hosts: ReadonlyMap<string, HostInfo>) => void;
      let reject!: (error: unknown) => void;
      const result = new Promise<ReadonlyMap<string, HostInfo>>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A waiter that stopped waiting leaves no unhandled rejection behind.
      result.catch(() => {});
      round = { ids: new Set(), clusters: [], timer: undefined, result, resolve, reject };
      const started = round;
      round.timer = this.#timer.set(() => this.#fire(started), this.#maxWaitMs);
      this.#round = round;
    }
    for (const id of ids) round.ids.add(id);
    round.clusters.push(cluster);
    return round;
  }

  #arrive(id: symbol): void {
    this.#open.delete(id);
    if (this.#open.size === 0 && this.#round !== undefined) this.#fire(this.#round);
  }

  /** Reads the round's hosts; later loads start a new round. */
  #fire(round: Round): void {
    if (this.#round !== round) return;
    this.#round = undefined;
    this.#timer.clear(round.timer);
    Promise.resolve()
      .then(() => this.#read([...round.ids], round.clusters))
      .then(
        (hosts) => round.resolve(hosts),
        (error: unknown) => round.reject(error),
      );
  }
}
