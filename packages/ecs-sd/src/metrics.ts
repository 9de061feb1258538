/**
 * The daemon's own metrics in its own prom-client Registry. Names are fixed (dashboards and alerts
 * use them). Counters are incremented where things happen (AWS calls in SDK middleware, caches,
 * refreshes); current-state gauges are computed in `collect()` from the daemon's state
 * (state-gauges.ts).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type BuildInfo, buildInfo } from './build-info.ts';
import { type PoolMetrics, registerPoolMetrics } from './pools/pool-metrics.ts';
import { type MetricsState, registerStateGauges } from './state-gauges.ts';

/** Outcome label of `ecs_sd_aws_requests_total`. */
export type AwsOutcome = 'success' | 'error' | 'throttled' | 'timeout' | 'aborted';

/** Cache names of `ecs_sd_cache_requests_total{cache}`. */
export type CacheName = 'cluster' | 'task' | 'task_definition' | 'container_instance' | 'host' | 'basic_auth';

/**
 * Resolution (ms) of the default metrics' event-loop-delay monitor (`nodejs_eventloop_lag_*`):
 * prom-client's 10 ms default wakes an idle daemon 100 times a second, most of its idle CPU; once a
 * second still samples every scrape many times.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 1_000;

/** Every metric of the daemon, registered in `registry`. */
export interface Metrics {
  registry: Registry;
  refreshDuration: Histogram<'source'>;
  refreshFailures: Counter<'source' | 'cluster'>;
  refreshes: Counter<'source'>;
  /** Cluster reads that failed because AWS did not answer in time (cluster="" when selecting clusters). */
  refreshTimeouts: Counter<'source' | 'cluster' | 'timeout'>;
  awsRequests: Counter<'source' | 'operation' | 'outcome'>;
  awsThrottles: Counter<'source' | 'operation'>;
  cacheRequests: Counter<'cache' | 'result'>;
  fileWrites: Counter<'file'>;
  /** file_sd files not written, by file and reason (a `FileSdFailureReason`); each keeps its previous content. */
  fileWriteFailures: Counter<'file' | 'reason'>;
  /** http_sd requests whose target list could not be rendered (`too-large`, `render-error`), answered 500. */
  httpSdFailures: Counter<'reason'>;
  /** SQS messages received in event mode. */
  eventsReceived: Counter<'source'>;
  /** SQS messages that were not an applicable ECS event, by parse rejection reason (deleted, never fatal). */
  eventsMalformed: Counter<'source' | 'reason'>;
  /** Events older than or equal to the known state (duplicates, out of order): ignored. */
  eventsStale: Counter<'source'>;
  /** 1 while a source's events queue is readable, 0 while it falls back to polling at refresh_interval. */
  eventsHealthy: Gauge<'source'>;
  /** Events that changed the known versions: `upsert` or `remove`. */
  eventsApplied: Counter<'source' | 'change'>;
  /** Messages deleted from the events queue after handling. */
  eventsDeleted: Counter<'source'>;
  /** Deletions that failed (SQS delivers those messages again, as duplicates). */
  eventsDeleteFailures: Counter<'source'>;
  /** Events of clusters the source does not select. */
  eventsIgnored: Counter<'source'>;
  /** Events whose handling threw (left on the queue for redelivery; deleted on the 3rd receive). */
  eventsHandlerFailures: Counter<'source'>;
  /** Failed ReceiveMessage calls by AWS error name. */
  eventsReceiveErrors: Counter<'source' | 'code'>;
  /** Seconds from an event's EventBridge `time` (second precision) to its handling. */
  eventsLag: Histogram<'source'>;
  /** Seconds from receiving an event to the outputs holding its change (coalescing and any fetch of a missing task definition or host). */
  eventsPublishDelay: Histogram<'source'>;
  // Event mode's count check (issue 15, docs/events.md).
  /** DescribeClusters count checks made of a source's clusters. */
  eventCountChecks: Counter<'source'>;
  /** Checks whose counts disagreed with what events hold, by cluster. */
  eventCountMismatches: Counter<'source' | 'cluster'>;
  /** Sweeps (ListTasks of a cluster, describing what is new) in event mode, by reason: count-mismatch, scheduled, queue-unhealthy, start. */
  eventSweeps: Counter<'source' | 'reason'>;
  /** Services swept alone (ListTasks --service-name) because their DescribeServices counts disagreed. */
  eventServiceSweeps: Counter<'source'>;
  /** Tasks described again because events held them short of RUNNING for longer than `pending_recheck_after`. */
  eventPendingRechecks: Counter<'source'>;
  /** Seconds since each cluster's last full sweep (set at each check). */
  eventFullSweepAge: Gauge<'source' | 'cluster'>;
  /** Requests refused with 401 by basic auth: `missing` (no or malformed credentials) or `invalid` (wrong user or password). */
  webAuthFailures: Counter<'reason'>;
  /** bcrypt checks run by basic auth (cached outcomes not counted), by result `ok`, `failed`, `error`. */
  webAuthChecks: Counter<'result'>;
  /** Requests refused before any bcrypt check: `client_failures` (429, the address failed too often), `checks_busy` (503, too many checks waiting). */
  webRateLimited: Counter<'reason'>;
  /** 1 when the last config reload (or the start) succeeded, 0 while the last one failed; Prometheus's name. */
  configLastReloadSuccessful: Gauge;
  /** When the config was last loaded successfully (start or reload), in Unix seconds; Prometheus's name. */
  configLastReloadSuccessTimestamp: Gauge;
  /** Sets where the current-state gauges read from (the daemon's state). */
  setStateProvider(provider: () => MetricsState): void;
  /** Per scraper pool: members, targets per member, targets moved, assignment age. */
  pools: PoolMetrics;
}

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Register prom-client's default process_* and nodejs_* metrics (unprefixed, as exporters do). */
  defaultMetrics?: boolean;
  /** The labels of `ecs_sd_build_info`; default: this build's. */
  build?: BuildInfo;
}

