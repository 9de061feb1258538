/**
 * The refresh loop: every source refreshed every interval, never two refreshes at once, then the
 * file_sd outputs written from the state: once a complete refresh has happened, or on a first
 * start cluster by cluster as each is read; never a cluster's partial targets. Every AWS call goes
 * through the rate budget of its account (or role) and Region. The timer is unref'd and cleared on stop.
 *
 * A cluster whose calls do not answer holds back no other: its read has a deadline, the loop
 * stops waiting for it after a refresh interval (later refreshes skip it while it runs), and the
 * clusters read meanwhile are published within a second. stop() aborts every call in flight.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { MetadataBearer, Pluggable } from '@smithy/types';
import type { Logger } from 'pino';
import {
  createEventsClient,
  createSourceClients,
  type SourceClients,
  type SourceClientsOptions,
} from '../aws/clients.ts';
import { SourceFetcher } from '../aws/fetch.ts';
import { budgetKey, budgetMiddleware, RateBudgets, registerRateBudgetMetrics } from '../aws/rate-budget.ts';
import { deadline } from '../aws/timeouts.ts';
import { type Config, clusterSelected, needsServices, type SourceConfig } from '../config/types.ts';
import { taskSkipReason } from '../discovery/task-skip.ts';
import { type Coalescer, createCoalescer } from '../events/coalesce.ts';
import { type ConsumerHealth, EventConsumer, type EventConsumerOptions } from '../events/consumer.ts';
import type { EcsEvent } from '../events/parse.ts';
import { TaskStore } from '../events/task-store.ts';
import { clusterNameFromArn } from '../lib/arn.ts';
import type { Metrics } from '../metrics.ts';
import {
  FileSdError,
  type FileSdFailure,
  type FileSdMemo,
  type FileSdOptions,
  type FileSdResult,
  fileSdPaths,
  intervalFileName,
  removeTemporaries,
  writeFileSd,
} from '../output/file-sd.ts';
import { applyClusterEvents, type ClusterChanges } from './apply-events.ts';
import {
  type ClusterReads,
  type RefreshContext,
  refreshSource,
  type SourceRefreshResult,
} from './refresh.ts';
import { DiscoveryState } from './state.ts';

/**
 * Receive loops per events queue: a deployment of hundreds of tasks emits thousands of events at
 * once, and one loop reads at most 10 per round trip. Two halve that drain; an idle queue costs
 * two long polls per wait_time instead of one.
 */
export const EVENT_RECEIVERS = 2;

/**
 * A cluster read while a refresh still waits for others (a slow or hung one) is published at most
 * this long after; a refresh that ends sooner publishes it itself.
 */
export const PUBLISH_AFTER_UPDATE_MS = 1000;

/**
 * The loop stops waiting for a cluster's read after one refresh interval, but never sooner than
 * this (an interval shortened below the config's 1s minimum, in tests).
 */
export const DETACH_MIN_MS = 1000;

/** How long stop() waits for the events consumers to delete the messages they handled; then their calls are aborted. */
export const STOP_DELETE_GRACE_MS = 2000;

/** What one refresh of every source did, for logs and the `--once` summary. */
export interface RefreshSummary {
  /** True when every source and every cluster was read successfully. */
  complete: boolean;
  clusters: number;
  tasks: number;
  targets: number;
  /** Tasks without targets, by reason. */
  skipped: ReadonlyMap<string, number>;
  failures: string[];
  sources: SourceRefreshResult[];
  /** file_sd files rewritten by this refresh. */
  written: string[];
  /** One line per file_sd file whose last write failed (it keeps its previous content). */
  fileFailures: string[];
}

