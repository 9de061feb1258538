/**
 * What the status page reads of the running daemon besides its discovery state: plain data, taken
 * at once by the runtime (`Runtime.status()`), so the page's views are pure functions of it and a
 * test can render them from a fixed value.
 */
import type { Target, TaskDecision } from '../../discovery/types.ts';

/** What the views read of discovery: the web server's `DiscoveryView` (declared here so status/ imports nothing of server/). */
export interface DecisionsView {
  ready(): boolean;
  targets(): readonly Target[];
  decision(taskIdOrArn: string): TaskDecision | undefined;
  decisions(): readonly TaskDecision[];
}

/** The outcome of one read: when it started, how long it took, and its error when it failed. */
export interface ReadOutcome {
  /** Epoch milliseconds. */
  startedMs: number;
  durationMs: number;
  /** One line (`list tasks failed for cluster "prod" …: AccessDeniedException: …`) when the read failed. */
  error?: string;
}

/** An error that has lasted: its last message, and when the failures in a row began. */
export interface Failing {
  message: string;
  /** Epoch milliseconds of the last failure. */
  atMs: number;
  /** Epoch milliseconds of the first failure in a row. */
  sinceMs: number;
}

/** Event mode of one source: is its queue readable, and how far behind ECS it runs. */
export interface EventModeStatus {
  queueUrl: string;
  /** False after `unhealthy_after` failed receives in a row: the source falls back to polling at refresh_interval. */
  healthy: boolean;
  consecutiveFailures: number;
  /** The last receive error, while receives fail. */
  lastError?: string;
  reconcileIntervalMs: number;
  /** Messages received since start. */
  received: number;
  /** Epoch milliseconds the last event was handled. */
  lastEventMs?: number;
  /** Seconds from the last event's EventBridge time to its handling. */
  lastLagSeconds?: number;
  /** The longest of the recent events' lags (the last RECENT_LAGS). */
  maxRecentLagSeconds?: number;
}

/** One configured source. */
export interface SourceStatus {
  name: string;
  region?: string;
  /** The last refresh of this source (every cluster it selects, or some of them). */
  lastRefresh?: ReadOutcome & { full: boolean; clustersRead: number; failures: number };
  /** Selecting the source's clusters fails (each of them keeps its last targets, stale). */
  selectError?: Failing;
  events?: EventModeStatus;
}

/**
 * fresh: read by its last refresh; stale: serving its last good targets after failed reads;
 * failing: never read successfully, so it has no targets at all.
 */
export type ClusterState = 'fresh' | 'stale' | 'failing';

/** One cluster of one source. */
export interface ClusterStatus {
  source: string;
  clusterName: string;
  clusterArn: string;
  state: ClusterState;
  /** While stale or failing: since when, and why (the cluster's own error, or its source's selection error). */
  error?: Failing;
  /** Epoch milliseconds of the last successful read (or event applied). */
  lastSuccessMs?: number;
  /** The last read of this cluster by a refresh. */
  lastRead?: ReadOutcome;
  tasks: number;
  targets: number;
  /** Tasks that declared an intent to be scraped but yield no target. */
  skippedTasks: number;
}

/** One throttling category of a rate budget, as the budget reports it. */
export interface BucketStatus {
  category: string;
  tokens: number;
  burst: number;
  /** Lower than `configuredRefillPerSecond` while backing off after throttles. */
  refillPerSecond: number;
  configuredRefillPerSecond: number;
  /** Calls queued for a token now. */
  waiting: number;
  /** Seconds calls spent waiting for a token since start. */
  waitSeconds: number;
  granted: number;
  throttles: number;
}

/** The client-side rate budget of one account (or role) and Region. */
export interface BudgetStatus {
  name: string;
  categories: BucketStatus[];
}

/** One file_sd file: written, or failing since when and why. */
export interface OutputFileStatus {
  file: string;
  ok: boolean;
  message?: string;
  failingSinceMs?: number;
}

/** Everything the status page shows beyond the decisions, at one moment. */
export interface DaemonStatus {
  /** Epoch milliseconds the snapshot was taken. */
  nowMs: number;
  ready: boolean;
  refreshIntervalMs: number;
  sources: SourceStatus[];
  /** Every cluster, by source then name. */
  clusters: ClusterStatus[];
  budgets: BudgetStatus[];
  files: OutputFileStatus[];
}

/** Where the web app reads the daemon's status from (the runtime). */
export interface StatusProvider {
  status(): DaemonStatus;
}
