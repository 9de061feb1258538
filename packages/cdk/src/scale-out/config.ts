/**
 * The files the scale-out topology generates: ecs-sd's config with the scrapers' pool, the agents'
 * Prometheus config, Grafana's data source on the store and Amazon Managed Service for Prometheus's
 * alert manager definition. Pure functions from props to plain objects, rendered to YAML at the edge.
 */
import { Token } from 'aws-cdk-lib';
import { buildAgentConfig } from '../../../../monitoring/src/agent.ts';
import { type DiscoverySource, renderEcsSdConfig, toYaml } from '../prometheus-server/config.ts';

/** Ports of the scale-out tasks: ecs-sd serves http_sd to the scrapers, the agents their own metrics. */
export const SCALE_OUT_PORTS = { ecsSd: 9888, agent: 9090, grafana: 3000 } as const;

/** `job` of ecs-sd's and the agents' own tasks (docker label `ecs-sd.job`), as the agent config and the rules expect. */
export const COMPONENT_JOBS = { ecsSd: 'ecs-sd', agent: 'prometheus-agent' } as const;

/** Amazon Managed Service for Prometheus: the workspace the agents write to and Grafana queries. */
export interface AmpWorkspaceRef {
  /** The workspace ARN (aps:RemoteWrite and the query actions are scoped to it). */
  readonly workspaceArn: string;
  /** Its `prometheusEndpoint`, `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`. */
  readonly prometheusEndpoint: string;
}

/** Where the agents send samples and where the rules are evaluated. */
export type MetricsStore =
  | {
      /** Amazon Managed Service for Prometheus: SigV4 with the task roles; rules as rule groups namespaces. */
      readonly kind: 'amp';
      /** An existing workspace. @default - a new workspace whose alert manager publishes to an SNS topic */
      readonly workspace?: AmpWorkspaceRef;
    }
  | {
      /** Any Prometheus remote_write receiver with a Prometheus query API (Mimir, Thanos, VictoriaMetrics); rules are yours to load (vmalert, Mimir's ruler, Thanos Ruler). */
      readonly kind: 'remote-write';
      /** e.g. `http://victoria-metrics.monitoring.internal:8428/api/v1/write`, `http://mimir:9009/api/v1/push`. */
      readonly remoteWriteUrl: string;
      /** Grafana's data source, e.g. `http://victoria-metrics.monitoring.internal:8428`. @default - no Grafana data source */
      readonly queryUrl?: string;
      /** Headers on remote_write and Grafana's queries, e.g. `{ 'X-Scope-OrgID': 'ecs' }` for Mimir. @default - none */
      readonly headers?: Readonly<Record<string, string>>;
    };

/** What a scale-out config needs to know of the deployment. */
export interface ScaleOutConfigInput {
  readonly sources: readonly DiscoverySource[];
  readonly refreshInterval: string;
  /** Number of ecs-sd replicas: `ha.replicas`, each gets its share of the rate budget. */
  readonly replicas: number;
  readonly pool: {
    readonly name: string;
    /** Source (by name) whose reads include the scrapers' cluster. */
    readonly source: string;
    /** Cluster name (or ARN) the scrapers run in. */
    readonly cluster: string;
    /** Task definition family of the scrapers: the pool's members are its running tasks. */
    readonly family: string;
    readonly replication: number;
  };
  /** This replica's event mode queue URL. @default - polling */
  readonly eventsQueueUrl?: string;
}

/**
 * One ecs-sd replica's config: the sources (the members' source also reads the scrapers' cluster),
 * `ha.replicas`, and the pool of scrapers. Keys of issue 16's pools (`pools`, `ha`) live here only.
 */
export function renderScaleOutEcsSdConfig(input: ScaleOutConfigInput): Record<string, unknown> {
  const sources = input.sources.map((source) =>
    source.name === input.pool.source && source.clusters !== undefined
      ? { ...source, clusters: [...new Set([...source.clusters, input.pool.cluster])] }
      : source,
  );
  const base = renderEcsSdConfig({
    sources,
    refreshInterval: input.refreshInterval,
    ...(input.eventsQueueUrl === undefined ? {} : { eventsQueueUrl: input.eventsQueueUrl }),
  });
  return {
    ...base,
    ha: { replicas: input.replicas },
    pools: [
      {
        name: input.pool.name,
        members: {
          ecs: { source: input.pool.source, cluster: input.pool.cluster, family: input.pool.family },
        },
        replication: input.pool.replication,
      },
    ],
  };
}

