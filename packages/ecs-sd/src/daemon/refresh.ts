/**
 * One refresh of one source: select its clusters, snapshot each, decide, and update the state.
 * A failure of one cluster keeps that cluster's last good targets (marked stale) and updates the
 * others; a failed cluster listing keeps every cluster of the source. Gone clusters are removed.
 * Each cluster's read has a deadline; a refresh that detaches stops waiting for a slow read, which
 * goes on in the background while later refreshes skip its cluster, so one cluster whose calls
 * never answer holds back no other.
 */
import type { Logger } from 'pino';
import type { ClusterRef, ClusterSelection, SourceFetcher } from '../aws/fetch.ts';
import { mapLimit } from '../aws/fetch.ts';
import { DEFAULT_TIMEOUTS, deadline, type Timeouts, timeoutOf } from '../aws/timeouts.ts';
import { discoverCluster } from '../discovery/index.ts';
import type { DiscoveryOptions } from '../discovery/types.ts';
import { AwsReadError, DeadlineError } from '../errors.ts';
import type { PolledCluster } from '../events/task-store.ts';
import { formatDuration } from '../lib/duration.ts';
import type { Metrics } from '../metrics.ts';
import type { DiscoveryState } from './state.ts';

/** Clusters of one source read at once: each costs a handful of calls against a shared rate budget. */
export const CLUSTER_CONCURRENCY = 4;

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
}

/** A cluster read in progress: aborting it ends every call; `done` settles when it has ended. */
export interface ClusterRead {
  controller: AbortController;
  done: Promise<void>;
}

/** The reads in progress of one source's clusters, by clusterArn, shared by its refreshes. */
export type ClusterReads = Map<string, ClusterRead>;

/** What a refresh of a source needs. */
export interface RefreshContext {
  fetcher: SourceFetcher;
  state: DiscoveryState;
  options: DiscoveryOptions;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  /** Only these cluster names (the explain command narrows to the task's cluster); undefined: all. */
  onlyClusters?: ReadonlySet<string>;
  /** Called each time one cluster's targets were replaced, so a cold start can publish cluster by cluster. */
  onClusterUpdated?: () => void;
  /** Called with what a poll of a cluster read (event mode records the versions), before its state is updated. */
  onClusterPolled?: (clusterArn: string, poll: PolledCluster) => void;
  /** Called when a cluster is removed (deleted or no longer selected). */
  onClusterRemoved?: (clusterArn: string) => void;
  /** Runs a cluster's read and state update exclusively (event mode applies events to the same cluster). */
  lock?: <T>(clusterArn: string, fn: () => Promise<T>) => Promise<T>;
  /** Per-attempt and per-cluster timeouts. @default DEFAULT_TIMEOUTS */
  timeouts?: Timeouts;
  /** Aborts every read (the daemon is stopping): an aborted read is neither a failure nor stale. */
  signal?: AbortSignal;
  /**
   * Stop waiting for a cluster's read after this long: it goes on (until it ends or its deadline
   * passes), its cluster is `pending` in the result, and a later refresh skips that cluster while
   * its read runs. Undefined: wait for every read (`--once`, explain).
   */
  detachAfterMs?: number;
  /** The reads in progress of this source, shared by its refreshes; default: this refresh's own. */
  reads?: ClusterReads;
  /** Called when a cluster's read ended, whatever its outcome (event mode applies what waited for it). */
  onClusterDone?: (clusterArn: string) => void;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.name}: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** Why a read failed, for the log line and the metrics. */
type ReadFailure =
  /** Aborted, not by its deadline (the daemon stopping, the cluster no longer selected): not a failure. */
  | { kind: 'aborted' }
  /** Every attempt of a call timed out (`aws_request`), or the read passed its deadline (`cluster_refresh`). */
  | {
      kind: 'timeout';
      timeout: 'aws_request' | 'cluster_refresh';
      after: string;
      operation: string | undefined;
    }
  | { kind: 'error' };

/**
 * Classifies a failed read by its signal first (the SDK may throw an `AbortError` without the
 * reason once its signal aborted), then by the error's causes.
 */
function readFailure(error: unknown, signal: AbortSignal, timeouts: Timeouts): ReadFailure {
  const operation = error instanceof AwsReadError ? error.operation : undefined;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof DeadlineError
      ? { kind: 'timeout', timeout: 'cluster_refresh', after: formatDuration(reason.timeoutMs), operation }
      : { kind: 'aborted' };
  }
  const hit = timeoutOf(error);
  if (hit === undefined) return { kind: 'error' };
  return hit.kind === 'deadline'
    ? { kind: 'timeout', timeout: 'cluster_refresh', after: formatDuration(hit.error.timeoutMs), operation }
    : { kind: 'timeout', timeout: 'aws_request', after: formatDuration(timeouts.awsRequestMs), operation };
}

