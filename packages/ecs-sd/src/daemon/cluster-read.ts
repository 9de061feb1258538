/**
 * One poll of one cluster into the state: ListTasks, the describe plan (which tasks to describe
 * again, from the cluster's last decisions), the fetcher's read of exactly those, the decisions,
 * and the state update. A cluster whose listing equals its final decisions is not decided again.
 * Never throws: a failure keeps the cluster's last targets, marked stale, and is recorded once.
 */
import type { Logger } from 'pino';
import type { ClusterRef, HostLoader, SourceFetcher } from '../aws/fetcher.ts';
import type { Timeouts } from '../aws/timeouts.ts';
import { discoverCluster, planDescribe } from '../discovery/index.ts';
import type { DiscoveryOptions, TaskDecision } from '../discovery/types.ts';
import type { PolledCluster } from '../events/task-store.ts';
import type { Metrics } from '../metrics.ts';
import { recordReadFailure } from './read-failure.ts';
import type { DiscoveryState } from './state.ts';

/** What reading a cluster needs, and the hooks that follow it. */
export interface ClusterReadContext {
  fetcher: SourceFetcher;
  state: DiscoveryState;
  options: DiscoveryOptions;
  metrics: Metrics;
  log: Logger;
  now: () => number;
  timeouts: Timeouts;
  /** Describe a task with a final decision again once its description is this old (`task_reread_interval`); undefined: never. */
  taskRereadAfterMs?: number | undefined;
  /** Called each time one cluster's targets were replaced, so a cold start can publish cluster by cluster. */
  onClusterUpdated?: () => void;
  /** Called with what a poll of a cluster read (event mode records the versions), before its state is updated. */
  onClusterPolled?: (clusterArn: string, poll: PolledCluster) => void;
  /** Called when a cluster is removed (deleted or no longer selected). */
  onClusterRemoved?: (clusterArn: string) => void;
  /** Called when a read ended, successfully or with its failure's line; not when aborted (the status page). */
  onClusterRead?: (report: ClusterReadReport) => void;
}

/** One read of one cluster: when, how long, and its failure's line when it failed. */
export interface ClusterReadReport {
  source: string;
  clusterArn: string;
  clusterName: string;
  startedMs: number;
  endedMs: number;
  error?: string;
}

/** What one cluster read adds to its source's refresh result. */
export interface ClusterReadTally {
  refreshed: number;
  failures: string[];
  removed: string[];
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function compareArn(a: TaskDecision, b: TaskDecision): number {
  return a.taskArn < b.taskArn ? -1 : a.taskArn > b.taskArn ? 1 : 0;
}

/**
 * Reads one cluster under its deadline `signal` and updates the state; never throws. Hosts missing
 * from the cache come through `loadHosts` (one batch for the source's clusters).
 */
export async function readCluster(
  context: ClusterReadContext,
  cluster: ClusterRef,
  signal: AbortSignal,
  tally: ClusterReadTally,
  loadHosts?: HostLoader,
): Promise<void> {
  const { fetcher, state, metrics, now } = context;
  const source = fetcher.source.name;
  const { clusterArn, clusterName } = cluster;
  // Decisions made under older options (a reload changed them) are made again, from fresh descriptions.
  const decisionsVersion = state.decisionsVersion;
  const startedMs = now();
  const report = (error?: string) =>
    context.onClusterRead?.({
      source,
      clusterArn,
      clusterName,
      startedMs,
      endedMs: now(),
      ...(error && { error }),
    });
  try {
    const polledAt = now();
    const listing = await fetcher.listTasks(cluster, signal);
    // Aborted after the last call answered: nothing of it lands (a removed cluster stays removed).
    signal.throwIfAborted();
    if (listing.kind === 'gone') {
      removeGone(context, cluster, tally);
      report();
      return;
    }
    const entry = state.entry(source, clusterArn);
    const plan = planDescribe({
      listed: listing.taskArns,
      decisions: entry?.decisions ?? [],
      describedAt: (taskArn) => fetcher.describedAt(clusterArn, taskArn),
      now: now(),
      rereadAfterMs: context.taskRereadAfterMs,
      describeAll:
        entry !== undefined &&
        (!sameTags(entry.clusterTags, cluster.tags) || entry.decidedWith !== decisionsVersion),
    });
    if (plan.keep.length > 0) metrics.cacheRequests.inc({ cache: 'task', result: 'hit' }, plan.keep.length);
    if (plan.describe.length > 0)
      metrics.cacheRequests.inc({ cache: 'task', result: 'miss' }, plan.describe.length);
    if (plan.unchanged && entry !== undefined && !fetcher.includeServices) {
      // Same tasks, every decision final: the last targets still hold, no CPU spent on them.
      context.onClusterPolled?.(clusterArn, { listed: listing.taskArns, described: [], polledAt });
      state.touch(source, clusterArn, now());
      tally.refreshed++;
      report();
      return;
    }
    const read = await fetcher.readTasks(cluster, plan, { signal, loadHosts });
    signal.throwIfAborted();
    context.onClusterPolled?.(clusterArn, {
      listed: listing.taskArns,
      described: read.snapshot.tasks,
      polledAt,
    });
    const discovery = discoverCluster(read.snapshot, context.options);
    let { decisions, targets } = discovery;
    if (read.kept.length > 0) {
      // Tasks not described again: their last decisions (and targets) stand.
      const keep = new Set(read.kept);
      const kept = (entry?.decisions ?? []).filter((decision) => keep.has(decision.taskArn));
      decisions = [...kept, ...discovery.decisions].sort(compareArn);
      targets = [...kept.flatMap((d) => d.containers.flatMap((container) => container.targets)), ...targets];
    }
    state.update({
      source,
      clusterArn,
      clusterName,
      clusterTags: cluster.tags,
      targets,
      decisions,
      lastSuccessMs: now(),
      decidedWith: decisionsVersion,
    });
    // A zero series per cluster, so dashboards and rate() see "no failures" rather than no data.
    metrics.refreshFailures.inc({ source, cluster: clusterName }, 0);
    tally.refreshed++;
    report();
    context.onClusterUpdated?.();
  } catch (error) {
    const line = recordReadFailure(context, { source, cluster: clusterName }, error, signal);
    if (line === undefined) return;
    state.markStale(source, clusterArn);
    tally.failures.push(line);
    report(line);
  }
}

/** A cluster ECS says does not exist (ClusterNotFoundException): its caches and targets go. */
function removeGone(context: ClusterReadContext, cluster: ClusterRef, tally: ClusterReadTally): void {
  const { fetcher, state, log } = context;
  const source = fetcher.source.name;
  fetcher.forget(cluster.clusterArn);
  context.onClusterRemoved?.(cluster.clusterArn);
  if (state.entry(source, cluster.clusterArn) === undefined) return;
  state.remove(source, cluster.clusterArn);
  tally.removed.push(cluster.clusterName);
  log.info({ source, cluster: cluster.clusterName }, 'cluster removed: ClusterNotFoundException');
}