/** What the daemon is built from. */
export interface DaemonDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /**
   * Creates a source's clients with the given plugins (the rate budget) and options (the request
   * timeout, the SDK's logger); tests and the CLI use the default (real SDK clients).
   */
  createClients?: (
    source: SourceConfig,
    metrics: Metrics,
    plugins: readonly Pluggable<object, MetadataBearer>[],
    options: SourceClientsOptions,
  ) => SourceClients;
  /** Rate budgets shared with other daemons of the process; default: the daemon's own, from `config.rateBudget`. */
  budgets?: RateBudgets;
  now?: () => number;
  /** Longest file_sd file in UTF-16 code units (default `MAX_OUTPUT_LENGTH`); tests make it small. */
  maxOutputLength?: number;
  /** Tuning of the events consumers (tests shorten the long poll and the backoff). */
  eventsOptions?: Pick<
    EventConsumerOptions,
    'waitTimeSeconds' | 'unhealthyAfter' | 'backoffInitialMs' | 'backoffMaxMs'
  >;
}

/** Event mode of one source: its consumer, its store of versions, and the changes waiting to be applied. */
interface SourceEvents {
  source: SourceConfig;
  fetcher: SourceFetcher;
  client: SQSClient;
  consumer: EventConsumer;
  store: TaskStore;
  coalescer: Coalescer;
  /** What events changed since the last apply, by clusterArn. */
  pending: Map<string, ClusterChanges>;
  /** Receive times of the events behind `pending`, oldest first (for the publish delay histogram). */
  receivedAt: number[];
}

/**
 * Why outputs are written: `ready` (the state is ready; otherwise nothing is written), `complete`
 * (the first complete refresh, about to mark it ready), `progressive` (a cold start's clusters so far).
 */
type PublishWhen = 'ready' | 'complete' | 'progressive';

/** Options of one refresh. */
export interface RefreshOptions {
  /** Only these cluster names (explain); undefined: every selected cluster. */
  onlyClusters?: ReadonlySet<string>;
  /** Only these source names (event refreshes); undefined: every source. */
  onlySources?: ReadonlySet<string>;
  /** Write file_sd outputs after the refresh (default true). */
  writeOutputs?: boolean;
  /**
   * Before the first complete refresh, publish each cluster as soon as it is read instead of
   * waiting for the slowest (default false; `start()` sets it when no output file exists yet, since
   * an existing file holds the last good targets of a previous run that a failing cluster must keep).
   */
  progressive?: boolean;
  /**
   * Stop waiting for a cluster's read after this long (the loop: one refresh interval); the read
   * goes on until it ends or its deadline passes, and is published then. Undefined: wait for all.
   */
  detachAfterMs?: number;
}

/** The running discovery: state, fetchers and the refresh timer. */
export class Daemon {
  readonly state = new DiscoveryState();
  readonly config: Config;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #now: () => number;
  readonly #clients: SourceClients[] = [];
  readonly #fetchers: SourceFetcher[];
  /** The client-side rate budgets, one per account (or role) and Region, shared by its sources. */
  readonly budgets: RateBudgets;
  readonly #ownsBudgets: boolean;
  /** The last output write; writes are chained so an older content never lands after a newer one. */
  #published: Promise<string[]> = Promise.resolve([]);
  /** State version and files of the last complete write: an unchanged state is not rendered again. */
  #written: { version: number; files: string[] } | undefined;
  /** What the file_sd writes did to each file: files whose targets did not change are not rendered again. */
  readonly #fileMemo: FileSdMemo = new Map();
  /** Set by the first write: temporary files a killed process left are removed once, before it. */
  #cleaned = false;
  readonly #maxOutputLength: number | undefined;
  #inFlight: Promise<RefreshSummary> | undefined;
  /** True while the refresh in flight covers only some sources or clusters. */
  #inFlightPartial = false;
  readonly #events: SourceEvents[] = [];
  /** Per cluster (source and ARN), the end of the last poll or event apply queued for it. */
  readonly #clusterLocks = new Map<string, Promise<void>>();
  /** Event applies in progress, awaited by stop(). */
  readonly #flushes = new Set<Promise<RefreshSummary>>();
  #timer: NodeJS.Timeout | undefined;
  #tick: (() => void) | undefined;
  #stopped = true;
  /** Set by stop(): a refresh waiting for another does not start on closed clients. */
  #closed = false;
  /** Aborted by stop(): every AWS call, rate-budget wait and cluster read in flight ends at once. */
  readonly #shutdown = new AbortController();
  /** Cluster reads in progress, per source name (a slow one outlives the refresh that started it). */
  readonly #reads = new Map<string, ClusterReads>();
  /** Publishes clusters read while a refresh still waits for others (PUBLISH_AFTER_UPDATE_MS). */
  #publishTimer: NodeJS.Timeout | undefined;

