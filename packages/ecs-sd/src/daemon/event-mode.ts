/**
 * Event mode of one source (docs/events.md): the SQS consumer, the store of versions, and the
 * coalescer that applies a burst of events at once. Each known cluster is updated from the events'
 * own task copies (apply-events.ts), with no ECS call for what the caches know, while no poll reads
 * that cluster; a cluster no poll has read yet, or whose missing pieces could not be read, is polled
 * instead. The metrics of the consumer are bound here, once.
 */
import type { Logger } from 'pino';
import { createEventsClient, type SourceClientsOptions } from '../aws/clients.ts';
import type { ClusterCounts } from '../aws/ecs-reads.ts';
import type { SourceFetcher } from '../aws/fetcher.ts';
import { deadline, type Timeouts } from '../aws/timeouts.ts';
import { clusterSelected, type SourceConfig } from '../config/types.ts';
import type { DiscoveryOptions } from '../discovery/types.ts';
import { type Coalescer, createCoalescer } from '../events/coalesce.ts';
import {
  type ConsumerHealth,
  EventConsumer,
  type EventConsumerOptions,
  type EventMetrics,
} from '../events/consumer.ts';
import type { EcsEvent } from '../events/parse.ts';
import { TaskStore } from '../events/task-store.ts';
import { clusterNameFromArn } from '../lib/arn.ts';
import type { Metrics } from '../metrics.ts';
import type { EventModeStatus } from '../server/status/model.ts';
import { applyClusterEvents, type ClusterChanges } from './apply-events.ts';
import type { ClusterLocks } from './cluster-locks.ts';
import { CountChecker } from './count-checker.ts';
import { recheckTasks, type ServiceReads, sweepServiceTasks } from './service-sweep.ts';
import type { ClusterReads } from './source-refresh.ts';
import type { DiscoveryState } from './state.ts';
import { EventStatusRecorder } from './status.ts';

/**
 * Receive loops per events queue: a deployment of hundreds of tasks emits thousands of events at
 * once, and one loop reads at most 10 per round trip. Two halve that drain; an idle queue costs
 * two long polls per wait_time instead of one.
 */
export const EVENT_RECEIVERS = 2;

/** How long stop() waits for the consumer to delete the messages it handled; then its calls are aborted. */
export const STOP_DELETE_GRACE_MS = 2000;

/** Tuning of the consumer (tests shorten the long poll and the backoff). */
export type EventsTuning = Pick<
  EventConsumerOptions,
  'waitTimeSeconds' | 'unhealthyAfter' | 'backoffInitialMs' | 'backoffMaxMs'
>;

/** What event mode takes from the runtime it runs in. */
export interface EventModeHost {
  state: DiscoveryState;
  fetcher: SourceFetcher;
  options: DiscoveryOptions;
  timeouts: Timeouts;
  locks: ClusterLocks;
  /** The source's cluster reads in progress: a cluster being polled has its events wait for the poll. */
  reads: ClusterReads;
  /** Aborted when the runtime stops. */
  signal: AbortSignal;
  /** Polls these clusters of the source (their events could not be applied). */
  poll(clusterNames: ReadonlySet<string>): Promise<unknown>;
  /** Writes the outputs. */
  publish(): Promise<unknown>;
  /** DescribeClusters counts of these clusters by clusterArn (the count check). */
  describeCounts(clusterArns: readonly string[], signal: AbortSignal): Promise<Map<string, ClusterCounts>>;
  /** The ECS reads of a targeted service sweep. */
  serviceReads: ServiceReads;
  /** The queue became readable or unreadable (an unreadable one brings the next poll forward). */
  onHealthChange(health: ConsumerHealth): void;
}

/** What event mode is built with. */
export interface EventModeDeps {
  log: Logger;
  metrics: Metrics;
  now: () => number;
  clientOptions: SourceClientsOptions;
  tuning?: EventsTuning | undefined;
}

/** The `ecs_sd_events_*` metrics of one source as the consumer's callbacks. */
export function eventMetrics(metrics: Metrics, source: string): EventMetrics {
  const labels = { source };
  return {
    received: (count) => metrics.eventsReceived.inc(labels, count),
    deleted: (count) => metrics.eventsDeleted.inc(labels, count),
    deleteFailed: (count) => metrics.eventsDeleteFailures.inc(labels, count),
    malformed: (reason) => metrics.eventsMalformed.inc({ ...labels, reason }),
    applied: (change) => metrics.eventsApplied.inc({ ...labels, change }),
    stale: () => metrics.eventsStale.inc(labels),
    ignored: () => metrics.eventsIgnored.inc(labels),
    handlerFailed: () => metrics.eventsHandlerFailures.inc(labels),
    receiveError: (code) => metrics.eventsReceiveErrors.inc({ ...labels, code }),
    lag: (seconds) => metrics.eventsLag.observe(labels, seconds),
    health: (health) => metrics.eventsHealthy.set(labels, health === 'healthy' ? 1 : 0),
  };
}

