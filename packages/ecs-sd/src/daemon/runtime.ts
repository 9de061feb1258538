/**
 * The daemon's runtime, composed from a `Config`: the sources (sources.ts), the refresh of every
 * source (source-refresh.ts), the outputs (publisher.ts), event mode (event-mode.ts) and the loop
 * (refresh-loop.ts). The CLI's daemon, `--once` and local `explain` all run through it.
 *
 * Refreshes run one at a time: a full refresh asked for during another full one shares it; anything
 * else waits for the one in flight, then runs. The outputs are written once a complete refresh has
 * happened, or on a first start cluster by cluster as each is read; a cluster read while a refresh
 * still waits for a slow one is published within a second. stop() aborts every call in flight.
 */
import type { Logger } from 'pino';
import { RateBudgets, registerRateBudgetMetrics } from '../aws/budget-plugin.ts';
import { createSourceClients, type SourceClientsOptions } from '../aws/clients.ts';
import type { Config } from '../config/types.ts';
import type { Timer } from '../lib/timer.ts';
import type { Metrics } from '../metrics.ts';
import { ClusterLocks } from './cluster-locks.ts';
import { EventMode, type EventsTuning } from './event-mode.ts';
import { Publisher } from './publisher.ts';
import { RefreshLoop } from './refresh-loop.ts';
import { type RefreshContext, refreshSource } from './source-refresh.ts';
import { type CreateClients, createSources, type SourceRuntime } from './sources.ts';
import { DiscoveryState } from './state.ts';
import { type RefreshSummary, summarize } from './summary.ts';

/**
 * The loop stops waiting for a cluster's read after one refresh interval, but never sooner than
 * this (an interval shortened below the config's 1s minimum, in tests).
 */
export const DETACH_MIN_MS = 1000;

/** What the runtime is built with besides its config. */
export interface RuntimeDeps {
  log: Logger;
  metrics: Metrics;
  /** Creates a source's clients; default: real SDK clients. */
  createClients?: CreateClients;
  /** Rate budgets shared with other runtimes of the process; default: its own, from `config.rateBudget`. */
  budgets?: RateBudgets;
  /** Milliseconds clock of the state, the caches and the re-read intervals. @default Date.now */
  now?: () => number;
  /** Longest file_sd file in UTF-16 code units (default `MAX_OUTPUT_LENGTH`); tests make it small. */
  maxOutputLength?: number;
  /** Tuning of the events consumers (tests shorten the long poll and the backoff). */
  eventsOptions?: EventsTuning;
  /** Timers of the refresh loop and the publisher (tests pass fake ones). */
  timer?: Timer;
}

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
  /** Stop waiting for a cluster's read after this long (the loop: one refresh interval). Undefined: wait for all. */
  detachAfterMs?: number;
}

/** The running discovery: its state, one refresh at a time, the loop, and a clean stop. */
export interface Runtime {
  readonly config: Config;
  /** The discovery state the web server and the outputs read. */
  readonly state: DiscoveryState;
  /** The client-side rate budgets, one per account (or role) and Region, shared by its sources. */
  readonly budgets: RateBudgets;
  /** Refreshes every source (or some) once; see the sharing rule above. */
  refresh(options?: RefreshOptions): Promise<RefreshSummary>;
  /** Starts the events consumers and the loop: refresh now, then every interval after each ends. */
  start(): void;
  /** True while a next refresh is scheduled or running under `start()`. */
  scheduled(): boolean;
  /** Stops the loop, aborts every AWS call in flight (each cluster keeps its last targets), closes the clients. */
  stop(): Promise<void>;
}

/** Composes the runtime of a config. */
export function createRuntime(config: Config, deps: RuntimeDeps): Runtime {
  return new DiscoveryRuntime(config, deps);
}

class DiscoveryRuntime implements Runtime {
  readonly config: Config;
  readonly state = new DiscoveryState();
  readonly budgets: RateBudgets;
  readonly #deps: RuntimeDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #ownsBudgets: boolean;
  readonly #sources: Map<string, SourceRuntime>;
  readonly #publisher: Publisher;
  readonly #locks = new ClusterLocks();
  readonly #loop: RefreshLoop;
  /** Aborted by stop(): every AWS call, rate-budget wait and cluster read in flight ends at once. */
  readonly #shutdown = new AbortController();
  #inFlight: Promise<RefreshSummary> | undefined;
  /** True while the refresh in flight covers only some sources or clusters. */
  #inFlightPartial = false;
  /** Set by start() when no output file exists yet: until ready, the loop publishes cluster by cluster. */
  #progressive = false;

