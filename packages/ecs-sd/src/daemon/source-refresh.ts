/**
 * One refresh of one source: select its clusters, read each (cluster-read.ts), and remove the
 * clusters that are gone. A failure of one cluster keeps that cluster's last good targets (marked
 * stale) and updates the others; a failed cluster listing keeps every cluster of the source.
 *
 * Clusters are read CLUSTER_CONCURRENCY at a time, each under its own deadline. Hosts the caches
 * lack are read once for the source (host-batch.ts): a read that reaches its hosts gives its slot to
 * the next cluster and waits for the others to reach theirs (at most HOST_BATCH_WAIT_MS). A refresh
 * that detaches stops waiting for a slow read after `detachAfterMs`: the read goes on in the
 * background while later refreshes skip its cluster, so one cluster whose calls never answer holds
 * back no other.
 */
import type { ClusterRef, ClusterSelection, HostLoader } from '../aws/fetcher.ts';
import { HostBatch } from '../aws/host-batch.ts';
import { deadline } from '../aws/timeouts.ts';
import { formatDuration } from '../lib/duration.ts';
import { type ClusterReadContext, readCluster } from './cluster-read.ts';
import { recordReadFailure } from './read-failure.ts';

/** Clusters of one source read at once: each costs a handful of calls against a shared rate budget. */
export const CLUSTER_CONCURRENCY = 4;

/** Longest a cluster read that needs hosts waits for the source's other cluster reads to need theirs. */
export const HOST_BATCH_WAIT_MS = 1000;

/** What one source's refresh did. */
export interface SourceRefreshResult {
  source: string;
  /** Clusters read successfully this refresh. */
  refreshed: number;
  /** One line per failure (`list clusters failed …`, `describe tasks failed for cluster …`). */
  failures: string[];
  /** Clusters removed (deleted or no longer selected). */
  removed: string[];
  /** Clusters whose read was still running when the refresh stopped waiting (or began): not read by this refresh. */
  pending: string[];
  /** Selecting the source's clusters failed: this line (also in `failures`). */
  selectError?: string;
}

/** A cluster read in progress: aborting it ends every call; `done` settles when it has ended. */
export interface ClusterRead {
  controller: AbortController;
  done: Promise<void>;
}

/** The reads in progress of one source's clusters, by clusterArn, shared by its refreshes. */
export type ClusterReads = Map<string, ClusterRead>;

/** What a refresh of a source needs. */
export interface RefreshContext extends ClusterReadContext {
  /** Only these cluster names (the explain command narrows to the task's cluster); undefined: all. */
  onlyClusters?: ReadonlySet<string> | undefined;
  /** Runs a cluster's read and state update exclusively (event mode applies events to the same cluster). */
  lock?: <T>(clusterArn: string, fn: () => Promise<T>) => Promise<T>;
  /** Aborts every read (the daemon is stopping): an aborted read is neither a failure nor stale. */
  signal?: AbortSignal;
  /**
   * Stop waiting for a cluster's read after this long: it goes on (until it ends or its deadline
   * passes), its cluster is `pending` in the result, and a later refresh skips that cluster while
   * its read runs. Undefined: wait for every read (`--once`, explain).
   */
  detachAfterMs?: number | undefined;
  /** The reads in progress of this source, shared by its refreshes; default: this refresh's own. */
  reads?: ClusterReads;
  /** Called when a cluster's read ended, whatever its outcome (event mode applies what waited for it). */
  onClusterDone?: (clusterArn: string) => void;
  /** Called when the refresh ended, with its start (epoch ms) and whether it read every selected cluster (the status page). */
  onSourceRefreshed?: (result: SourceRefreshResult, startedMs: number, full: boolean) => void;
}

/** Refreshes one source into the state; never throws (failures are in the result and the metrics). */
export async function refreshSource(context: RefreshContext): Promise<SourceRefreshResult> {
  const { fetcher, state, metrics, log } = context;
  const source = fetcher.source.name;
  const reads: ClusterReads = context.reads ?? new Map();
  const result: SourceRefreshResult = { source, refreshed: 0, failures: [], removed: [], pending: [] };
  const endTimer = metrics.refreshDuration.startTimer({ source });
  const startedMs = context.now();
  metrics.refreshes.inc({ source });
  try {
    const selection = await select(context, result);
    if (selection === undefined) return result;
    const only = context.onlyClusters;
    const clusters =
      only === undefined ? selection.clusters : selection.clusters.filter((c) => only.has(c.clusterName));
    const selected = new Set(selection.clusters.map((cluster) => cluster.clusterArn));
    for (const [clusterArn, read] of reads) {
      if (!selected.has(clusterArn)) read.controller.abort(new Error('cluster no longer selected'));
    }
    for (const entry of state.clustersOf(source)) {
      if (selected.has(entry.clusterArn)) continue;
      state.remove(source, entry.clusterArn);
      fetcher.forget(entry.clusterArn);
      context.onClusterRemoved?.(entry.clusterArn);
      result.removed.push(entry.clusterName);
      log.info({ source, cluster: entry.clusterName }, 'cluster removed: gone or no longer selected');
    }
    for (const id of selection.missing)
      log.warn({ source, cluster: id }, 'configured cluster does not exist');
    await readClusters(context, clusters, reads, result);
    return result;
  } finally {
    endTimer();
    context.onSourceRefreshed?.(result, startedMs, context.onlyClusters === undefined);
  }
}