/** Resolves true when `promise` settles within `ms`, false otherwise (the promise goes on). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** Refreshes one source into the state; never throws (failures are in the result and the metrics). */
export async function refreshSource(context: RefreshContext): Promise<SourceRefreshResult> {
  const { fetcher, state, metrics, log } = context;
  const source = fetcher.source.name;
  const timeouts = context.timeouts ?? DEFAULT_TIMEOUTS;
  const reads: ClusterReads = context.reads ?? new Map();
  const result: SourceRefreshResult = { source, refreshed: 0, failures: [], removed: [], pending: [] };
  const endTimer = metrics.refreshDuration.startTimer({ source });
  metrics.refreshes.inc({ source });
  try {
    let selection: ClusterSelection;
    const selecting = deadline(
      timeouts.clusterRefreshMs,
      `selecting the clusters of source "${source}"`,
      'timeouts.cluster_refresh',
      context.signal,
    );
    try {
      selection = await fetcher.selectClusters(selecting.signal);
    } catch (error) {
      const hit = readFailure(error, selecting.signal, timeouts);
      if (hit.kind === 'aborted') return result;
      metrics.refreshFailures.inc({ source, cluster: '' });
      if (hit.kind === 'error') {
        log.warn({ err: error, source }, 'selecting clusters failed, keeping every cluster of the source');
      } else {
        metrics.refreshTimeouts.inc({ source, cluster: '', timeout: hit.timeout });
        log.warn(
          { err: error, source, operation: hit.operation, timeout: `timeouts.${hit.timeout}=${hit.after}` },
          'selecting clusters timed out, keeping every cluster of the source',
        );
      }
      for (const entry of state.clustersOf(source)) state.markStale(source, entry.clusterArn);
      result.failures.push(messageOf(error));
      return result;
    } finally {
      selecting.clear();
    }
    const clusters =
      context.onlyClusters === undefined
        ? selection.clusters
        : selection.clusters.filter((cluster) => context.onlyClusters!.has(cluster.clusterName));
    const selected = new Set(selection.clusters.map((cluster) => cluster.clusterArn));
    for (const [clusterArn, read] of reads) {
      if (!selected.has(clusterArn)) read.controller.abort(new Error('cluster no longer selected'));
    }
    for (const entry of state.clustersOf(source)) {
      if (!selected.has(entry.clusterArn)) {
        state.remove(source, entry.clusterArn);
        fetcher.forget(entry.clusterArn);
        context.onClusterRemoved?.(entry.clusterArn);
        result.removed.push(entry.clusterName);
        log.info({ source, cluster: entry.clusterName }, 'cluster removed: gone or no longer selected');
      }
    }
    for (const id of selection.missing)
      log.warn({ source, cluster: id }, 'configured cluster does not exist');

    const exclusive = context.lock ?? (<T>(_clusterArn: string, fn: () => Promise<T>) => fn());
    /** Starts a cluster's read under its lock, with its deadline; the read is in `reads` until it ends. */
    const startRead = (cluster: ClusterRef): ClusterRead => {
      const limit = deadline(
        timeouts.clusterRefreshMs,
        `the read of cluster "${cluster.clusterName}"`,
        'timeouts.cluster_refresh',
        context.signal,
      );
      const done = exclusive(cluster.clusterArn, () => readCluster(context, cluster, limit.signal, result))
        .catch((error: unknown) => {
          // readCluster handles its own failures; this is a bug, logged rather than unhandled.
          log.error({ err: error, source, cluster: cluster.clusterName }, 'cluster read failed unexpectedly');
        })
        .finally(() => {
          limit.clear();
          if (reads.get(cluster.clusterArn)?.done === done) reads.delete(cluster.clusterArn);
          context.onClusterDone?.(cluster.clusterArn);
        });
      const read = { controller: limit.controller, done };
      reads.set(cluster.clusterArn, read);
      return read;
    };
    await mapLimit(clusters, CLUSTER_CONCURRENCY, async (cluster) => {
      if (reads.has(cluster.clusterArn)) {
        // An earlier refresh's read of this cluster is still running (slow or hung): not read twice.
        result.pending.push(cluster.clusterName);
        log.debug({ source, cluster: cluster.clusterName }, 'cluster still being read, skipped this refresh');
        return;
      }
      const read = startRead(cluster);
      if (context.detachAfterMs === undefined) return read.done;
      if (await settlesWithin(read.done, context.detachAfterMs)) return;
      result.pending.push(cluster.clusterName);
      log.warn(
        { source, cluster: cluster.clusterName, waited: formatDuration(context.detachAfterMs) },
        'cluster read is slow, the refresh goes on without it (its last targets stand until it ends)',
      );
    });
    return result;
  } finally {
    endTimer();
  }
}