  constructor(deps: DaemonDeps) {
    this.config = deps.config;
    this.#log = deps.log.child({ component: 'daemon' });
    this.#metrics = deps.metrics;
    this.#now = deps.now ?? Date.now;
    this.#maxOutputLength = deps.maxOutputLength;
    const createClients = deps.createClients ?? createSourceClients;
    const includeServices = needsServices(deps.config);
    const awsLog = deps.log.child({ component: 'aws' });
    const clientOptions: SourceClientsOptions = {
      requestTimeoutMs: deps.config.timeouts.awsRequestMs,
      log: awsLog,
    };
    this.#ownsBudgets = deps.budgets === undefined;
    this.budgets = deps.budgets ?? new RateBudgets(deps.config.rateBudget);
    if (deps.metrics.registry.getSingleMetric('ecs_sd_rate_budget_tokens') === undefined)
      registerRateBudgetMetrics(deps.metrics.registry, () => this.budgets.all());
    this.#fetchers = deps.config.sources.map((source) => {
      let clients: SourceClients | undefined;
      // Keyed by role (or default credentials) and Region: sources of one account and Region share a budget.
      const budget = budgetMiddleware(async () =>
        this.budgets.get(
          budgetKey({
            roleArn: source.roleArn,
            region: source.region ?? (await clients!.region()),
            endpoint: source.endpoint,
          }),
        ),
      );
      clients = createClients(source, deps.metrics, [budget], clientOptions);
      this.#clients.push(clients);
      return new SourceFetcher(source, clients, deps.metrics, awsLog.child({ source: source.name }), {
        includeServices,
        signal: this.#shutdown.signal,
      });
    });
    deps.config.sources.forEach((source, index) => {
      if (source.events !== undefined)
        this.#events.push(this.#createEvents(source, this.#fetchers[index]!, deps, clientOptions));
    });
    const sources = deps.config.sources.map((source) => source.name);
    deps.metrics.setStateProvider(() => this.state.metricsState(sources));
  }

  /**
   * Refreshes every source once, one refresh at a time: a full refresh asked for during another
   * full one shares it; anything else waits for the one in flight, then runs (a partial refresh does
   * not stand for a full one, and one that began before an event may miss it).
   */
  refresh(options: RefreshOptions = {}): Promise<RefreshSummary> {
    const partial = options.onlyClusters !== undefined || options.onlySources !== undefined;
    if (this.#inFlight !== undefined) {
      if (!partial && !this.#inFlightPartial) return this.#inFlight;
      const running = this.#inFlight;
      return running.catch(() => undefined).then(() => (this.#closed ? running : this.refresh(options)));
    }
    const current = this.#refresh(options).finally(() => {
      this.#inFlight = undefined;
      this.#inFlightPartial = false;
    });
    this.#inFlight = current;
    this.#inFlightPartial = partial;
    return current;
  }

  #createEvents(
    source: SourceConfig,
    fetcher: SourceFetcher,
    deps: DaemonDeps,
    clientOptions: SourceClientsOptions,
  ): SourceEvents {
    const log = deps.log.child({ component: 'events', source: source.name });
    const client = createEventsClient(source, deps.metrics, clientOptions);
    const labels = { source: source.name };
    const store = new TaskStore({
      selected: (clusterArn) => this.#eventCluster(source, clusterArn) !== undefined,
      now: this.#now,
    });
    const metrics = deps.metrics;
    const events: SourceEvents = {
      source,
      fetcher,
      client,
      store,
      pending: new Map(),
      receivedAt: [],
      coalescer: createCoalescer(() => this.#flushEvents(events, log), {
        delayMs: source.events!.publishDelayMs,
        maxDelayMs: 1000,
        onError: (err) => log.warn({ err }, 'applying events failed'),
      }),
      consumer: new EventConsumer({
        client,
        queueUrl: source.events!.queueUrl,
        receivers: EVENT_RECEIVERS,
        waitTimeSeconds: source.events!.waitTimeSeconds,
        unhealthyAfter: source.events!.unhealthyAfter,
        ...deps.eventsOptions,
        log,
        onEvent: (event) => this.#onEvent(events, event),
        onBatch: () => {
          if (events.pending.size > 0) events.coalescer.trigger();
        },
        onHealthChange: (health) => this.#onHealthChange(health),
        metrics: {
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
        },
      }),
    };
    return events;
  }

  /**
   * Applies what events changed since the last apply: each known cluster from the events' own task
   * copies (no ECS call for known task definitions and hosts), while no poll reads that cluster (a
   * poll of other clusters, e.g. a 10,000-task reconcile, does not hold events back); a cluster no
   * poll has read yet (or whose missing pieces could not be read) by polling it.
   */
  #flushEvents(events: SourceEvents, log: Logger): Promise<RefreshSummary> | undefined {
    if (events.pending.size === 0 || this.#stopped) return undefined;
    const pending = events.pending;
    const receivedAt = events.receivedAt;
    events.pending = new Map();
    events.receivedAt = [];
    const flush = (async () => {
      const context = {
        fetcher: events.fetcher,
        store: events.store,
        state: this.state,
        options: this.config.discovery,
        log: this.#log,
        describeNewTasks: events.source.events!.describeNewTasks,
      };
      const poll = new Set<string>();
      const failures: string[] = [];
      const reads = this.#readsOf(events.source.name);
      for (const [clusterArn, changes] of pending) {
        if (this.#closed) break;
        if (reads.has(clusterArn)) {
          // A poll of this cluster is running (maybe a hung one): its events wait for it, the others' do not.
          this.#requeue(events, clusterArn, changes);
          continue;
        }
        const limit = deadline(
          this.config.timeouts.clusterRefreshMs,
          `applying the events of cluster "${clusterNameFromArn(clusterArn)}"`,
          'timeouts.cluster_refresh',
          this.#shutdown.signal,
        );
        const outcome = await this.#withCluster(events.source.name, clusterArn, () =>
          applyClusterEvents({ ...context, signal: limit.signal }, clusterArn, changes),
        ).finally(() => limit.clear());
        if (this.#closed) break;
        if (outcome.kind === 'applied') continue;
        const name = this.#eventCluster(events.source, clusterArn) ?? clusterNameFromArn(clusterArn);
        if (outcome.kind === 'failed') {
          log.warn(
            { err: outcome.error, cluster: name },
            'applying events failed, polling the cluster instead',
          );
          failures.push(String(outcome.error));
        }
        poll.add(name);
      }
      let sources: SourceRefreshResult[] = [];
      if (poll.size > 0 && !this.#closed) {
        const summary = await this.refresh({
          onlySources: new Set([events.source.name]),
          onlyClusters: poll,
          detachAfterMs: this.#detachAfterMs(),
        });
        sources = summary.sources;
        failures.push(...summary.failures);
      }
      const written = await this.#publish();
      const done = this.#now();
      for (const at of receivedAt)
        this.#metrics.eventsPublishDelay.observe({ source: events.source.name }, (done - at) / 1000);
      return this.#summary(failures.length === 0, failures, sources, written);
    })();
    this.#flushes.add(flush);
    void flush.catch(() => {}).finally(() => this.#flushes.delete(flush));
    return flush;
  }

  /** How long the loop waits for one cluster's read: a refresh interval, so the others are refreshed at most two intervals apart. */
  #detachAfterMs(): number {
    return Math.max(this.config.refreshIntervalMs, DETACH_MIN_MS);
  }

  /** Puts a cluster's changes back to be applied after the poll that reads it now (see `onClusterDone`). */
  #requeue(events: SourceEvents, clusterArn: string, changes: ClusterChanges): void {
    const waiting = events.pending.get(clusterArn);
    if (waiting === undefined) {
      events.pending.set(clusterArn, changes);
      return;
    }
    for (const arn of changes.taskArns) waiting.taskArns.add(arn);
    for (const arn of changes.containerInstanceArns) waiting.containerInstanceArns.add(arn);
  }

  /** The cluster reads in progress of a source. */
  #readsOf(source: string): ClusterReads {
    let reads = this.#reads.get(source);
    if (reads === undefined) {
      reads = new Map();
      this.#reads.set(source, reads);
    }
    return reads;
  }

  /**
   * Runs `fn` when no poll or event apply of this cluster is running, and holds the cluster until
   * it ends: a poll's state update and an event apply of one cluster never interleave.
   */
  #withCluster<T>(source: string, clusterArn: string, fn: () => Promise<T>): Promise<T> {
    const key = `${source}\u0000${clusterArn}`;
    const before = this.#clusterLocks.get(key) ?? Promise.resolve();
    const run = before.then(fn);
    const held = run.then(
      () => undefined,
      () => undefined,
    );
    this.#clusterLocks.set(key, held);
    void held.then(() => {
      if (this.#clusterLocks.get(key) === held) this.#clusterLocks.delete(key);
    });
    return run;
  }

  /** The name of an event's cluster when the source selects it (known from polling, or by its config), else undefined. */
  #eventCluster(source: SourceConfig, clusterArn: string): string | undefined {
    const known = this.state.clustersOf(source.name).find((entry) => entry.clusterArn === clusterArn);
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
  #onEvent(events: SourceEvents, event: EcsEvent): 'upsert' | 'remove' | 'stale' | 'ignored-cluster' {
    const result = events.store.apply(event);
    if (result.change === 'upsert' || result.change === 'remove') {
      let changes = events.pending.get(event.clusterArn);
      if (changes === undefined) {
        changes = { taskArns: new Set(), containerInstanceArns: new Set() };
        events.pending.set(event.clusterArn, changes);
      }
      if (event.kind === 'task') changes.taskArns.add(event.taskArn);
      else changes.containerInstanceArns.add(event.containerInstanceArn);
      events.receivedAt.push(this.#now());
    }
    return result.change;
  }

  /** Time to the next full refresh: reconcile_interval while every source reads its events queue, else refresh_interval. */
  #nextRefreshMs(): number {
    const eventDriven = this.config.sources.every((source) => source.events !== undefined);
    if (!eventDriven || this.#events.some((events) => events.consumer.health !== 'healthy'))
      return this.config.refreshIntervalMs;
    return Math.min(...this.#events.map((events) => events.source.events!.reconcileIntervalMs));
  }

  /** An unreadable queue brings the next full refresh forward to refresh_interval (fallback to polling). */
  #onHealthChange(health: ConsumerHealth): void {
    if (health !== 'unhealthy' || this.#stopped || this.#timer === undefined || this.#tick === undefined)
      return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#tick, this.config.refreshIntervalMs);
    this.#timer.unref();
  }

  async #refresh(options: RefreshOptions): Promise<RefreshSummary> {
    const started = this.#now();
    const fetchers =
      options.onlySources === undefined
        ? this.#fetchers
        : this.#fetchers.filter((fetcher) => options.onlySources!.has(fetcher.source.name));
    const progressive = options.progressive === true;
    const sources = await Promise.all(
      fetchers.map((fetcher) =>
        this.#refreshSourceOf(fetcher, {
          ...(options.onlyClusters === undefined ? {} : { onlyClusters: options.onlyClusters }),
          ...(options.detachAfterMs === undefined ? {} : { detachAfterMs: options.detachAfterMs }),
          // Publish each cluster soon after it is read instead of waiting for the slowest.
          ...(options.writeOutputs === false
            ? {}
            : { onClusterUpdated: () => this.#clusterUpdated(progressive) }),
        }),
      ),
    );
    const failures = sources.flatMap((source) => source.failures);
    // A cluster whose read is still running was not read by this refresh: not complete.
    const complete = failures.length === 0 && sources.every((source) => source.pending.length === 0);
    if (this.#publishTimer !== undefined) clearTimeout(this.#publishTimer);
    this.#publishTimer = undefined;
    const first = complete && !this.state.ready() && options.onlySources === undefined;
    // Ready only once file_sd holds every cluster too: a probe (or a test) that sees ready finds both outputs whole.
    const written = options.writeOutputs === false ? [] : await this.#publish(first ? 'complete' : 'ready');
    if (first) {
      this.state.markReady();
      this.#log.info({ clusters: this.state.clusters().length }, 'first complete refresh: ready');
    }
    const summary = this.#summary(complete, failures, sources, written);
    this.#log.debug(
      {
        clusters: summary.clusters,
        tasks: summary.tasks,
        targets: summary.targets,
        failures: failures.length,
        durationMs: this.#now() - started,
      },
      'refresh done',
    );
    return summary;
  }

  /**
   * A cluster's targets were replaced: a cold start publishes at once (`progressive`), a ready
   * daemon within PUBLISH_AFTER_UPDATE_MS unless the refresh ends first and publishes itself.
   */
  #clusterUpdated(progressive: boolean): void {
    if (this.#closed) return;
    if (this.state.ready()) {
      if (this.#publishTimer !== undefined) return;
      this.#publishTimer = setTimeout(() => {
        this.#publishTimer = undefined;
        if (!this.#closed) void this.#publish().catch(() => {});
      }, PUBLISH_AFTER_UPDATE_MS);
      this.#publishTimer.unref();
    } else if (progressive) {
      void this.#publish('progressive').catch(() => {});
    }
  }

  /** Polls one source (some clusters of it); in event mode the poll's versions go to the source's store. */
  #refreshSourceOf(
    fetcher: SourceFetcher,
    extra: Pick<RefreshContext, 'onlyClusters' | 'onClusterUpdated' | 'detachAfterMs'>,
  ): Promise<SourceRefreshResult> {
    const events = this.#events.find((candidate) => candidate.fetcher === fetcher);
    const store = events?.store;
    return refreshSource({
      fetcher,
      lock: (clusterArn, fn) => this.#withCluster(fetcher.source.name, clusterArn, fn),
      state: this.state,
      options: this.config.discovery,
      metrics: this.#metrics,
      log: this.#log,
      now: this.#now,
      timeouts: this.config.timeouts,
      signal: this.#shutdown.signal,
      reads: this.#readsOf(fetcher.source.name),
      ...extra,
      ...(store === undefined
        ? {}
        : {
            onClusterPolled: (clusterArn, poll) => store.observePoll(clusterArn, poll),
            onClusterRemoved: (clusterArn) => store.dropCluster(clusterArn),
          }),
      // Events held back while this cluster was read are applied now.
      ...(events === undefined
        ? {}
        : {
            onClusterDone: (clusterArn: string) => {
              if (events.pending.has(clusterArn) && !this.#closed) events.coalescer.trigger();
            },
          }),
    });
  }

  /** Writes the outputs after any write in progress (so writes land in order); errors of a write reach only its caller. */
  #publish(when: PublishWhen = 'ready'): Promise<string[]> {
    const next = this.#published.catch(() => []).then(() => this.#writeOutputs(when));
    this.#published = next;
    return next;
  }

  /**
   * Writes the file_sd outputs from the state, never a cluster's partial targets: once ready (or by
   * the first complete refresh, just before it marks the state ready), or (`progressive`, a cold
   * start) the clusters read so far, at least one. Each file is rendered and written on its own: one
   * that fails is counted, logged and recorded for readiness, keeps its previous content, and is
   * tried again at the next publish; the others are written. Never throws.
   */
  async #writeOutputs(when: PublishWhen): Promise<string[]> {
    const { directory, file, format } = this.config.output;
    const allowed =
      this.state.ready() ||
      when === 'complete' ||
      (when === 'progressive' && this.state.clusters().length > 0);
    if (!allowed) return [];
    if (directory === undefined && file === undefined) return [];
    const layouts: FileSdOptions[] = [
      ...(directory === undefined ? [] : [{ directory, format }]),
      ...(file === undefined ? [] : [{ file, format }]),
    ];
    if (!this.#cleaned) {
      this.#cleaned = true;
      await this.#removeTemporaries(layouts);
    }
    // Rendering every target to compare it with the files costs CPU at scale: skip it while nothing changed.
    const version = this.state.version;
    if (this.#written?.version === version && this.#written.files.every((path) => existsSync(path)))
      return [];
    const targets = this.state.targets();
    const onWrite = (path: string) => this.#metrics.fileWrites.inc({ file: path });
    const written: string[] = [];
    const files: string[] = [];
    let failed = false;
    for (const layout of layouts) {
      let result: FileSdResult;
      try {
        result = await writeFileSd(targets, {
          ...layout,
          onWrite,
          memo: this.#fileMemo,
          ...(this.#maxOutputLength === undefined ? {} : { maxLength: this.#maxOutputLength }),
        });
      } catch (err) {
        // Not a per-file failure (options the config should have refused): every file of the layout failed.
        const error =
          err instanceof FileSdError
            ? err
            : new FileSdError('ECS_SD_FILE_SD_WRITE', 'writing file_sd files failed', { cause: err });
        result = {
          written: [],
          unchanged: [],
          replaced: new Map(),
          failed: this.#pathsOf(layout).map((path) => ({ path, reason: 'render-error', error })),
        };
      }
      for (const path of [...result.written, ...result.unchanged]) {
        if (this.state.file(path)?.ok === false) this.#log.info({ file: path }, 'file_sd file written again');
        this.state.recordFileWritten(path, result.replaced.get(path) ?? 0);
      }
      for (const failure of result.failed) this.#fileFailed(failure);
      failed ||= result.failed.length > 0;
      written.push(...result.written);
      files.push(...result.written, ...result.unchanged);
    }
    // A failed file is tried again at the next publish, even if the state did not change.
    this.#written = failed ? undefined : { version, files };
    if (written.length > 0) this.#log.info({ files: written, targets: targets.length }, 'file_sd written');
    return written;
  }

  #pathsOf(layout: FileSdOptions): string[] {
    try {
      return fileSdPaths(layout);
    } catch {
      return [layout.file ?? layout.directory ?? ''];
    }
  }

  #fileFailed(failure: FileSdFailure): void {
    const { path, reason, error } = failure;
    const { cause } = error;
    const message = `${error.message}${cause instanceof Error ? `: ${cause.message}` : ''}`;
    this.#metrics.fileWriteFailures.inc({ file: path, reason });
    const previous = this.state.file(path);
    // A warning when a file starts failing (or fails differently); the same failure at every later publish is debug.
    const level = previous?.ok === false && previous.message === message ? 'debug' : 'warn';
    this.state.recordFileFailed(path, reason, message, this.#now());
    this.#log[level](
      { file: path, reason, err: error },
      'file_sd file not written, it keeps its previous targets',
    );
  }

  /** Removes the temporary files a killed process left next to the outputs (exactly their names' pattern). */
  async #removeTemporaries(layouts: readonly FileSdOptions[]): Promise<void> {
    const { removed, failed } = await removeTemporaries(layouts.flatMap((layout) => this.#pathsOf(layout)));
    if (removed.length > 0)
      this.#log.info({ files: removed }, 'removed temporary files left by an earlier run');
    for (const { path, error } of failed)
      this.#log.warn({ file: path, err: error }, 'removing temporary files left by an earlier run failed');
  }

  #summary(
    complete: boolean,
    failures: string[],
    sources: SourceRefreshResult[],
    written: string[],
  ): RefreshSummary {
    const decisions = this.state.decisions();
    const skipped = new Map<string, number>();
    for (const decision of decisions) {
      const reason = taskSkipReason(decision);
      if (reason !== undefined) skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    }
    return {
      complete,
      clusters: this.state.clusters().length,
      tasks: decisions.length,
      targets: this.state.targets().length,
      skipped,
      failures,
      sources,
      written,
      fileFailures: this.state.outputProblems(),
    };
  }

  /** Refreshes now and then every `refresh_interval` after each refresh ends (so refreshes never overlap). */
  start(): void {
    this.#stopped = false;
    const { directory, file, format } = this.config.output;
    const existing = [
      ...(file === undefined ? [] : [file]),
      ...(directory === undefined
        ? []
        : [join(directory, intervalFileName(this.config.discovery.defaultInterval, format))]),
    ].some((path) => existsSync(path));
    const tick = () => {
      this.#timer = undefined;
      this.refresh({ progressive: !existing, detachAfterMs: this.#detachAfterMs() })
        .catch((error: unknown) => this.#log.error({ err: error }, 'refresh failed'))
        .finally(() => {
          if (this.#stopped) return;
          this.#timer = setTimeout(tick, this.#nextRefreshMs());
          this.#timer.unref();
        });
    };
    this.#tick = tick;
    for (const events of this.#events) {
      this.#metrics.eventsHealthy.set({ source: events.source.name }, 1);
      events.consumer.start();
    }
    tick();
  }

  /** True while a next refresh is scheduled or running under `start()`. */
  scheduled(): boolean {
    return !this.#stopped && (this.#timer !== undefined || this.#inFlight !== undefined);
  }

  /**
   * Stops the timer, aborts every AWS call, rate-budget wait and cluster read in flight (each
   * cluster keeps its last targets), lets a write in progress finish, and closes the AWS clients:
   * it never waits for AWS to answer, only STOP_DELETE_GRACE_MS for handled events to be deleted.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#publishTimer !== undefined) clearTimeout(this.#publishTimer);
    this.#publishTimer = undefined;
    for (const events of this.#events) events.coalescer.cancel();
    this.#shutdown.abort(new Error('ecs-sd is stopping'));
    // Calls waiting for a token fail at once, so a refresh in flight ends now, keeping its last targets.
    if (this.#ownsBudgets) this.budgets.close();
    const consumers = Promise.all(this.#events.map((events) => events.consumer.stop()));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      consumers,
      new Promise<void>((resolve) => {
        grace = setTimeout(resolve, STOP_DELETE_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    // Destroying a client ends its calls still in flight (a delete that does not answer).
    for (const events of this.#events) events.client.destroy();
    await consumers;
    await this.#inFlight?.catch(() => {});
    await Promise.all([...this.#flushes].map((flush) => flush.catch(() => {})));
    await Promise.all(
      [...this.#reads.values()].flatMap((reads) => [...reads.values()].map((read) => read.done)),
    );
    await this.#published.catch(() => {});
    for (const clients of this.#clients) clients.destroy();
  }
}

/** The one-line `--once` summary: clusters, tasks seen, targets, skipped by reason. */
export function formatSummary(summary: RefreshSummary): string {
  const skipped = [...summary.skipped.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, count]) => `${reason}=${count}`)
    .join(' ');
  const failed = summary.failures.length > 0 ? `, ${summary.failures.length} failures` : '';
  return `${summary.clusters} clusters, ${summary.tasks} tasks, ${summary.targets} targets, skipped: ${skipped === '' ? 'none' : skipped}${failed}`;
}