/**
 * The source that reads the scrapers' cluster: the first one read with the task role (this account)
 * in the stack's Region (or whose Region is a deploy-time value).
 */
export function membersSource(
  sources: readonly DiscoverySource[],
  region: string,
): DiscoverySource | undefined {
  return sources.find(
    (source) =>
      source.roleArn === undefined &&
      (source.region === region || Token.isUnresolved(source.region) || Token.isUnresolved(region)),
  );
}

const POOL_NAME = /^[a-zA-Z0-9_-]+$/;

/** Problems with the scale-out props, all at once as `path: message`; tokens are not checked. */
export function scaleOutProblems(input: {
  replicas: number;
  scrapers: number;
  replication: number;
  poolName: string;
  sources: readonly DiscoverySource[];
  region: string;
  store: MetricsStore;
}): string[] {
  const problems: string[] = [];
  const count = (path: string, value: number, min: number, max: number, why: string) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${path}: ${value} is not allowed, expected an integer from ${min} to ${max} (${why})`);
    }
  };
  count('ecsSdReplicas', input.replicas, 1, 5, 'each replica is an ECS service with its own queue');
  count('scrapers', input.scrapers, 1, 100, 'tasks of the scraper service');
  count(
    'replication',
    input.replication,
    1,
    Math.max(1, input.scrapers),
    'scrapers per target, at most the scrapers',
  );
  if (!POOL_NAME.test(input.poolName)) {
    problems.push(`poolName: ${JSON.stringify(input.poolName)} is not allowed, expected [a-zA-Z0-9_-]+`);
  }
  if (membersSource(input.sources, input.region) === undefined) {
    problems.push(
      `sources: none is read with the task role in ${input.region}, expected one: the scrapers, the pool's members, run in this account and Region`,
    );
  }
  if (input.store.kind === 'remote-write') {
    for (const [key, url] of [
      ['remoteWriteUrl', input.store.remoteWriteUrl],
      ['queryUrl', input.store.queryUrl],
    ] as const) {
      if (url !== undefined && !Token.isUnresolved(url) && !/^https?:\/\/[^/]/.test(url)) {
        problems.push(`store.${key}: ${JSON.stringify(url)} is not an http(s) URL`);
      }
    }
  }
  return problems;
}

/** remote_write of the agents: SigV4 in the stack's Region for AMP, the URL (and headers) otherwise. */
export function storeRemoteWrite(
  store: MetricsStore,
  workspace: AmpWorkspaceRef | undefined,
  region: string,
) {
  if (store.kind === 'amp') {
    if (workspace === undefined) throw new Error('store.kind amp without a workspace');
    return [{ url: `${workspace.prometheusEndpoint}api/v1/remote_write`, sigv4: { region } }];
  }
  return [
    { url: store.remoteWriteUrl, ...(store.headers === undefined ? {} : { headers: { ...store.headers } }) },
  ];
}

/** Input of renderScaleOutAgentConfig. */
export interface AgentConfigInput {
  /** monitoring's `prometheus/prometheus-agent.yml`, parsed, when it exists; else the built-in one. */
  readonly base?: Record<string, unknown>;
  /** The pool's URL as the agents reach it, `http://<ecs-sd name>:9888/http-sd?pool=<pool>`. */
  readonly httpSdUrl: string;
  readonly remoteWrite: readonly Record<string, unknown>[];
  readonly externalLabels: Readonly<Record<string, string>>;
}

/** The compose-style ecs-sd address of monitoring's agent config, replaced by the pool URL. */
const ECS_SD_HTTP_SD = /^https?:\/\/ecs-sd:\d+\/http-sd(\?.*)?$/;

/**
 * The agents' config: the base's jobs, every http_sd on ecs-sd pointed at the pool URL (Cloud Map
 * name, pool name), remote_write to the store, the base's external labels with the given ones on top.
 */
