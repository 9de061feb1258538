/**
 * The configuration files the construct generates for the task: pure functions from props to plain
 * objects, rendered to YAML at the edge. Keys follow each program's own config format verbatim.
 */
import { Token } from 'aws-cdk-lib';
import { INTERVALS, intervalFileName } from 'ecs-sd/intervals';
import { stringify } from 'yaml';

/** Where things live inside the task's containers: one place, shared by config and mounts. */
export const TASK_PATHS = {
  /** The monitoring content (and generated files below it) as copied from S3 by the init container. */
  configRoot: '/etc/monitoring',
  /** Generated files, under configRoot. */
  generated: '/etc/monitoring/generated',
  /** ecs-sd's `--output.directory`, shared read-only with Prometheus. */
  fileSdDirectory: '/etc/prometheus/ecs-sd/',
  prometheusData: '/prometheus',
  alertmanagerData: '/alertmanager',
  grafanaData: '/var/lib/grafana',
} as const;

/** Ports the task listens on; ecs-sd stays on loopback, so only Prometheus reads its http_sd. */
export const TASK_PORTS = { prometheus: 9090, alertmanager: 9093, grafana: 3000, ecsSd: 9888 } as const;

/** External label that tells the replicas of an HA pair apart; dropped from alerts so they deduplicate. */
export const REPLICA_LABEL = 'prometheus_replica';

/** Alertmanager's gossip port, for the cluster of an HA pair. */
export const ALERTMANAGER_CLUSTER_PORT = 9094;

/** One AWS account and Region ecs-sd reads. */
export interface DiscoverySource {
  /** Name in ecs-sd's metrics and logs; unique. */
  readonly name: string;
  /** AWS Region of the clusters. */
  readonly region: string;
  /** Role to assume for cross-account reads. @default - the task role reads its own account */
  readonly roleArn?: string;
  /** ExternalId for AssumeRole; only with roleArn. @default - none */
  readonly externalId?: string;
  /** Cluster names to read. @default - every cluster ListClusters returns */
  readonly clusters?: readonly string[];
}

const SOURCE_NAME = /^[a-zA-Z0-9_.:-]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Problems with a server name and its sources, all at once as `path: message`, so a bad prop fails the
 * synth instead of the daemon at start-up. Tokens (deploy-time values) are not checked.
 */
export function sourceProblems(name: string, sources: readonly DiscoverySource[]): string[] {
  const problems: string[] = [];
  if (!DNS_LABEL.test(name)) {
    problems.push(
      `name: ${JSON.stringify(name)} is not a DNS label, expected lowercase letters, digits and dashes`,
    );
  }
  if (sources.length === 0) problems.push('sources: empty, expected at least one source');
  const seen = new Set<string>();
  sources.forEach((source, index) => {
    const path = `sources[${index}]`;
    if (!SOURCE_NAME.test(source.name)) {
      problems.push(`${path}.name: ${JSON.stringify(source.name)} is not allowed, expected [a-zA-Z0-9_.:-]+`);
    } else if (seen.has(source.name)) {
      problems.push(`${path}.name: ${JSON.stringify(source.name)} is used twice, expected unique names`);
    }
    seen.add(source.name);
    if (
      source.roleArn !== undefined &&
      !Token.isUnresolved(source.roleArn) &&
      !ROLE_ARN.test(source.roleArn)
    ) {
      problems.push(
        `${path}.roleArn: ${JSON.stringify(source.roleArn)} is not an IAM role ARN, expected arn:aws:iam::<account>:role/<name>`,
      );
    }
    if (source.externalId !== undefined && source.roleArn === undefined) {
      problems.push(`${path}.externalId: set without roleArn, expected roleArn too`);
    }
    if (source.clusters !== undefined && source.clusters.length === 0) {
      problems.push(`${path}.clusters: empty, expected cluster names or no clusters key (every cluster)`);
    }
  });
  return problems;
}

/**
 * Clusters whose ECS events event mode needs: those of the sources read without a role (events of this
 * account); undefined when one of them reads every cluster, so the rule must not filter.
 */
export function eventClusters(sources: readonly DiscoverySource[]): string[] | undefined {
  const local = sources.filter((source) => source.roleArn === undefined);
  if (local.length === 0 || local.some((source) => source.clusters === undefined)) return undefined;
  return [...new Set(local.flatMap((source) => source.clusters ?? []))];
}