  constructor(config: Config, deps: RuntimeDeps) {
    this.config = config;
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'daemon' });
    this.#now = deps.now ?? Date.now;
    this.#ownsBudgets = deps.budgets === undefined;
    this.budgets = deps.budgets ?? new RateBudgets(config.rateBudget);
    if (deps.metrics.registry.getSingleMetric('ecs_sd_rate_budget_tokens') === undefined)
      registerRateBudgetMetrics(deps.metrics.registry, () => this.budgets.all());
    const clientOptions: SourceClientsOptions = {
      requestTimeoutMs: config.timeouts.awsRequestMs,
      log: deps.log.child({ component: 'aws' }),
    };
    this.#sources = createSources(config, {
      config,
      log: deps.log,
      metrics: deps.metrics,
      budgets: this.budgets,
      createClients: deps.createClients ?? createSourceClients,
      clientOptions,
      now: this.#now,
      signal: this.#shutdown.signal,
    });
    for (const source of this.#sources.values()) {
      if (source.config.events !== undefined) source.events = this.#eventMode(source, clientOptions);
    }
    this.#publisher = new Publisher({
      output: config.output,
      defaultInterval: config.discovery.defaultInterval,
      state: this.state,
      metrics: deps.metrics,
      log: this.#log,
      now: this.#now,
      maxOutputLength: deps.maxOutputLength,
      timer: deps.timer,
    });
    const names = [...this.#sources.keys()];
    deps.metrics.setStateProvider(() => this.state.metricsState(names));
    this.#loop = new RefreshLoop({
      refresh: () => this.refresh({ progressive: this.#progressive, detachAfterMs: this.#detachAfterMs() }),
      intervalMs: () => this.#nextRefreshMs(),
      onError: (error) => this.#log.error({ err: error }, 'refresh failed'),
      ...(deps.timer === undefined ? {} : { timer: deps.timer }),
    });
  }

  refresh(options: RefreshOptions = {}): Promise<RefreshSummary> {
    const partial = options.onlyClusters !== undefined || options.onlySources !== undefined;
    if (this.#inFlight !== undefined) {
      if (!partial && !this.#inFlightPartial) return this.#inFlight;
      const running = this.#inFlight;
      return running
        .catch(() => undefined)
        .then(() => (this.#shutdown.signal.aborted ? running : this.refresh(options)));
    }
    const current = this.#refresh(options).finally(() => {
      this.#inFlight = undefined;
      this.#inFlightPartial = false;
    });
    this.#inFlight = current;
    this.#inFlightPartial = partial;
    return current;
  }

  async #refresh(options: RefreshOptions): Promise<RefreshSummary> {
    const started = this.#now();
    const only = options.onlySources;
    const sources = [...this.#sources.values()].filter(
      (source) => only === undefined || only.has(source.config.name),
    );
    const progressive = options.progressive === true;
    const results = await Promise.all(
      sources.map((source) =>
        refreshSource({
          ...this.#refreshContext(source),
          onlyClusters: options.onlyClusters,
          detachAfterMs: options.detachAfterMs,
          // Publish each cluster soon after it is read instead of waiting for the slowest.
          ...(options.writeOutputs === false
            ? {}
            : { onClusterUpdated: () => this.#clusterUpdated(progressive) }),
        }),
      ),
    );
    const failures = results.flatMap((result) => result.failures);
    // A cluster whose read is still running was not read by this refresh: not complete.
    const complete = failures.length === 0 && results.every((result) => result.pending.length === 0);
    this.#publisher.cancelSoon();
    const first = complete && !this.state.ready() && only === undefined;
    // Ready only once file_sd holds every cluster too: a probe (or a test) that sees ready finds both outputs whole.
    const written =
      options.writeOutputs === false ? [] : await this.#publisher.publish(first ? 'complete' : 'ready');
    if (first) {
      this.state.markReady();
      this.#log.info({ clusters: this.state.clusters().length }, 'first complete refresh: ready');
    }
    const summary = summarize(this.state, { complete, failures, sources: results, written });
    const { clusters, tasks, targets } = summary;
    const durationMs = this.#now() - started;
    this.#log.debug({ clusters, tasks, targets, failures: failures.length, durationMs }, 'refresh done');
    return summary;
  }

  /** What a poll of one source reads with; in event mode the poll's versions go to the source's store. */
  #refreshContext(source: SourceRuntime): RefreshContext {
    const { fetcher, events } = source;
    return {
      fetcher,
      state: this.state,
      options: this.config.discovery,
      metrics: this.#deps.metrics,
      log: this.#log,
      now: this.#now,
      timeouts: this.config.timeouts,
      taskRereadAfterMs: this.config.taskRereadIntervalMs,
      signal: this.#shutdown.signal,
      reads: source.reads,
      lock: (clusterArn, fn) => this.#locks.run(source.config.name, clusterArn, fn),
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

  /**
   * A cluster's targets were replaced: a cold start publishes at once (`progressive`), a ready
   * runtime within PUBLISH_AFTER_UPDATE_MS unless the refresh ends first and publishes itself.
   */
  #clusterUpdated(progressive: boolean): void {
    if (this.#shutdown.signal.aborted) return;
    if (this.state.ready()) this.#publisher.publishSoon();
    else if (progressive) void this.#publisher.publish('progressive').catch(() => {});
  }

  #eventMode(source: SourceRuntime, clientOptions: SourceClientsOptions): EventMode {
    const deps = this.#deps;
    return new EventMode(
      source.config,
      { log: deps.log, metrics: deps.metrics, now: this.#now, clientOptions, tuning: deps.eventsOptions },
      {
        state: this.state,
        fetcher: source.fetcher,
        options: this.config.discovery,
        timeouts: this.config.timeouts,
        locks: this.#locks,
        reads: source.reads,
        signal: this.#shutdown.signal,
        poll: (clusters) =>
          this.refresh({
            onlySources: new Set([source.config.name]),
            onlyClusters: clusters,
            detachAfterMs: this.#detachAfterMs(),
          }),
        publish: () => this.#publisher.publish(),
        // An unreadable queue brings the next full refresh forward to refresh_interval (fallback to polling).
        onHealthChange: (health) => {
          if (health === 'unhealthy') this.#loop.reschedule(this.config.refreshIntervalMs);
        },
      },
    );
  }

  /** How long the loop waits for one cluster's read: a refresh interval, so the others are refreshed at most two intervals apart. */
  #detachAfterMs(): number {
    return Math.max(this.config.refreshIntervalMs, DETACH_MIN_MS);
  }

  /** Time to the next full refresh: reconcile_interval while every source reads its events queue, else refresh_interval. */
  #nextRefreshMs(): number {
    const sources = [...this.#sources.values()];
    const events = sources.flatMap((source) => (source.events === undefined ? [] : [source.events]));
    if (events.length < sources.length || events.some((mode) => !mode.healthy))
      return this.config.refreshIntervalMs;
    return Math.min(...events.map((mode) => mode.source.events!.reconcileIntervalMs));
  }

  start(): void {
    this.#progressive = !this.#publisher.hasPreviousOutput();
    for (const source of this.#sources.values()) source.events?.start();
    this.#loop.start();
  }

  scheduled(): boolean {
    return this.#loop.scheduled();
  }

  async stop(): Promise<void> {
    this.#loop.stop();
    const events = [...this.#sources.values()].flatMap((source) =>
      source.events === undefined ? [] : [source.events],
    );
    for (const mode of events) mode.cancel();
    this.#shutdown.abort(new Error('ecs-sd is stopping'));
    this.#publisher.cancelSoon();
    // Calls waiting for a token fail at once, so a refresh in flight ends now, keeping its last targets.
    if (this.#ownsBudgets) this.budgets.close();
    await Promise.all(events.map((mode) => mode.stop()));
    await this.#inFlight?.catch(() => {});
    await Promise.all(events.map((mode) => mode.drain()));
    const reads = [...this.#sources.values()].flatMap((source) => [...source.reads.values()]);
    await Promise.all(reads.map((read) => read.done));
    await this.#publisher.stop();
    for (const source of this.#sources.values()) source.clients.destroy();
  }
}
