/**
 * The daemon's runtime, composed from a `Config`: the sources (sources.ts), the refresh of every
 * source (source-refresh.ts), the outputs (publisher.ts), event mode (event-mode.ts) and the loop
 * (refresh-loop.ts). The CLI's daemon, `--once` and local `explain` all run through it.
 *
 * Refreshes run one at a time (refresh-gate.ts). The outputs are written once a complete refresh has
 * happened, or on a first start cluster by cluster as each is read; a cluster read while a refresh
 * still waits for a slow one is published within a second. reload() applies a new config without
 * losing the state or the sources it keeps (reload.ts). stop() aborts every call in flight.
 */
import type { Logger } from 'pino';
import { RateBudgets, registerRateBudgetMetrics } from '../aws/budget-plugin.ts';
import { createSourceClients } from '../aws/clients.ts';
import type { Config } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import type { Timer } from '../lib/timer.ts';
import type { Metrics } from '../metrics.ts';
import type { DaemonStatus } from '../server/status/model.ts';
import { ClusterLocks } from './cluster-locks.ts';
import type { EventsTuning } from './event-mode.ts';
import { Publisher, publishSoonDelayMs } from './publisher.ts';
import { RefreshGate } from './refresh-gate.ts';
import { RefreshLoop } from './refresh-loop.ts';
import { planReload } from './reload.ts';
import { refreshSource } from './source-refresh.ts';
import {
  buildSource,
  countedLoopRefresh,
  nextRefreshMs,
  type RuntimeParts,
  refreshContext,
  type SourceFactory,
} from './source-wiring.ts';
import {
  type CreateClients,
  forgetSources,
  regionProblems,
  type SourceRuntime,
  stopSource,
} from './sources.ts';
import { DiscoveryState } from './state.ts';
import { runtimeStatus, StatusRecorder } from './status.ts';
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

/** What a reload changed, and what it could not apply (settings that need a restart). */
export interface ReloadSummary {
  changes: string[];
  needsRestart: string[];
}

/** The running discovery: its state, one refresh at a time, the loop, reloads, and a clean stop. */
export interface Runtime {
  /** The config in use (the last one reloaded). */
  readonly config: Config;
  /** The discovery state the web server and the outputs read. */
  readonly state: DiscoveryState;
  /** The client-side rate budgets, one per account (or role) and Region, shared by its sources. */
  readonly budgets: RateBudgets;
  /** Refreshes every source (or some) once; see the sharing rule above. */
  refresh(options?: RefreshOptions): Promise<RefreshSummary>;
  /** Throws a `ConfigError` naming each source without a Region (none configured, none from the SDK's chain). */
  checkRegions(): Promise<void>;
  /** Starts the events consumers and the loop: refresh now, then every interval after each ends. */
  start(): void;
  /**
   * Applies a new config: sources kept by name keep their caches and consumers, the state keeps
   * every last good target, changed outputs are written at once, and a refresh follows. A source
   * without a Region is a `ConfigError`, and the running config stays.
   */
  reload(config: Config): Promise<ReloadSummary>;
  /** True while a next refresh is scheduled or running under `start()`. */
  scheduled(): boolean;
  /** What the status page shows: each source's and cluster's last refresh and error, event mode, the budgets. */
  status(): DaemonStatus;
  /** Stops the loop, aborts every AWS call in flight (each cluster keeps its last targets), closes the clients. */
  stop(): Promise<void>;
}

/** The file_sd outputs of a config, written from the runtime's state. */
function publisherOf(config: Config, parts: RuntimeParts, deps: RuntimeDeps): Publisher {
  return new Publisher({
    output: config.output,
    defaultInterval: config.discovery.defaultInterval,
    state: parts.state,
    metrics: parts.metrics,
    log: parts.log,
    now: parts.now,
    maxOutputLength: deps.maxOutputLength,
    timer: deps.timer,
  });
}

/** Composes the runtime of a config. */
export function createRuntime(config: Config, deps: RuntimeDeps): Runtime {
  return new DiscoveryRuntime(config, deps);
}