/** Input of renderEcsSdConfig. */
export interface EcsSdConfigInput {
  readonly sources: readonly DiscoverySource[];
  readonly refreshInterval: string;
  /** SQS queue URL of event mode, set on every source that reads this account (no roleArn). */
  readonly eventsQueueUrl?: string;
}

/** ecs-sd's config file; its keys may still move, so this is the only place that names them. */
export function renderEcsSdConfig(input: EcsSdConfigInput): Record<string, unknown> {
  return {
    refresh_interval: input.refreshInterval,
    sources: input.sources.map((source) => ({
      name: source.name,
      region: source.region,
      ...(source.roleArn === undefined ? {} : { role_arn: source.roleArn }),
      ...(source.externalId === undefined ? {} : { external_id: source.externalId }),
      ...(source.clusters === undefined ? {} : { clusters: [...source.clusters] }),
      ...(input.eventsQueueUrl === undefined || source.roleArn !== undefined
        ? {}
        : { events: { queue_url: input.eventsQueueUrl } }),
    })),
  };
}

/** A remote_write endpoint; with sigv4Region it signs requests as Amazon Managed Service for Prometheus expects. */
export interface RemoteWriteTarget {
  readonly url: string;
  /** Sign with SigV4 in this Region (Amazon Managed Service for Prometheus). @default - no signing */
  readonly sigv4Region?: string;
}

/** Input of renderPrometheusConfig. */
export interface PrometheusConfigInput {
  /** The monitoring content's prometheus.yml, parsed, when it exists; its scrape jobs are kept. */
  readonly base?: Record<string, unknown>;
  /** Glob of the rule files as delivered into the task. */
  readonly ruleFiles: readonly string[];
  /** Alertmanager addresses (host:port). */
  readonly alertmanagers: readonly string[];
  readonly remoteWrite: readonly RemoteWriteTarget[];
  /** Labels that tell HA replicas and servers apart (include REPLICA_LABEL). */
  readonly externalLabels: Readonly<Record<string, string>>;
}

/** Scrape jobs used when the monitoring content has no prometheus.yml: ecs-sd's file_sd files and the task itself. */
export function defaultScrapeConfigs(): Record<string, unknown>[] {
  // One job per file ecs-sd writes (its own interval list), scraping at that interval.
  const discovered = INTERVALS.map((interval) => ({
    job_name: `ecs-${interval}`,
    scrape_interval: interval,
    file_sd_configs: [{ files: [`${TASK_PATHS.fileSdDirectory}${intervalFileName(interval)}`] }],
    relabel_configs: [{ source_labels: ['metrics_path'], regex: '(.+)', target_label: '__metrics_path__' }],
  }));
  const local = (job: string, port: number) => ({
    job_name: job,
    static_configs: [{ targets: [`127.0.0.1:${port}`] }],
  });
  return [
    ...discovered,
    local('prometheus', TASK_PORTS.prometheus),
    local('ecs-sd', TASK_PORTS.ecsSd),
    local('alertmanager', TASK_PORTS.alertmanager),
  ];
}

/**
 * Prometheus's config: the base file's jobs with what only the deployment knows set on top
 * (Alertmanager address, rule file paths, remote_write, external labels), so Prometheus always
 * knows where its Alertmanager is whatever the base says.
 */
export function renderPrometheusConfig(input: PrometheusConfigInput): Record<string, unknown> {
  const base = input.base ?? {};
  const baseGlobal = isRecord(base['global']) ? base['global'] : {};
  const baseLabels = isRecord(baseGlobal['external_labels']) ? baseGlobal['external_labels'] : {};
  const baseAlerting = isRecord(base['alerting']) ? base['alerting'] : {};
  const baseAlertRelabels = Array.isArray(baseAlerting['alert_relabel_configs'])
    ? (baseAlerting['alert_relabel_configs'] as unknown[])
    : [];
  const config: Record<string, unknown> = {
    ...base,
    global: {
      scrape_interval: '1m',
      evaluation_interval: '1m',
      ...baseGlobal,
      external_labels: { ...baseLabels, ...input.externalLabels },
    },
    rule_files: [...input.ruleFiles],
    alerting: {
      // Both replicas of an HA pair send the same alert; without the replica label Alertmanager sees one.
      alert_relabel_configs: uniqueByJson([
        ...baseAlertRelabels,
        { action: 'labeldrop', regex: REPLICA_LABEL },
      ]),
      alertmanagers: [{ static_configs: [{ targets: [...input.alertmanagers] }] }],
    },
    scrape_configs: Array.isArray(base['scrape_configs'])
      ? base['scrape_configs'].map((job: unknown) => (isRecord(job) ? adaptScrapeConfig(job) : job))
      : defaultScrapeConfigs(),
  };
  if (input.remoteWrite.length > 0) {
    config['remote_write'] = input.remoteWrite.map((target) => ({
      url: target.url,
      ...(target.sigv4Region === undefined ? {} : { sigv4: { region: target.sigv4Region } }),
    }));
  }
  return config;
}