/** Creates the registry and every metric; each daemon (and each test) gets its own. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({
      register: registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS,
    });
  let provider: (() => MetricsState) | undefined;

  const refreshDuration = new Histogram({
    name: 'ecs_sd_refresh_duration_seconds',
    help: 'Duration of a refresh of one source (every cluster it selects).',
    labelNames: ['source'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const refreshFailures = new Counter({
    name: 'ecs_sd_refresh_failures_total',
    help: 'Refreshes of a cluster that failed (its last good targets are kept); cluster="" when listing clusters failed.',
    labelNames: ['source', 'cluster'],
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'ecs_sd_refreshes_total',
    help: 'Refreshes of a source.',
    labelNames: ['source'],
    registers: [registry],
  });
  const refreshTimeouts = new Counter({
    name: 'ecs_sd_refresh_timeouts_total',
    help: 'Refreshes of a cluster that failed because AWS did not answer in time, by timeout (aws_request: every attempt of a call timed out; cluster_refresh: the read passed its deadline); cluster="" when selecting clusters.',
    labelNames: ['source', 'cluster', 'timeout'],
    registers: [registry],
  });
  const awsRequests = new Counter({
    name: 'ecs_sd_aws_requests_total',
    help: 'AWS API requests, each retry counted, by outcome (success, error, throttled, timeout, aborted).',
    labelNames: ['source', 'operation', 'outcome'],
    registers: [registry],
  });
  const awsThrottles = new Counter({
    name: 'ecs_sd_aws_throttles_total',
    help: 'AWS API requests answered with a throttling error.',
    labelNames: ['source', 'operation'],
    registers: [registry],
  });
  const cacheRequests = new Counter({
    name: 'ecs_sd_cache_requests_total',
    help: 'Lookups in the AWS response caches, by cache and result (hit, miss).',
    labelNames: ['cache', 'result'],
    registers: [registry],
  });
  const fileWrites = new Counter({
    name: 'ecs_sd_file_writes_total',
    help: 'file_sd files rewritten because their content changed.',
    labelNames: ['file'],
    registers: [registry],
  });
  const fileWriteFailures = new Counter({
    name: 'ecs_sd_file_write_failures_total',
    help: 'file_sd files not written (each keeps its previous content), by file and reason: too-large, render-error, no-space, permission-denied, bad-path, io-error.',
    labelNames: ['file', 'reason'],
    registers: [registry],
  });
  const httpSdFailures = new Counter({
    name: 'ecs_sd_http_sd_failures_total',
    help: 'http_sd requests answered 500 because their target list could not be rendered, by reason: too-large, render-error.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const eventsReceived = new Counter({
    name: 'ecs_sd_events_received_total',
    help: 'SQS messages received from the events queue, by source.',
    labelNames: ['source'],
    registers: [registry],
  });
  const eventsMalformed = new Counter({
    name: 'ecs_sd_events_malformed_total',
    help: 'SQS messages deleted without being applied, by source and reason: not an applicable ECS event (not-json, too-large, too-deep, invalid-fields, ...) or handler-failed on every receive.',
    labelNames: ['source', 'reason'],
    registers: [registry],
  });
  const eventsStale = new Counter({
    name: 'ecs_sd_events_stale_total',
    help: 'ECS events older than or equal to the known state (duplicates, out of order), ignored.',
    labelNames: ['source'],
    registers: [registry],
  });
  const eventsHealthy = new Gauge({
    name: 'ecs_sd_events_healthy',
    help: '1 while the events queue of a source is readable; 0 while it falls back to polling.',
    labelNames: ['source'],
    registers: [registry],
  });
  const eventsApplied = new Counter({
    name: 'ecs_sd_events_applied_total',
    help: 'ECS events that changed the known state of a task or container instance, by change (upsert, remove).',
    labelNames: ['source', 'change'],
    registers: [registry],
  });
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['source'], registers: [registry] });
  const eventsDeleted = counter(
    'ecs_sd_events_deleted_total',
    'Messages deleted from the events queue after handling.',
  );
  const eventsDeleteFailures = counter(
    'ecs_sd_events_delete_failures_total',
    'Deletions from the events queue that failed (SQS delivers those messages again).',
  );
  const eventsIgnored = counter(
    'ecs_sd_events_ignored_total',
    'ECS events of clusters the source does not select (deleted).',
  );
  const eventsHandlerFailures = counter(
    'ecs_sd_events_handler_failures_total',
    'ECS events whose handling failed (left on the queue for redelivery; deleted on the 3rd receive as reason handler-failed).',
  );
  const eventsReceiveErrors = new Counter({
    name: 'ecs_sd_events_receive_errors_total',
    help: 'Failed ReceiveMessage calls on the events queue, by AWS error name.',
    labelNames: ['source', 'code'],
    registers: [registry],
  });
  const eventsLag = new Histogram({
    name: 'ecs_sd_events_lag_seconds',
    help: "Seconds from an ECS event's EventBridge time (second precision) to its handling.",
    labelNames: ['source'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const eventsPublishDelay = new Histogram({
    name: 'ecs_sd_events_publish_delay_seconds',
    help: 'Seconds from receiving an ECS event to the outputs holding its change.',
    labelNames: ['source'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });

  // Event mode's count check (issue 15).
  const eventCountChecks = counter(
    'ecs_sd_event_count_checks_total',
    "Checks of a source's clusters by their DescribeClusters task counts (event mode).",
  );
  const eventCountMismatches = new Counter({
    name: 'ecs_sd_event_count_mismatches_total',
    help: 'Count checks in which a cluster’s DescribeClusters task counts disagreed with what events hold.',
    labelNames: ['source', 'cluster'],
    registers: [registry],
  });
  const eventSweeps = new Counter({
    name: 'ecs_sd_event_sweeps_total',
    help: 'Sweeps of clusters in event mode (each lists a cluster’s tasks), by reason (count-mismatch, scheduled, queue-unhealthy, start).',
    labelNames: ['source', 'reason'],
    registers: [registry],
  });
  const eventServiceSweeps = counter(
    'ecs_sd_event_service_sweeps_total',
    'Services swept alone (ListTasks --service-name) because their DescribeServices counts disagreed with what events hold.',
  );
  const eventPendingRechecks = counter(
    'ecs_sd_event_pending_rechecks_total',
    'Tasks described again by the count check because events held them short of RUNNING for longer than pending_recheck_after (a lost RUNNING or STOPPED event).',
  );
  const eventFullSweepAge = new Gauge({
    name: 'ecs_sd_event_full_sweep_age_seconds',
    help: 'Seconds since the last full sweep of a cluster in event mode (set at each count check).',
    labelNames: ['source', 'cluster'],
    registers: [registry],
  });

  const webAuthFailures = new Counter({
    name: 'ecs_sd_web_auth_failures_total',
    help: 'Requests refused with 401 by basic auth, by reason (missing, invalid).',
    labelNames: ['reason'],
    registers: [registry],
  });
  const webAuthChecks = new Counter({
    name: 'ecs_sd_web_auth_checks_total',
    help: 'bcrypt password checks run by basic auth (cached outcomes not counted), by result (ok, failed, error).',
    labelNames: ['result'],
    registers: [registry],
  });
  const webRateLimited = new Counter({
    name: 'ecs_sd_web_rate_limited_requests_total',
    help: 'Requests refused by basic auth before any password check, by reason (client_failures: 429, checks_busy: 503).',
    labelNames: ['reason'],
    registers: [registry],
  });

  // Conventions an operator looks for: what runs, and whether its config loaded (Prometheus's names).
  const build = new Gauge({
    name: 'ecs_sd_build_info',
    help: 'A metric with a constant 1 labelled by the version and git revision of ecs-sd and the Node.js it runs on.',
    labelNames: ['version', 'revision', 'nodejs'],
    registers: [registry],
  });
  const info = options.build ?? buildInfo();
  build.set({ version: info.version, revision: info.revision, nodejs: info.nodejs }, 1);
  const configLastReloadSuccessful = new Gauge({
    name: 'ecs_sd_config_last_reload_successful',
    help: 'Whether the last configuration reload attempt was successful (1) or not (0).',
    registers: [registry],
  });
  const configLastReloadSuccessTimestamp = new Gauge({
    name: 'ecs_sd_config_last_reload_success_timestamp_seconds',
    help: 'Timestamp of the last successful configuration load (start or reload).',
    registers: [registry],
  });

  registerStateGauges(registry, () => provider?.());
  const pools = registerPoolMetrics(registry);

  return {
    registry,
    refreshDuration,
    refreshFailures,
    refreshes,
    refreshTimeouts,
    awsRequests,
    awsThrottles,
    cacheRequests,
    fileWrites,
    fileWriteFailures,
    httpSdFailures,
    eventsReceived,
    eventsMalformed,
    eventsStale,
    eventsHealthy,
    eventsApplied,
    eventsDeleted,
    eventsDeleteFailures,
    eventsIgnored,
    eventsHandlerFailures,
    eventsReceiveErrors,
    eventsLag,
    eventsPublishDelay,
    eventCountChecks,
    eventCountMismatches,
    eventSweeps,
    eventServiceSweeps,
    eventPendingRechecks,
    eventFullSweepAge,
    webAuthFailures,
    webAuthChecks,
    webRateLimited,
    configLastReloadSuccessful,
    configLastReloadSuccessTimestamp,
    pools,
    setStateProvider(next) {
      provider = next;
    },
  };
}
