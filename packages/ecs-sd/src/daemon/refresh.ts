/**
 * One refresh of one source: select its clusters, snapshot each, decide, and update the state.
 * A failure of one cluster keeps that cluster's last good targets (marked stale) and updates the
 * others; a failed cluster listing keeps every cluster of the source. Gone clusters are removed.
 */
import type { Logger } from 'pino';
import type { ClusterSelection, SourceFetcher } from '../aws/fetch.ts';
import { mapLimit } from '../aws/fetch.ts';
import { discoverCluster } from '../discovery/index.ts';
import type { DiscoveryOptions } from '../discovery/types.ts';
import type { PolledCluster } from '../events/task-store.ts';
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
}

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
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.name}: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** Refreshes one source into the state; never throws (failures are in the result and the metrics). */
export async function refreshSource(context: RefreshContext): Promise<SourceRefreshResult> {
  const { fetcher, state, options, metrics, log, now } = context;
  const source = fetcher.source.name;
  const result: SourceRefreshResult = { source, refreshed: 0, failures: [], removed: [] };
  const endTimer = metrics.refreshDuration.startTimer({ source });
  metrics.refreshes.inc({ source });
  try {
    let selection: ClusterSelection;
    try {
      selection = await fetcher.selectClusters();
    } catch (error) {
      metrics.refreshFailures.inc({ source, cluster: '' });
      log.warn({ err: error, source }, 'selecting clusters failed, keeping every cluster of the source');
      for (const entry of state.clustersOf(source)) state.markStale(source, entry.clusterArn);
      result.failures.push(messageOf(error));
      return result;
    }
    const clusters =
      context.onlyClusters === undefined
        ? selection.clusters
        : selection.clusters.filter((cluster) => context.onlyClusters!.has(cluster.clusterName));
    const selected = new Set(selection.clusters.map((cluster) => cluster.clusterArn));
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
    await mapLimit(clusters, CLUSTER_CONCURRENCY, (cluster) =>
      exclusive(cluster.clusterArn, async () => {
        try {
          const polledAt = now();
          const fetched = await fetcher.fetchCluster(cluster);
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
          metrics.refreshFailures.inc({ source, cluster: cluster.clusterName });
          state.markStale(source, cluster.clusterArn);
          result.failures.push(messageOf(error));
          log.warn(
            { err: error, source, cluster: cluster.clusterName },
            'cluster refresh failed, keeping its last targets',
          );
        }
      }),
    );
    return result;
  } finally {
    endTimer();
  }
}