/**
 * Reads one cluster under its deadline `signal` and updates the state; never throws. A failure (an
 * error, a timeout) keeps the cluster's last targets, marked stale, and is counted; an abort that is
 * not a deadline (the daemon stopping, the cluster no longer selected) changes nothing.
 */
async function readCluster(
  context: RefreshContext,
  cluster: ClusterRef,
  signal: AbortSignal,
  result: SourceRefreshResult,
): Promise<void> {
  const { fetcher, state, options, metrics, log, now } = context;
  const source = fetcher.source.name;
  try {
    const polledAt = now();
    const fetched = await fetcher.fetchCluster(cluster, signal);
    // Aborted after the last call answered: nothing of it lands (a removed cluster stays removed).
    signal.throwIfAborted();
    if (fetched.kind === 'gone') {
      fetcher.forget(cluster.clusterArn);
      context.onClusterRemoved?.(cluster.clusterArn);
      if (state.clustersOf(source).some((entry) => entry.clusterArn === cluster.clusterArn)) {
        state.remove(source, cluster.clusterArn);
        result.removed.push(cluster.clusterName);
        log.info({ source, cluster: cluster.clusterName }, 'cluster removed: ClusterNotFoundException');
      }
      return;
    }
    context.onClusterPolled?.(cluster.clusterArn, {
      listed: fetched.listed,
      described: fetched.kind === 'ok' ? fetched.snapshot.tasks : [],
      polledAt,
    });
    if (fetched.kind === 'unchanged') {
      // Same tasks, all cached, every decision final: the last targets still hold, no CPU spent on them.
      if (state.touch(source, cluster.clusterArn, now())) result.refreshed++;
      else fetcher.forget(cluster.clusterArn);
      return;
    }
    const discovery = discoverCluster(fetched.snapshot, options);
    let { decisions, targets } = discovery;
    if (fetched.keep.size > 0) {
      // Cached tasks were not described again: their last decisions (and targets) stand.
      const kept = (state.entry(source, cluster.clusterArn)?.decisions ?? []).filter((decision) =>
        fetched.keep.has(decision.taskArn),
      );
      if (kept.length !== fetched.keep.size) {
        fetcher.forget(cluster.clusterArn);
        throw new Error(
          `cached tasks of cluster "${cluster.clusterName}" have no last decision: got ${kept.length}, expected ${fetched.keep.size}; the cluster is read afresh next refresh`,
        );
      }
      decisions = [...kept, ...discovery.decisions].sort((a, b) =>
        a.taskArn < b.taskArn ? -1 : a.taskArn > b.taskArn ? 1 : 0,
      );
      targets = [
        ...kept.flatMap((decision) => decision.containers.flatMap((container) => container.targets)),
        ...discovery.targets,
      ];
    }
    fetcher.settle(cluster.clusterArn, decisions);
    state.update({
      source,
      clusterArn: cluster.clusterArn,
      clusterName: cluster.clusterName,
      targets,
      decisions,
      lastSuccessMs: now(),
    });
    // A zero series per cluster, so dashboards and rate() see "no failures" rather than no data.
    metrics.refreshFailures.inc({ source, cluster: cluster.clusterName }, 0);
    result.refreshed++;
    context.onClusterUpdated?.();
  } catch (error) {
    const hit = readFailure(error, signal, context.timeouts ?? DEFAULT_TIMEOUTS);
    if (hit.kind === 'aborted') {
      log.debug({ err: error, source, cluster: cluster.clusterName }, 'cluster read aborted');
      return;
    }
    metrics.refreshFailures.inc({ source, cluster: cluster.clusterName });
    state.markStale(source, cluster.clusterArn);
    result.failures.push(
      hit.kind === 'timeout' && hit.timeout === 'cluster_refresh' && signal.reason instanceof Error
        ? `${signal.reason.message}${hit.operation === undefined ? '' : ` (during ${hit.operation})`}`
        : messageOf(error),
    );
    if (hit.kind === 'error') {
      log.warn(
        { err: error, source, cluster: cluster.clusterName },
        'cluster refresh failed, keeping its last targets',
      );
      return;
    }
    metrics.refreshTimeouts.inc({ source, cluster: cluster.clusterName, timeout: hit.timeout });
    log.warn(
      {
        err: error,
        source,
        cluster: cluster.clusterName,
        operation: hit.operation,
        timeout: `timeouts.${hit.timeout}=${hit.after}`,
      },
      'cluster refresh timed out, keeping its last targets',
    );
  }
}
