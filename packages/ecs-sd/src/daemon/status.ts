/**
 * What the status page shows of the runtime beyond the discovery state: each source's last refresh
 * and its duration, each cluster's last read and the error behind a stale cluster (since when, and
 * why), event mode's health and lag, and the rate budgets. The runtime feeds a `StatusRecorder`
 * from the refresh it already runs; `daemonStatus` assembles a plain snapshot of it with the state.
 */
import type { Config, EventsConfig, SourceConfig } from '../config/types.ts';
import type { EventMetrics } from '../events/consumer-options.ts';
import type {
  BucketStatus,
  ClusterStatus,
  DaemonStatus,
  EventModeStatus,
  Failing,
  ReadOutcome,
  SourceStatus,
} from '../server/status/model.ts';
import { skippedWithIntent } from '../server/status/skips.ts';
import type { ClusterReadReport } from './cluster-read.ts';
import type { SourceRefreshResult } from './source-refresh.ts';
import type { DiscoveryState } from './state.ts';

/** Lags kept per source for the "longest recent lag". */
export const RECENT_LAGS = 100;

interface ClusterRecord {
  clusterName: string;
  lastRead: ReadOutcome;
  error?: Failing;
}

interface SourceRecord {
  lastRefresh?: SourceStatus['lastRefresh'];
  selectError?: Failing;
}

function keyOf(source: string, clusterArn: string): string {
  return `${source}\u0000${clusterArn}`;
}

/** The failure after `previous`: the same run of failures keeps its start. */
function failing(previous: Failing | undefined, message: string, atMs: number): Failing {
  return { message, atMs, sinceMs: previous?.sinceMs ?? atMs };
}

/** Records what refreshes did, per source and per cluster; bounded by the clusters the sources select. */
export class StatusRecorder {
  readonly #clusters = new Map<string, ClusterRecord>();
  readonly #sources = new Map<string, SourceRecord>();
  readonly #now: () => number;
  readonly #known: (source: string, clusterArn: string) => boolean;

  /** `now`: epoch milliseconds; `known`: whether the state holds a cluster. */
  constructor(now: () => number, known: (source: string, clusterArn: string) => boolean) {
    this.#now = now;
    this.#known = known;
  }

  /** A cluster's read ended (successfully, or with its failure's line). */
  clusterRead(report: ClusterReadReport): void {
    const key = keyOf(report.source, report.clusterArn);
    const previous = this.#clusters.get(key);
    const lastRead: ReadOutcome = {
      startedMs: report.startedMs,
      durationMs: report.endedMs - report.startedMs,
      ...(report.error === undefined ? {} : { error: report.error }),
    };
    const record: ClusterRecord = { clusterName: report.clusterName, lastRead };
    if (report.error !== undefined) record.error = failing(previous?.error, report.error, report.endedMs);
    this.#clusters.set(key, record);
  }