/** Event mode of one source: its consumer, its store of versions, and the changes waiting to be applied. */
export class EventMode {
  readonly source: SourceConfig;
  /** Versions of the source's tasks and container instances; polls record theirs here too. */
  readonly store: TaskStore;
  readonly #host: EventModeHost;
  readonly #deps: EventModeDeps;
  readonly #log: Logger;
  readonly #client: ReturnType<typeof createEventsClient>;
  readonly #consumer: EventConsumer;
  readonly #coalescer: Coalescer;
  /** What events changed since the last apply, by clusterArn. */
  #pending = new Map<string, ClusterChanges>();
  /** Receive times of the events behind `pending`, oldest first (for the publish delay histogram). */
  #receivedAt: number[] = [];
  /** Applies in progress, awaited by drain(). */
  readonly #flushes = new Set<Promise<void>>();
  /** Received counts and lags, for the status page. */
  readonly #status: EventStatusRecorder;
  /** The DescribeClusters count check and the scheduled sweeps. */
  readonly #checker: CountChecker;

  constructor(source: SourceConfig, deps: EventModeDeps, host: EventModeHost) {
    const events = source.events!;
    this.source = source;
    this.#host = host;
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'events', source: source.name });
    this.#client = createEventsClient(source, deps.metrics, deps.clientOptions);
    this.#status = new EventStatusRecorder(deps.now);
    this.store = new TaskStore({
      selected: (clusterArn) => this.#clusterName(clusterArn) !== undefined,
      now: deps.now,
    });
    this.#coalescer = createCoalescer(() => this.#flush(), {
      delayMs: events.publishDelayMs,
      maxDelayMs: 1000,
      onError: (err) => this.#log.warn({ err }, 'applying events failed'),
    });
    this.#consumer = new EventConsumer({
      client: this.#client,
      queueUrl: events.queueUrl,
      receivers: EVENT_RECEIVERS,
      waitTimeSeconds: events.waitTimeSeconds,
      unhealthyAfter: events.unhealthyAfter,
      ...deps.tuning,
      log: this.#log,
      onEvent: (event) => this.#onEvent(event),
      onBatch: () => {
        if (this.#pending.size > 0) this.#coalescer.trigger();
      },
      onHealthChange: (health) => host.onHealthChange(health),
      metrics: this.#status.wrap(eventMetrics(deps.metrics, source.name)),
    });
    this.#checker = new CountChecker(
      {
        source: source.name,
        store: this.store,
        clusters: () => host.state.clustersOf(source.name),
        ready: () => host.state.ready(),
        healthy: () => this.healthy,
        describeCounts: (arns, signal) => host.describeCounts(arns, signal),
        sweep: (clusters) => host.poll(clusters),
        serviceCounts: (clusterArn, services, signal) =>
          host.serviceReads.serviceCounts(clusterArn, services, signal),
        sweepServices: (clusterArn, services) =>
          this.#applyNow(clusterArn, () =>
            sweepServiceTasks(host.serviceReads, this.store, clusterArn, services, deps.now, host.signal),
          ),
        recheckTasks: (clusterArn, arns) =>
          this.#applyNow(clusterArn, () =>
            recheckTasks(host.serviceReads, this.store, clusterArn, arns, host.signal),
          ),
        signal: host.signal,
      },
      () => ({
        checkMs: this.source.events!.consistencyCheckIntervalMs,
        fullSweepMs: this.source.events!.reconcileIntervalMs,
        pendingRecheckMs: this.source.events!.pendingRecheckAfterMs,
      }),
      { log: this.#log, metrics: deps.metrics, now: deps.now },
    );
  }

  /** True while the queue is readable (also before the first receive). */
  get healthy(): boolean {
    return this.#consumer.health === 'healthy';
  }

  /** The queue's health, its last receive error and the events' lag, for the status page. */
  status(): EventModeStatus {
    return this.#status.snapshot(this.#consumer, this.source.events!);
  }

  /** Starts reading the queue. */
  start(): void {
    this.#deps.metrics.eventsHealthy.set({ source: this.source.name }, 1);
    this.#consumer.start();
    this.#checker.start();
  }

  /** A poll of this cluster ended: the events held back while it ran are applied now. */
  clusterDone(clusterArn: string): void {
    if (this.#pending.has(clusterArn) && !this.#host.signal.aborted) this.#coalescer.trigger();
  }

  /** Applies nothing more from now on (an apply in progress finishes; see drain()). */
  cancel(): void {
    this.#coalescer.cancel();
    this.#checker.stop();
  }

  /**
   * Stops the consumer, giving it STOP_DELETE_GRACE_MS to delete the messages it handled, then
   * destroys the client (ending a delete that does not answer).
   */
  async stop(): Promise<void> {
    this.cancel();
    const stopped = this.#consumer.stop();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      stopped,
      new Promise<void>((resolve) => (grace = setTimeout(resolve, STOP_DELETE_GRACE_MS))),
    ]);
    clearTimeout(grace);
    this.#client.destroy();
    await stopped;
  }

  /** Resolves when every apply in progress has ended. */
  async drain(): Promise<void> {
    await this.#checker.settled();
    await Promise.all([...this.#flushes].map((flush) => flush.catch(() => {})));
  }

  /** Applies what events changed since the last apply, cluster by cluster; polls what cannot be applied. */
  #flush(): Promise<void> | undefined {
    if (this.#pending.size === 0 || this.#host.signal.aborted) return undefined;
    const pending = this.#pending;
    const receivedAt = this.#receivedAt;
    this.#pending = new Map();
    this.#receivedAt = [];
    const flush = this.#apply(pending).then(async () => {
      await this.#host.publish();
      const done = this.#deps.now();
      for (const at of receivedAt)
        this.#deps.metrics.eventsPublishDelay.observe({ source: this.source.name }, (done - at) / 1000);
    });
    this.#flushes.add(flush);
    void flush.catch(() => {}).finally(() => this.#flushes.delete(flush));
    return flush;
  }

  async #apply(pending: Map<string, ClusterChanges>): Promise<void> {
    const host = this.#host;
    const source = this.source.name;
    const context = {
      fetcher: host.fetcher,
      store: this.store,
      state: host.state,
      options: host.options,
      log: this.#log,
      describeNewTasks: this.source.events!.describeNewTasks,
    };
    const poll = new Set<string>();
    for (const [clusterArn, changes] of pending) {
      if (host.signal.aborted) return;
      if (host.reads.has(clusterArn)) {
        // A poll of this cluster is running (maybe a hung one): its events wait for it, the others' do not.
        this.#requeue(clusterArn, changes);
        continue;
      }
      const name = clusterNameFromArn(clusterArn);
      const limit = deadline(
        host.timeouts.clusterRefreshMs,
        `applying the events of cluster "${name}"`,
        'timeouts.cluster_refresh',
        host.signal,
      );
      const outcome = await host.locks
        .run(source, clusterArn, () =>
          applyClusterEvents({ ...context, signal: limit.signal }, clusterArn, changes),
        )
        .finally(() => limit.clear());
      if (host.signal.aborted) return;
      if (outcome.kind === 'applied') continue;
      const cluster = this.#clusterName(clusterArn) ?? name;
      if (outcome.kind === 'failed')
        this.#log.warn(
          { err: outcome.error, cluster },
          'applying events failed, polling the cluster instead',
        );
      poll.add(cluster);
    }
    if (poll.size > 0 && !host.signal.aborted) await host.poll(poll);
  }

  /** Applies as events are (then publishes) the tasks a sweep or recheck of a cluster changed. */
  async #applyNow(clusterArn: string, read: () => Promise<string[]>): Promise<void> {
    const changed = await read();
    if (changed.length === 0 || this.#host.signal.aborted) return;
    await this.#apply(
      new Map([[clusterArn, { taskArns: new Set(changed), containerInstanceArns: new Set<string>() }]]),
    );
    await this.#host.publish();
  }

  /** Puts a cluster's changes back to be applied after the poll that reads it now (see `clusterDone`). */
  #requeue(clusterArn: string, changes: ClusterChanges): void {
    const waiting = this.#pending.get(clusterArn);
    if (waiting === undefined) {
      this.#pending.set(clusterArn, changes);
      return;
    }
    for (const arn of changes.taskArns) waiting.taskArns.add(arn);
    for (const arn of changes.containerInstanceArns) waiting.containerInstanceArns.add(arn);
  }

  /** The name of an event's cluster when the source selects it (known from polling, or by its config), else undefined. */
  #clusterName(clusterArn: string): string | undefined {
    const source = this.source;
    const known = this.#host.state.clustersOf(source.name).find((entry) => entry.clusterArn === clusterArn);
    if (known !== undefined) return known.clusterName;
    const name = clusterNameFromArn(clusterArn);
    if (
      source.clusters !== undefined &&
      !source.clusters.includes(name) &&
      !source.clusters.includes(clusterArn)
    )
      return undefined;
    return clusterSelected(source, name) ? name : undefined;
  }

  /** Applies one event to the versions; a newer version of a task or container instance waits for the next apply. */
  #onEvent(event: EcsEvent): 'upsert' | 'remove' | 'stale' | 'ignored-cluster' {
    const result = this.store.apply(event);
    if (result.change === 'upsert' || result.change === 'remove') {
      let changes = this.#pending.get(event.clusterArn);
      if (changes === undefined) {
        changes = { taskArns: new Set(), containerInstanceArns: new Set() };
        this.#pending.set(event.clusterArn, changes);
      }
      if (event.kind === 'task') changes.taskArns.add(event.taskArn);
      else changes.containerInstanceArns.add(event.containerInstanceArn);
      this.#receivedAt.push(this.#deps.now());
    }
    return result.change;
  }
}