export function renderScaleOutAgentConfig(input: AgentConfigInput): Record<string, unknown> {
  const base = input.base ?? buildAgentConfig();
  const global = isRecord(base['global']) ? base['global'] : {};
  const labels = isRecord(global['external_labels']) ? global['external_labels'] : {};
  const jobs = Array.isArray(base['scrape_configs']) ? base['scrape_configs'] : [];
  const pointed = jobs.map((job: unknown) =>
    isRecord(job) && Array.isArray(job['http_sd_configs'])
      ? {
          ...job,
          http_sd_configs: job['http_sd_configs'].map((sd: unknown) =>
            isRecord(sd) && typeof sd['url'] === 'string' && ECS_SD_HTTP_SD.test(sd['url'])
              ? { ...sd, url: input.httpSdUrl }
              : sd,
          ),
        }
      : job,
  );
  return {
    ...base,
    global: { ...global, external_labels: { ...labels, ...input.externalLabels } },
    scrape_configs: pointed,
    remote_write: input.remoteWrite.map((target) => ({ ...target })),
  };
}

/** Grafana's data source provisioning: the store as the default Prometheus data source (uid `prometheus`). */
export function renderStoreDatasource(input: {
  store: MetricsStore;
  workspace?: AmpWorkspaceRef;
  region: string;
}): Record<string, unknown> | undefined {
  const common = {
    name: 'Prometheus',
    uid: 'prometheus',
    type: 'prometheus',
    access: 'proxy',
    isDefault: true,
  };
  if (input.store.kind === 'amp') {
    if (input.workspace === undefined) throw new Error('store.kind amp without a workspace');
    return {
      apiVersion: 1,
      datasources: [
        {
          ...common,
          url: input.workspace.prometheusEndpoint,
          // Signed with the Grafana task role (GF_AUTH_SIGV4_AUTH_ENABLED): aps:QueryMetrics and friends.
          jsonData: {
            httpMethod: 'POST',
            sigV4Auth: true,
            sigV4AuthType: 'default',
            sigV4Region: input.region,
          },
        },
      ],
    };
  }
  if (input.store.queryUrl === undefined) return undefined;
  const headers = Object.entries(input.store.headers ?? {});
  return {
    apiVersion: 1,
    datasources: [
      {
        ...common,
        url: input.store.queryUrl,
        jsonData: {
          httpMethod: 'POST',
          ...Object.fromEntries(headers.map(([name], i) => [`httpHeaderName${i + 1}`, name])),
        },
        ...(headers.length === 0
          ? {}
          : {
              secureJsonData: Object.fromEntries(
                headers.map(([, value], i) => [`httpHeaderValue${i + 1}`, value]),
              ),
            }),
      },
    ],
  };
}

/**
 * The monitoring content's Alertmanager config for AMP's alert manager: its routes and inhibitions
 * stay, every receiver publishes to the SNS topic (the only receiver AMP supports).
 */
export function renderAmpAlertmanagerConfig(input: {
  base: Record<string, unknown> | undefined;
  topicArn: string;
  region: string;
}): Record<string, unknown> {
  const base = input.base ?? {};
  const route = isRecord(base['route'])
    ? base['route']
    : { receiver: 'sns', group_by: ['alertname', 'cluster', 'service'] };
  const names = Array.isArray(base['receivers'])
    ? base['receivers'].flatMap((r: unknown) =>
        isRecord(r) && typeof r['name'] === 'string' ? [r['name']] : [],
      )
    : [];
  const receivers = (names.length > 0 ? names : [String(route['receiver'] ?? 'sns')]).map((name) => ({
    name,
    sns_configs: [{ topic_arn: input.topicArn, sigv4: { region: input.region }, send_resolved: true }],
  }));
  const global =
    isRecord(base['global']) && typeof base['global']['resolve_timeout'] === 'string'
      ? { global: { resolve_timeout: base['global']['resolve_timeout'] } }
      : {};
  return {
    ...global,
    route,
    ...(Array.isArray(base['inhibit_rules']) ? { inhibit_rules: base['inhibit_rules'] } : {}),
    receivers,
  };
}

/** AMP's alert manager definition: the Alertmanager config as a string under `alertmanager_config`. */
export function ampAlertManagerDefinition(alertmanagerConfig: Record<string, unknown>): string {
  return toYaml({ alertmanager_config: toYaml(alertmanagerConfig) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