  /**
   * A source's refresh ended. A full one forgets the clusters it did not read that the state does
   * not hold either (deleted, or no longer selected), so the records stay as many as the clusters.
   */
  sourceRefreshed(result: SourceRefreshResult, startedMs: number, full: boolean): void {
    const timing = { startedMs, endedMs: this.#now(), full };
    const record = this.#sources.get(result.source) ?? {};
    record.lastRefresh = {
      startedMs: timing.startedMs,
      durationMs: timing.endedMs - timing.startedMs,
      full: timing.full,
      clustersRead: result.refreshed,
      failures: result.failures.length,
      ...(result.failures.length === 0 ? {} : { error: result.failures[0]! }),
    };
    if (result.selectError !== undefined)
      record.selectError = failing(record.selectError, result.selectError, timing.endedMs);
    else delete record.selectError;
    this.#sources.set(result.source, record);
    if (!timing.full || result.selectError !== undefined) return;
    const prefix = keyOf(result.source, '');
    for (const [key, cluster] of this.#clusters) {
      if (!key.startsWith(prefix) || cluster.lastRead.startedMs >= timing.startedMs) continue;
      if (!this.#known(result.source, key.slice(prefix.length))) this.#clusters.delete(key);
    }
  }

  /** The record of one cluster. */
  cluster(source: string, clusterArn: string): Readonly<ClusterRecord> | undefined {
    return this.#clusters.get(keyOf(source, clusterArn));
  }

  /** The records of every cluster of a source, by clusterArn. */
  clustersOf(source: string): [string, Readonly<ClusterRecord>][] {
    const prefix = keyOf(source, '');
    return [...this.#clusters]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, record]) => [key.slice(prefix.length), record]);
  }

  /** The record of one source. */
  source(name: string): Readonly<SourceRecord> | undefined {
    return this.#sources.get(name);
  }
}

/** The consumer's side of event mode that the status shows. */
export interface ConsumerState {
  readonly health: 'healthy' | 'unhealthy';
  readonly consecutiveFailures: number;
  readonly lastError: unknown;
}

/** Counts and lags of one source's events, fed through the consumer's metrics callbacks. */
export class EventStatusRecorder {
  readonly #now: () => number;
  #received = 0;
  #lastEventMs: number | undefined;
  readonly #lags: number[] = [];

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The consumer's metrics callbacks, also recording what the status shows. */
  wrap(metrics: EventMetrics): EventMetrics {
    return {
      ...metrics,
      received: (count) => {
        this.#received += count;
        metrics.received?.(count);
      },
      lag: (seconds) => {
        this.#lastEventMs = this.#now();
        this.#lags.push(seconds);
        if (this.#lags.length > RECENT_LAGS) this.#lags.shift();
        metrics.lag?.(seconds);
      },
    };
  }

  /** Event mode's status now. */
  snapshot(consumer: ConsumerState, events: EventsConfig): EventModeStatus {
    const healthy = consumer.health === 'healthy';
    const status: EventModeStatus = {
      queueUrl: events.queueUrl,
      healthy,
      consecutiveFailures: consumer.consecutiveFailures,
      reconcileIntervalMs: events.reconcileIntervalMs,
      received: this.#received,
    };
    if (consumer.consecutiveFailures > 0 && consumer.lastError !== undefined)
      status.lastError = errorLine(consumer.lastError);
    if (this.#lastEventMs !== undefined) status.lastEventMs = this.#lastEventMs;
    const last = this.#lags.at(-1);
    if (last !== undefined) {
      status.lastLagSeconds = last;
      status.maxRecentLagSeconds = Math.max(...this.#lags);
    }
    return status;
  }
}

/** The status of a runtime now: its config, state and budgets, what its recorder saw, its sources' event mode. */
export function runtimeStatus(
  runtime: {
    config: Config;
    state: DiscoveryState;
    budgets: { all(): readonly { name: string; snapshot(): readonly BucketStatus[] }[] };
  },
  recorder: StatusRecorder,
  sources: ReadonlyMap<string, { config: SourceConfig; events: { status(): EventModeStatus } | undefined }>,
  nowMs: number,
): DaemonStatus {
  const events = new Map<string, EventModeStatus>();
  for (const source of sources.values())
    if (source.events) events.set(source.config.name, source.events.status());
  return daemonStatus({
    nowMs,
    refreshIntervalMs: runtime.config.refreshIntervalMs,
    sources: [...sources.values()].map((source) => source.config),
    state: runtime.state,
    recorder,
    events,
    budgets: runtime.budgets.all(),
  });
}

/** What `daemonStatus` assembles. */
export interface StatusInputs {
  nowMs: number;
  refreshIntervalMs: number;
  sources: readonly SourceConfig[];
  state: DiscoveryState;
  recorder: StatusRecorder;
  /** Event mode's status by source name, for the sources that have it. */
  events: ReadonlyMap<string, EventModeStatus>;
  budgets: readonly { name: string; snapshot(): readonly BucketStatus[] }[];
}

/** The status page's snapshot of the runtime. Pure but for the budgets' snapshots. */
export function daemonStatus(input: StatusInputs): DaemonStatus {
  const { state, recorder } = input;
  const clusters: ClusterStatus[] = [];
  for (const source of input.sources) {
    const selectError = recorder.source(source.name)?.selectError;
    const seen = new Set<string>();
    for (const entry of state.clustersOf(source.name)) {
      seen.add(entry.clusterArn);
      const record = recorder.cluster(source.name, entry.clusterArn);
      const status: ClusterStatus = {
        source: source.name,
        clusterName: entry.clusterName,
        clusterArn: entry.clusterArn,
        state: entry.stale ? 'stale' : 'fresh',
        lastSuccessMs: entry.lastSuccessMs,
        tasks: entry.decisions.length,
        targets: entry.targets.length,
        skippedTasks: entry.decisions.filter(skippedWithIntent).length,
      };
      if (record !== undefined) status.lastRead = record.lastRead;
      if (entry.stale) {
        const error = latest(record?.error, selectError);
        if (error !== undefined) status.error = error;
      }
      clusters.push(status);
    }
    for (const [clusterArn, record] of recorder.clustersOf(source.name)) {
      if (seen.has(clusterArn) || record.error === undefined) continue;
      clusters.push({
        source: source.name,
        clusterName: record.clusterName,
        clusterArn,
        state: 'failing',
        error: record.error,
        lastRead: record.lastRead,
        tasks: 0,
        targets: 0,
        skippedTasks: 0,
      });
    }
  }
  clusters.sort((a, b) => compare(a.source, b.source) || compare(a.clusterName, b.clusterName));
  return {
    nowMs: input.nowMs,
    ready: state.ready(),
    refreshIntervalMs: input.refreshIntervalMs,
    sources: input.sources.map((source) => {
      const record = recorder.source(source.name);
      const events = input.events.get(source.name);
      return {
        name: source.name,
        ...(source.region === undefined ? {} : { region: source.region }),
        ...(record?.lastRefresh === undefined ? {} : { lastRefresh: record.lastRefresh }),
        ...(record?.selectError === undefined ? {} : { selectError: record.selectError }),
        ...(events === undefined ? {} : { events }),
      };
    }),
    clusters,
    budgets: input.budgets.map((budget) => ({ name: budget.name, categories: [...budget.snapshot()] })),
    files: state.files().map((file) => ({
      file: file.file,
      ok: file.ok,
      ...(file.message === undefined ? {} : { message: file.message }),
      ...(file.failingSinceMs === undefined ? {} : { failingSinceMs: file.failingSinceMs }),
    })),
  };
}

/** `AccessDenied: …` for an AWS error, the text of anything else. */
function errorLine(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function latest(a: Failing | undefined, b: Failing | undefined): Failing | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.atMs > a.atMs ? b : a;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
