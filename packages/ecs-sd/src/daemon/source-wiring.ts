/**
 * How the runtime lends itself to one source: the context a poll of the source reads with, and the
 * source's event mode. Both read the runtime's current config through `config()`, so a reload that
 * keeps a source changes what its next poll and event apply decide with.
 */
import type { Logger } from 'pino';
import type { RateBudgets } from '../aws/budget-plugin.ts';
import type { SourceClientsOptions } from '../aws/clients.ts';
import {
  describeClusterCounts,
  describeServiceCounts,
  describeTasks,
  listTaskArns,
} from '../aws/ecs-reads.ts';
import { MAX_REFRESH_INTERVAL_MS } from '../config/schema-values.ts';
import type { Config } from '../config/types.ts';
import type { Metrics } from '../metrics.ts';
import type { ClusterLocks } from './cluster-locks.ts';
import { EventMode, type EventsTuning } from './event-mode.ts';
import type { RefreshContext } from './source-refresh.ts';
import { type CreateClients, createSource, type SourceRuntime } from './sources.ts';
import type { DiscoveryState } from './state.ts';
import type { StatusRecorder } from './status.ts';

/** What the runtime shares with its sources' polls and event modes. */
export interface RuntimeParts {
  config(): Config;
  state: DiscoveryState;
  metrics: Metrics;
  /** The runtime's logger (`component=daemon`), for polls. */
  log: Logger;
  /** The root logger, of which event mode takes its own child (`component=events`). */
  rootLog: Logger;
  now: () => number;
  locks: ClusterLocks;
  /** How long a refresh waits for one cluster's read. */
  detachAfterMs(): number;
  /** What refreshes did, for the status page. */
  status: StatusRecorder;
}

/** What a poll of one source reads with; in event mode the poll's versions go to the source's store. */
export function refreshContext(parts: RuntimeParts, source: SourceRuntime): RefreshContext {
  const { fetcher, events } = source;
  const config = parts.config();
  return {
    fetcher,
    state: parts.state,
    options: config.discovery,
    metrics: parts.metrics,
    log: parts.log,
    now: parts.now,
    timeouts: config.timeouts,
    taskRereadAfterMs: config.taskRereadIntervalMs,
    signal: source.signal,
    reads: source.reads,
    lock: (clusterArn, fn) => parts.locks.run(source.config.name, clusterArn, fn),
    onClusterRead: (report) => parts.status.clusterRead(report),
    onSourceRefreshed: (result, startedMs, full) => parts.status.sourceRefreshed(result, startedMs, full),
    ...(events === undefined
      ? {}
      : {
          onClusterPolled: (clusterArn, poll) => events.store.observePoll(clusterArn, poll),
          onClusterRemoved: (clusterArn) => events.store.dropCluster(clusterArn),
          // Events held back while this cluster was read are applied now.
          onClusterDone: (clusterArn) => events.clusterDone(clusterArn),
        }),
  };
}

/** What an event mode calls back in the runtime. */
export interface EventModeCallbacks {
  /** Polls these clusters of the source (their events could not be applied). */
  poll(source: string, clusters: ReadonlySet<string>): Promise<unknown>;
  publish(): Promise<unknown>;
  /** The queue became unreadable: the next full refresh comes at refresh_interval. */
  onUnhealthy(): void;
}