class DiscoveryRuntime implements Runtime {
  readonly state = new DiscoveryState();
  #config: Config;
  #budgets: RateBudgets;
  readonly #deps: RuntimeDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #ownsBudgets: boolean;
  readonly #sources = new Map<string, SourceRuntime>();
  #publisher: Publisher;
  readonly #locks = new ClusterLocks();
  readonly #loop: RefreshLoop;
  readonly #parts: RuntimeParts;
  readonly #factory: SourceFactory;
  /** Aborted by stop(): every AWS call, rate-budget wait and cluster read in flight ends at once. */
  readonly #shutdown = new AbortController();
  readonly #gate = new RefreshGate<RefreshSummary>(() => this.#shutdown.signal.aborted);
  /** Set by start() when no output file exists yet: until ready, the loop publishes cluster by cluster. */
  #progressive = false;
  #started = false;
  /** How long the last complete full refresh took: clusters read during the next wait about that long to be written. */
  #usualRefreshMs: number | undefined;
  /** Reloads run one at a time. */
  #reloading: Promise<unknown> = Promise.resolve();
  /** What refreshes did, for the status page; it knows the clusters the state holds. */
  readonly #status = new StatusRecorder(
    () => this.#now(),
    (s, arn) => this.state.entry(s, arn) !== undefined,
  );

  constructor(config: Config, deps: RuntimeDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'daemon' });
    this.#now = deps.now ?? Date.now;
    this.#ownsBudgets = deps.budgets === undefined;
    this.#budgets = deps.budgets ?? new RateBudgets(config.rateBudget);
    if (deps.metrics.registry.getSingleMetric('ecs_sd_rate_budget_tokens') === undefined)
      registerRateBudgetMetrics(deps.metrics.registry, () => this.#budgets.all());
    this.#parts = {
      config: () => this.#config,
      state: this.state,
      metrics: deps.metrics,
      log: this.#log,
      rootLog: deps.log,
      now: this.#now,
      locks: this.#locks,
      detachAfterMs: () => this.#detachAfterMs(),
      status: this.#status,
    };
    this.#factory = {
      createClients: deps.createClients ?? createSourceClients,
      budgets: () => this.#budgets,
      shutdown: this.#shutdown.signal,
      tuning: deps.eventsOptions,
      callbacks: {
        poll: (source, clusters) =>
          this.refresh({
            onlySources: new Set([source]),
            onlyClusters: clusters,
            detachAfterMs: this.#detachAfterMs(),
          }),
        publish: () => this.#publisher.publish(),
        // An unreadable queue brings the next full refresh forward to refresh_interval (fallback to polling).
        onUnhealthy: () => this.#loop.reschedule(this.#config.refreshIntervalMs),
      },
    };
    for (const { name } of config.sources)
      this.#sources.set(name, buildSource(this.#parts, this.#factory, config, name));
    this.#publisher = publisherOf(config, this.#parts, this.#deps);
    deps.metrics.setStateProvider(() => this.state.metricsState([...this.#sources.keys()]));
    this.#loop = new RefreshLoop({
      refresh: () =>
        countedLoopRefresh([...this.#sources.values()], this.#parts, !this.state.ready(), () =>
          this.refresh({ progressive: this.#progressive, detachAfterMs: this.#detachAfterMs() }),
        ),
      intervalMs: () => nextRefreshMs([...this.#sources.values()], this.#config),
      onError: (error) => this.#log.error({ err: error }, 'refresh failed'),
      ...(deps.timer === undefined ? {} : { timer: deps.timer }),
    });
  }

  get config(): Config {
    return this.#config;
  }

  get budgets(): RateBudgets {
    return this.#budgets;
  }

  refresh(options: RefreshOptions = {}): Promise<RefreshSummary> {
    const partial = options.onlyClusters !== undefined || options.onlySources !== undefined;
    return this.#gate.run(partial, () => this.#refresh(options));
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
          ...refreshContext(this.#parts, source),
          onlyClusters: options.onlyClusters,
          detachAfterMs: options.detachAfterMs,
          // Publish the clusters read so far when the refresh runs past its usual length, not only at its end.
          ...(options.writeOutputs === false
            ? {}
            : { onClusterUpdated: () => this.#clusterUpdated(progressive, started) }),
        }),
      ),
    );
    const failures = results.flatMap((result) => result.failures);
    // A cluster whose read is still running was not read by this refresh: not complete. Nor is a
    // refresh the stop aborted: its reads ended without failures, and without reading anything.
    const stopped = this.#shutdown.signal.aborted;
    const complete =
      !stopped && failures.length === 0 && results.every((result) => result.pending.length === 0);
    this.#publisher.cancelSoon();
    const first = complete && !this.state.ready() && only === undefined;
    if (first) this.#publisher.cancelProgressive();
    // Ready only once file_sd holds every cluster too: a probe (or a test) that sees ready finds both outputs whole.
    const written =
      options.writeOutputs === false || stopped
        ? []
        : await this.#publisher.publish(first ? 'complete' : 'ready');
    if (first) {
      this.state.markReady();
      // Only the daemon becomes ready: --once and explain end after this refresh.
      this.#log[this.#started ? 'info' : 'debug'](
        { clusters: this.state.clusters().length },
        'first complete refresh: ready',
      );
    }
    const summary = summarize(this.state, { complete, failures, sources: results, written });
    const { clusters, tasks, targets } = summary;
    const durationMs = this.#now() - started;
    if (complete && only === undefined && options.onlyClusters === undefined)
      this.#usualRefreshMs = durationMs;
    this.#log.debug({ clusters, tasks, targets, failures: failures.length, durationMs }, 'refresh done');
    return summary;
  }

  /**
   * A cluster's targets were replaced: a cold start publishes at once or soon (`progressive`, see
   * Publisher.publishProgressive), a ready runtime when the refresh runs past its usual length
   * (`publishSoonDelayMs`) unless it ends first and publishes itself.
   */
  #clusterUpdated(progressive: boolean, started: number): void {
    if (this.#shutdown.signal.aborted) return;
    if (this.state.ready())
      this.#publisher.publishSoon(publishSoonDelayMs(started, this.#now(), this.#usualRefreshMs));
    else if (progressive) this.#publisher.publishProgressive();
  }

  /** How long the loop waits for one cluster's read: a refresh interval, so the others are refreshed at most two intervals apart. */
  #detachAfterMs(): number {
    return Math.max(this.#config.refreshIntervalMs, DETACH_MIN_MS);
  }

  async checkRegions(): Promise<void> {
    const problems = await regionProblems(this.#config, [...this.#sources.values()]);
    if (problems.length > 0) throw new ConfigError(problems);
  }

  start(): void {
    this.#started = true;
    this.#progressive = !this.#publisher.hasPreviousOutput();
    for (const source of this.#sources.values()) source.events?.start();
    this.#loop.start();
  }

  scheduled(): boolean {
    return this.#loop.scheduled();
  }

  reload(config: Config): Promise<ReloadSummary> {
    const next = this.#reloading.catch(() => {}).then(() => this.#reload(config));
    this.#reloading = next;
    return next;
  }

  async #reload(next: Config): Promise<ReloadSummary> {
    if (this.#shutdown.signal.aborted)
      throw new Error('ecs-sd is stopping, expected a reload before the stop');
    const plan = planReload(this.#config, next);
    const budgets = plan.budgets && this.#ownsBudgets ? new RateBudgets(next.rateBudget) : this.#budgets;
    const previousBudgets = this.#budgets;
    this.#budgets = budgets;
    const built = [...plan.add, ...plan.rebuild].map((name) =>
      buildSource(this.#parts, this.#factory, next, name),
    );
    const problems = await regionProblems(next, built);
    if (problems.length > 0) {
      for (const source of built) source.clients.destroy();
      this.#budgets = previousBudgets;
      if (budgets !== previousBudgets) budgets.close();
      throw new ConfigError(problems);
    }
    this.#config = next;
    const stopping: Promise<void>[] = [];
    const removed = [...plan.remove, ...plan.rebuild].map((name) => this.#sources.get(name)!);
    for (const name of plan.remove) this.#sources.delete(name);
    for (const source of built) this.#sources.set(source.config.name, source);
    for (const source of removed) stopping.push(stopSource(source));
    const purge = () => forgetSources(this.state, this.#deps.metrics, plan.remove);
    purge();
    if (plan.redecide) this.state.redecideAll();
    if (this.#started) for (const source of built) source.events?.start();
    if (plan.outputs) {
      const old = this.#publisher;
      this.#publisher = publisherOf(next, this.#parts, this.#deps);
      stopping.push(old.stop());
      if (this.#started) this.#progressive = !this.#publisher.hasPreviousOutput();
    }
    await Promise.all(stopping);
    // A refresh of a removed source that was in flight has ended: none of its clusters may stay.
    purge();
    if (budgets !== previousBudgets) previousBudgets.close();
    if (plan.outputs && this.state.ready()) await this.#publisher.publish();
    if (this.#started) this.#loop.runSoon();
    return { changes: plan.changes, needsRestart: plan.needsRestart };
  }

  status(): DaemonStatus {
    return runtimeStatus(this, this.#status, this.#sources, this.#now());
  }

  async stop(): Promise<void> {
    this.#loop.stop();
    await this.#reloading.catch(() => {});
    const sources = [...this.#sources.values()];
    for (const source of sources) source.events?.cancel();
    this.#shutdown.abort(new Error('ecs-sd is stopping'));
    this.#publisher.cancelSoon();
    // Calls waiting for a token fail at once, so a refresh in flight ends now, keeping its last targets.
    if (this.#ownsBudgets) this.#budgets.close();
    await Promise.all(sources.map((source) => source.events?.stop()));
    await this.#gate.settled();
    await Promise.all(sources.map((source) => source.events?.drain()));
    const reads = sources.flatMap((source) => [...source.reads.values()]);
    await Promise.all(reads.map((read) => read.done));
    await this.#publisher.stop();
    for (const source of sources) source.clients.destroy();
  }
}