/** The source's clusters, under a deadline; undefined when selecting failed (every cluster keeps its targets, stale). */
async function select(
  context: RefreshContext,
  result: SourceRefreshResult,
): Promise<ClusterSelection | undefined> {
  const { fetcher, state } = context;
  const source = fetcher.source.name;
  const selecting = deadline(
    context.timeouts.clusterRefreshMs,
    `selecting the clusters of source "${source}"`,
    'timeouts.cluster_refresh',
    context.signal,
  );
  try {
    return await fetcher.selectClusters(selecting.signal);
  } catch (error) {
    const line = recordReadFailure(context, { source }, error, selecting.signal);
    if (line === undefined) return undefined;
    for (const entry of state.clustersOf(source)) state.markStale(source, entry.clusterArn);
    result.failures.push(line);
    result.selectError = line;
    return undefined;
  } finally {
    selecting.clear();
  }
}

/** Reads the clusters, CLUSTER_CONCURRENCY at a time, their missing hosts in one batch. */
async function readClusters(
  context: RefreshContext,
  clusters: readonly ClusterRef[],
  reads: ClusterReads,
  result: SourceRefreshResult,
): Promise<void> {
  const { fetcher, log } = context;
  const source = fetcher.source.name;
  const batch = new HostBatch((ids, names) => fetcher.describeHosts(ids, names, context.signal), {
    maxWaitMs: HOST_BATCH_WAIT_MS,
  });
  const slots = new Slots(CLUSTER_CONCURRENCY);
  await Promise.all(
    clusters.map(async (cluster) => {
      const ticket = batch.join(cluster.clusterName);
      await slots.take();
      let held = true;
      const free = () => {
        if (held) slots.give();
        held = false;
      };
      if (reads.has(cluster.clusterArn)) {
        // An earlier refresh's read of this cluster is still running (slow or hung): not read twice.
        free();
        ticket.leave();
        result.pending.push(cluster.clusterName);
        log.debug({ source, cluster: cluster.clusterName }, 'cluster still being read, skipped this refresh');
        return;
      }
      const read = startRead(context, cluster, reads, result, (ids, signal) => {
        free();
        return ticket.load(ids, signal);
      });
      void read.done.finally(() => {
        free();
        ticket.leave();
      });
      if (context.detachAfterMs === undefined) return read.done;
      if (await settlesWithin(read.done, context.detachAfterMs)) return;
      free();
      ticket.leave();
      result.pending.push(cluster.clusterName);
      log.warn(
        { source, cluster: cluster.clusterName, waited: formatDuration(context.detachAfterMs) },
        'cluster read is slow, the refresh goes on without it (its last targets stand until it ends)',
      );
    }),
  );
}

/** Starts a cluster's read under its lock, with its deadline; the read is in `reads` until it ends. */
function startRead(
  context: RefreshContext,
  cluster: ClusterRef,
  reads: ClusterReads,
  result: SourceRefreshResult,
  loadHosts: HostLoader,
): ClusterRead {
  const limit = deadline(
    context.timeouts.clusterRefreshMs,
    `the read of cluster "${cluster.clusterName}"`,
    'timeouts.cluster_refresh',
    context.signal,
  );
  const exclusive = context.lock ?? (<T>(_clusterArn: string, fn: () => Promise<T>) => fn());
  const done: Promise<void> = exclusive(cluster.clusterArn, () =>
    readCluster(context, cluster, limit.signal, result, loadHosts),
  )
    .catch((error: unknown) => {
      // readCluster handles its own failures; this is a bug, logged rather than unhandled.
      context.log.error(
        { err: error, source: context.fetcher.source.name, cluster: cluster.clusterName },
        'cluster read failed unexpectedly',
      );
    })
    .finally(() => {
      limit.clear();
      if (reads.get(cluster.clusterArn)?.done === done) reads.delete(cluster.clusterArn);
      context.onClusterDone?.(cluster.clusterArn);
    });
  const read = { controller: limit.controller, done };
  reads.set(cluster.clusterArn, read);
  return read;
}

/** Resolves true when `promise` settles within `ms`, false otherwise (the promise goes on). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}

/** A counting semaphore, first come first served. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(count: number) {
    this.#free = count;
  }

  take(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  give(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#free++;
    else next();
  }
}