/** The event mode of a source with an events queue. */
export function createEventMode(
  parts: RuntimeParts,
  source: SourceRuntime,
  options: { clientOptions: SourceClientsOptions; tuning?: EventsTuning | undefined },
  callbacks: EventModeCallbacks,
): EventMode {
  const name = source.config.name;
  const what = (action: string) => `${action} failed for source "${name}"`;
  return new EventMode(
    source.config,
    {
      log: parts.rootLog,
      metrics: parts.metrics,
      now: parts.now,
      clientOptions: options.clientOptions,
      tuning: options.tuning,
    },
    {
      state: parts.state,
      fetcher: source.fetcher,
      get options() {
        return parts.config().discovery;
      },
      get timeouts() {
        return parts.config().timeouts;
      },
      locks: parts.locks,
      reads: source.reads,
      signal: source.signal,
      poll: (clusters) => callbacks.poll(name, clusters),
      publish: () => callbacks.publish(),
      describeCounts: (arns, signal) => describeClusterCounts(source.clients.ecs, arns, what, signal),
      serviceReads: {
        serviceCounts: (clusterArn, services, signal) =>
          describeServiceCounts(source.clients.ecs, clusterArn, services, what, signal),
        listServiceTasks: (clusterArn, service, signal) =>
          listTaskArns(source.clients.ecs, clusterArn, what, signal, service),
        describeTasks: (clusterArn, arns, signal) =>
          describeTasks(source.clients.ecs, clusterArn, arns, what, parts.rootLog, signal),
      },
      onHealthChange: (health) => {
        if (health !== 'unhealthy') return;
        source.queueOutage = true;
        callbacks.onUnhealthy();
      },
    },
  );
}

/** What building a source takes besides the runtime's parts. */
export interface SourceFactory {
  createClients: CreateClients;
  budgets(): RateBudgets;
  /** Aborted when the runtime stops. */
  shutdown: AbortSignal;
  tuning?: EventsTuning | undefined;
  callbacks: EventModeCallbacks;
}

/** Builds the source `name` of `config` (not started), with its event mode when it has an events queue. */
export function buildSource(
  parts: RuntimeParts,
  factory: SourceFactory,
  config: Config,
  name: string,
): SourceRuntime {
  const clientOptions = {
    requestTimeoutMs: config.timeouts.awsRequestMs,
    log: parts.rootLog.child({ component: 'aws' }),
  };
  const source = createSource(config.sources.find((candidate) => candidate.name === name)!, {
    config,
    log: parts.rootLog,
    metrics: parts.metrics,
    budgets: factory.budgets(),
    createClients: factory.createClients,
    clientOptions,
    now: parts.now,
    signal: factory.shutdown,
  });
  if (source.config.events !== undefined)
    source.events = createEventMode(
      parts,
      source,
      { clientOptions, tuning: factory.tuning },
      factory.callbacks,
    );
  return source;
}

/**
 * Time to the next full refresh: refresh_interval unless every source reads its events queue; then
 * a day (the count check sweeps what drifted, and each cluster once per full_sweep_interval, spread
 * over it; this refresh only picks up changes of the cluster selection events cannot show).
 */
export function nextRefreshMs(sources: readonly SourceRuntime[], config: Config): number {
  const events = sources.flatMap((source) => (source.events === undefined ? [] : [source.events]));
  if (events.length < sources.length || events.some((mode) => !mode.healthy)) return config.refreshIntervalMs;
  return MAX_REFRESH_INTERVAL_MS;
}

/**
 * Counts the clusters a full refresh of the loop swept, per source in event mode: `start` for the
 * first, `queue-unhealthy` while its queue is unreadable or when an outage since the last one
 * brought this refresh forward (the queue may be readable again by the time it runs), else
 * `scheduled` (the daily refresh).
 */
export async function countedLoopRefresh<T>(
  sources: readonly SourceRuntime[],
  parts: Pick<RuntimeParts, 'state' | 'metrics'>,
  first: boolean,
  refresh: () => Promise<T>,
): Promise<T> {
  const reasons = sources.flatMap((source) => {
    if (source.events === undefined) return [];
    const outage = source.queueOutage || !source.events.healthy;
    source.queueOutage = false;
    return [
      { source: source.config.name, reason: first ? 'start' : outage ? 'queue-unhealthy' : 'scheduled' },
    ];
  });
  const result = await refresh();
  for (const { source, reason } of reasons) {
    const clusters = parts.state.clustersOf(source).length;
    if (clusters > 0) parts.metrics.eventSweeps.inc({ source, reason }, clusters);
  }
  return result;
}