/** The task's containers share one network namespace (awsvpc): a target naming a container is on loopback. */
const TASK_HOSTS = /^(ecs-sd|prometheus|alertmanager|grafana)(?=:\d+$)/;

/** ecs-sd's file_sd files, whatever directory the base config expected them in. */
const FILE_SD_FILE = /[^/]*-tasks\.(json|ya?ml)$/;

/**
 * One base scrape job adapted to the task: file_sd files named `*-tasks.json` are read from ecs-sd's
 * output directory in the task, and static or http_sd targets naming a task container go to 127.0.0.1.
 */
export function adaptScrapeConfig(job: Record<string, unknown>): Record<string, unknown> {
  const adapted: Record<string, unknown> = { ...job };
  if (Array.isArray(job['file_sd_configs'])) {
    adapted['file_sd_configs'] = job['file_sd_configs'].map((sd: unknown) =>
      isRecord(sd) && Array.isArray(sd['files'])
        ? {
            ...sd,
            files: sd['files'].map((file: unknown) => {
              const name = typeof file === 'string' ? FILE_SD_FILE.exec(file)?.[0] : undefined;
              return name === undefined ? file : `${TASK_PATHS.fileSdDirectory}${name}`;
            }),
          }
        : sd,
    );
  }
  if (Array.isArray(job['static_configs'])) {
    adapted['static_configs'] = job['static_configs'].map((sc: unknown) =>
      isRecord(sc) && Array.isArray(sc['targets'])
        ? {
            ...sc,
            targets: sc['targets'].map((t: unknown) =>
              typeof t === 'string' ? t.replace(TASK_HOSTS, '127.0.0.1') : t,
            ),
          }
        : sc,
    );
  }
  if (Array.isArray(job['http_sd_configs'])) {
    adapted['http_sd_configs'] = job['http_sd_configs'].map((sd: unknown) =>
      isRecord(sd) && typeof sd['url'] === 'string'
        ? {
            ...sd,
            url: sd['url'].replace(
              /^(https?:\/\/)(ecs-sd|prometheus|alertmanager|grafana)(?=:)/,
              '$1127.0.0.1',
            ),
          }
        : sd,
    );
  }
  return adapted;
}

/** Input of renderAlertmanagerConfig. */
export interface AlertmanagerConfigInput {
  /** SNS topic every alert is published to. */
  readonly topicArn: string;
  /** Region of the topic, for SigV4. */
  readonly region: string;
}

/**
 * Alertmanager's config with a receiver that works on AWS without secrets: SNS signed with the task
 * role (subscribe e-mail, chat or a Lambda to the topic).
 */
export function renderAlertmanagerConfig(input: AlertmanagerConfigInput): Record<string, unknown> {
  return {
    route: {
      receiver: 'sns',
      group_by: ['alertname', 'cluster', 'service'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
    },
    receivers: [
      {
        name: 'sns',
        sns_configs: [{ topic_arn: input.topicArn, sigv4: { region: input.region }, send_resolved: true }],
      },
    ],
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['alertname'],
      },
    ],
  };
}

/** Grafana provisioning: the local Prometheus as default data source, and the dashboards folder. */
export function renderGrafanaProvisioning(dashboardsPath: string): {
  datasources: Record<string, unknown>;
  dashboards: Record<string, unknown>;
} {
  return {
    datasources: {
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          uid: 'prometheus',
          type: 'prometheus',
          access: 'proxy',
          url: `http://127.0.0.1:${TASK_PORTS.prometheus}`,
          isDefault: true,
        },
      ],
    },
    dashboards: {
      apiVersion: 1,
      providers: [
        {
          name: 'ecs-sd',
          type: 'file',
          disableDeletion: true,
          allowUiUpdates: false,
          options: { path: dashboardsPath, foldersFromFilesStructure: true },
        },
      ],
    },
  };
}

/** YAML text of a rendered config; CloudFormation tokens inside strings survive as plain text. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

function uniqueByJson(values: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = JSON.stringify(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
