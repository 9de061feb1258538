/**
 * The validated, frozen configuration every component below the CLI receives. Regexes are
 * compiled (anchored, RE2) once here; nothing below reads the environment or the command line.
 * These types reference only leaf modules (`lib/`), so the components that receive a config
 * (discovery, aws, events, daemon) import them, and config imports none of those.
 */
import type { BudgetSettings } from '../lib/aws-limits.ts';
import type { Interval } from '../lib/intervals.ts';
import type { Pattern } from '../lib/pattern.ts';
import type { Timeouts } from '../lib/timeouts.ts';

/** Log levels of `--log.level`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Log line formats of `--log.format`. */
export type LogFormat = 'logfmt' | 'json';

/** One AWS account and Region to read, and which of its clusters. */
export interface SourceConfig {
  name: string;
  /** Undefined: the SDK resolves it (AWS_REGION, profile). */
  region?: string;
  roleArn?: string;
  externalId?: string;
  endpoint?: string;
  /** Names or ARNs; undefined means every cluster ListClusters returns. */
  clusters?: readonly string[];
  clusterInclude?: Pattern;
  clusterExclude?: Pattern;
  /** Event mode: the SQS queue and the full reconcile interval; undefined: polling only. */
  events?: EventsConfig;
}

/** Default `full_sweep_interval`: each cluster swept every 6 hours (the count check finds what events missed sooner). */
export const DEFAULT_FULL_SWEEP_INTERVAL_MS = 6 * 3_600_000;

/** Event mode of a source (docs/events.md). */
export interface EventsConfig {
  queueUrl: string;
  /** Region of the queue (from its URL), else the source's. */
  region?: string;
  /** Time between full sweeps of each cluster (`full_sweep_interval`, older name `reconcile_interval`). */
  reconcileIntervalMs: number;
  /** Time between checks of the DescribeClusters task counts (`consistency_check_interval`). */
  consistencyCheckIntervalMs: number;
  /** How long a task may stay short of RUNNING before the count check describes it again (`pending_recheck_after`). */
  pendingRecheckAfterMs: number;
  /** ReceiveMessage WaitTimeSeconds (1–20). */
  waitTimeSeconds: number;
  /** Consecutive failed receives before falling back to polling. */
  unhealthyAfter: number;
  /** Quiet time that ends a burst before the outputs are written (≤ 1 s). */
  publishDelayMs: number;
  /** DescribeTasks (with tags) for tasks an event announces for the first time. */
  describeNewTasks: boolean;
}

/** file_sd outputs. */
export interface OutputConfig {
  directory?: string;
  file?: string;
  format: 'json' | 'yaml';
}

/** Everything the daemon needs, validated and frozen. */
export interface Config {
  refreshIntervalMs: number;
  /** Describe a task with a final decision again once its description is this old; undefined: never (the default). */
  taskRereadIntervalMs?: number;
  /** Describe a selected cluster again once its description is this old (its tags); undefined: never (the default). */
  clusterRereadIntervalMs?: number;
  sources: readonly SourceConfig[];
  discovery: DiscoveryOptions;
  labels: { serviceDetails: boolean };
  output: OutputConfig;
  web: { listenAddress: string };
  log: { level: LogLevel; format: LogFormat };
  /** The client-side rate budget: share of AWS's buckets and per-category overrides. */
  rateBudget: Required<BudgetSettings>;
  /** Timeouts of AWS reads: per attempt, and per cluster per refresh. */
  timeouts: Timeouts;
  /** Scraper pools sharing the targets among their members (docs/pools.md); none by default. */
  pools: readonly PoolConfig[];
  /** ecs-sd replicas reading the same accounts; `rateBudget` is already this replica's share. */
  ha: { replicas: number };
}

/** One scraper pool: its members and which targets it shares among them. */
export interface PoolConfig {
  name: string;
  /** RUNNING tasks of one service or family in one cluster of a source. */
  ecs?: { source: string; cluster: string; family?: string; service?: string };
  /** Names of scrapers outside ECS. */
  staticMembers: readonly string[];
  /** Members per target; every member when the pool has fewer. */
  replication: number;
  /** Which targets the pool shares (http_sd's job/interval/cluster); absent fields select all. */
  targets: { jobs?: readonly string[]; intervals?: readonly Interval[]; clusters?: readonly string[] };
}

/** A config-file rule, like the OpenTelemetry ecs_observer's matchers. Patterns match whole values. */
export interface Rule {
  name: string;
  cluster?: Pattern;
  service?: Pattern;
  family?: Pattern;
  taskDefinitionArn?: Pattern;
  container?: Pattern;
  dockerLabel?: { name: string; value?: Pattern };
  ports: number[];
  path: string;
  scheme: 'http' | 'https';
  job?: string;
  interval?: Interval;
  labels: Readonly<Record<string, string>>;
}

/** The part of the validated config the pure middle (discovery/) needs. */
export interface DiscoveryOptions {
  conventions: {
    prometheusEcsSd: boolean;
    prometheusEcsDiscovery: boolean;
    ecsSdLabels: boolean;
    rules: boolean;
  };
  rules: readonly Rule[];
  /** Docker labels whose names match become `__meta_ecs_container_label_<name>`; null exposes none. */
  dockerLabelAllowlist: Pattern | null;
  defaultInterval: Interval;
  defaultPath: string;
  /** Which `__meta_ecs_*` labels targets carry (`output.meta_labels`); undefined: all. */
  metaLabels?: MetaLabelSet;
}

/**
 * Which `__meta_ecs_*` labels targets carry: `all`; `minimal`, the ones that name where a target
 * runs (MINIMAL_META_LABELS in discovery/meta-labels.ts) and allowlisted docker labels; or `none`.
 */
export type MetaLabelSet = 'all' | 'minimal' | 'none';

/** True when a feature needs services read (ListServices + DescribeServices): they cost API calls. */
export function needsServices(config: Pick<Config, 'discovery' | 'labels'>): boolean {
  return (
    config.labels.serviceDetails ||
    (config.discovery.conventions.rules && config.discovery.rules.some((rule) => rule.service !== undefined))
  );
}

/** True when a cluster name passes a source's include/exclude patterns. */
export function clusterSelected(source: SourceConfig, clusterName: string): boolean {
  if (source.clusterInclude !== undefined && !source.clusterInclude.test(clusterName)) return false;
  if (source.clusterExclude?.test(clusterName)) return false;
  return true;
}
