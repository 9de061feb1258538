/**
 * Builds the Prometheus configuration for an ECS fleet discovered by ecs-sd. Pure: no I/O, so the
 * checked-in `prometheus/*.yml` files, the tests and the demo all come from the same function.
 */
import { INTERVALS, type Interval, intervalFileName } from 'ecs-sd/intervals';
import { Document, isScalar, visit } from 'yaml';

/** Interval buckets of the prometheus-ecs-sd file layout, one `<interval>-tasks.json` file each: ecs-sd's own list. */
export const ECS_SD_INTERVALS = INTERVALS;

/** Where the deployed layout expects things; every path is documented in monitoring/README.md. */
export const DEFAULTS = {
  discovery: 'file_sd',
  fileSdDir: '/var/lib/ecs-sd',
  httpSdUrl: 'http://ecs-sd:9888/http-sd',
  ecsSdTargets: ['ecs-sd:9888'],
  alertmanagers: ['alertmanager:9093'],
  prometheusTargets: ['localhost:9090'],
  ruleFiles: ['rules/*.yml'],
  externalLabels: { prometheus: 'ecs', prometheus_replica: 'prometheus-0' },
  nodeExporterJob: 'node-exporter',
  cadvisorJob: 'cadvisor',
  scrapeInterval: '30s',
  evaluationInterval: '30s',
} as const;

/** One `remote_write` destination (Thanos Receive, Mimir, Cortex or Amazon Managed Prometheus). */
export interface RemoteWriteOptions {
  url: string;
  /** Extra remote_write keys passed through verbatim (e.g. `sigv4`, `basic_auth`, `queue_config`). */
  extra?: Readonly<Record<string, unknown>>;
}

/** Options of {@link buildPrometheusConfig}; every key is optional and defaults to {@link DEFAULTS}. */
export interface RenderOptions {
  /** How ECS task targets are discovered: the per-interval files or ecs-sd's HTTP endpoint. */
  discovery?: 'file_sd' | 'http_sd';
  /** Directory holding `15s-tasks.json` … `5m-tasks.json` (ecs-sd's output directory). */
  fileSdDir?: string;
  /** ecs-sd's http_sd endpoint, e.g. `http://127.0.0.1:9888/http-sd`. */
  httpSdUrl?: string;
  /** host:port of ecs-sd's own /metrics. */
  ecsSdTargets?: readonly string[];
  /** host:port of each Alertmanager; an empty list leaves alerting out. */
  alertmanagers?: readonly string[];
  /** host:port of the Prometheus servers to self-scrape. */
  prometheusTargets?: readonly string[];
  /** Rule file globs, relative to the config file's directory or absolute. */
  ruleFiles?: readonly string[];
  /** External labels: `prometheus` names the HA pair, `prometheus_replica` differs between its members. */
  externalLabels?: Readonly<Record<string, string>>;
  /** This server's share of the fleet when several Prometheus servers split it. */
  shard?: { index: number; total: number };
  remoteWrite?: readonly RemoteWriteOptions[];
  /** Job (task definition family) of the node-exporter DAEMON service. */
  nodeExporterJob?: string;
  /** Job (task definition family) of the cAdvisor DAEMON service. */
  cadvisorJob?: string;
  /** Global scrape interval, also of the daemon and self-monitoring jobs; the timeout is min(10s, this). */
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Scrape interval of an interval bucket's job other than its name, e.g. `{ '1m': '2s' }` for a quick demo. */
  intervalOverrides?: Partial<Record<Interval, string>>;
}

type Relabel = Record<string, unknown>;
type ScrapeConfig = Record<string, unknown>;

/** Labels of the ECS targets that survive relabelling: a bounded set, none of them per task. */
export const ECS_TARGET_LABELS = [
  'cluster',
  'service',
  'task_family',
  'container',
  'availability_zone',
  'instance_id',
  'launch_type',
] as const;

const META_TO_LABEL: ReadonlyArray<readonly [string, string]> = [
  // prometheus-ecs-sd's visible labels first, so the __meta_ecs_* value wins when both are set.
  ['ecs_cluster', 'cluster'],
  ['__meta_ecs_cluster', 'cluster'],
  ['__meta_ecs_service', 'service'],
  ['job', 'task_family'],
  ['__meta_ecs_task_definition_family', 'task_family'],
  ['__meta_ecs_container_name', 'container'],
  ['__meta_ecs_availability_zone', 'availability_zone'],
  ['__meta_ecs_ec2_instance_id', 'instance_id'],
  ['__meta_ecs_launch_type', 'launch_type'],
];

/** Visible labels ecs-sd's conventions write that the ECS jobs drop in favour of {@link ECS_TARGET_LABELS}. */
export const VISIBLE_LABELS_DROPPED = [
  'ecs_task_id',
  'ecs_task_version',
  'ecs_cluster',
  'ecs_container_id',
  'ecs_container',
  'metrics_path',
  'task_arn',
  'task_name',
  'task_revision',
  'task_group',
  'cluster_arn',
  'container_name',
  'container_arn',
  'docker_image',
] as const;

/** Relabelling shared by every job fed by ecs-sd: metrics path, the bounded label set, optional shard. */
export function ecsRelabelConfigs(shard: RenderOptions['shard'], hashmod: boolean): Relabel[] {
  const rules: Relabel[] = [
    // prometheus-ecs-sd writes the path as a visible label; ecs-sd also sets __metrics_path__.
    { source_labels: ['metrics_path'], regex: '(.+)', target_label: '__metrics_path__' },
    ...META_TO_LABEL.map(([from, to]) => ({ source_labels: [from], regex: '(.+)', target_label: to })),
    // One series per scraped address, whatever `instance` the file carried.
    { source_labels: ['__address__'], target_label: 'instance' },
    // The visible labels of the prometheus-ecs-sd and prometheus-ecs-discovery conventions: per-task ones
    // churn with every deployment, the rest repeat the bounded set above. ecs-sd's /why view keeps task ids.
    { action: 'labeldrop', regex: VISIBLE_LABELS_DROPPED.join('|') },
  ];
  if (shard && hashmod) {
    rules.push(
      {
        source_labels: ['__address__'],
        modulus: shard.total,
        target_label: '__tmp_shard',
        action: 'hashmod',
      },
      { source_labels: ['__tmp_shard'], regex: String(shard.index), action: 'keep' },
    );
  }
  return rules;
}

/** cAdvisor reports every container on the host: name series after the ECS container, not cAdvisor's own. */
export function cadvisorMetricRelabelConfigs(): Relabel[] {
  const from = (dockerLabel: string, to: string, regex = '(.*)'): Relabel => ({
    source_labels: [`container_label_com_amazonaws_ecs_${dockerLabel}`],
    regex,
    target_label: to,
    replacement: '$1',
  });
  return [
    from('cluster', 'cluster', '(.+)'),
    from('task_definition_family', 'task_family'),
    from('container_name', 'container'),
    from('task_arn', 'task_id', '(?:.*/)?([^/]*)'),
    // The ECS service of a container is not a docker label; cAdvisor's own service would mislead.
    { action: 'labeldrop', regex: 'service|container_label_.*' },
  ];
}

function shardQuery(
  url: string,
  opts: { job?: string; interval?: string; shard?: RenderOptions['shard'] },
): string {
  const u = new URL(url);
  if (opts.job !== undefined) u.searchParams.set('job', opts.job);
  if (opts.interval !== undefined) u.searchParams.set('interval', opts.interval);
  if (opts.shard) {
    u.searchParams.set('shard', String(opts.shard.index));
    u.searchParams.set('shards', String(opts.shard.total));
  }
  return u.toString();
}

/** Seconds in a Prometheus duration such as `30s`, `1m` or `1h30m`; throws naming the text otherwise. */
export function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== duration) {
    throw new Error(`duration "${duration}" is not a Prometheus duration like 30s or 1m`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

function validate(
  o: Required<Omit<RenderOptions, 'shard' | 'remoteWrite' | 'intervalOverrides'>> & RenderOptions,
): void {
  if (o.shard) {
    const { index, total } = o.shard;
    if (!Number.isInteger(total) || total < 1) throw new Error(`shard total ${total} is not an integer >= 1`);
    if (!Number.isInteger(index) || index < 0 || index >= total) {
      throw new Error(`shard index ${index} is not an integer in [0, ${total - 1}]`);
    }
  }
  for (const d of [o.scrapeInterval, o.evaluationInterval, ...Object.values(o.intervalOverrides ?? {})])
    seconds(d);
  if (o.discovery !== 'file_sd' && o.discovery !== 'http_sd') {
    throw new Error(`discovery "${String(o.discovery)}" is not one of file_sd, http_sd`);
  }
  if (o.discovery === 'http_sd' && !URL.canParse(o.httpSdUrl)) {
    throw new Error(`httpSdUrl "${o.httpSdUrl}" is not an absolute URL`);
  }
}

/** The Prometheus configuration as a plain object; valid for Prometheus 2.42 and later. */
export function buildPrometheusConfig(options: RenderOptions = {}): Record<string, unknown> {
  const o = { ...DEFAULTS, ...options };
  validate(o);
  const daemons = [o.nodeExporterJob, o.cadvisorJob];
  const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const daemonRegex = daemons.map(escapeRegex).join('|');
  const fileSd = o.discovery === 'file_sd';
  const dir = o.fileSdDir.replace(/\/+$/, '');

  const sd = (interval: Interval | undefined, job: string | undefined): Record<string, unknown> =>
    fileSd
      ? {
          file_sd_configs: [
            {
              files: interval
                ? [`${dir}/${intervalFileName(interval)}`]
                : ECS_SD_INTERVALS.map((i) => `${dir}/${intervalFileName(i)}`),
              refresh_interval: '1m',
            },
          ],
        }
      : {
          http_sd_configs: [
            { url: shardQuery(o.httpSdUrl, { job, interval, shard: o.shard }), refresh_interval: '30s' },
          ],
        };

  const appJobs: ScrapeConfig[] = ECS_SD_INTERVALS.map((interval) => ({
    job_name: `ecs-${interval}`,
    // Prometheus caps a job's inherited timeout at its interval, so short overrides need no timeout.
    scrape_interval: o.intervalOverrides?.[interval] ?? interval,
    ...sd(interval, undefined),
    relabel_configs: [
      // The daemons have jobs of their own below.
      { source_labels: ['job'], regex: daemonRegex, action: 'drop' },
      ...ecsRelabelConfigs(o.shard, fileSd),
    ],
  }));

  // The daemons scrape at the global interval, whichever interval file they are listed in.
  const daemonJob = (job: string, extra: Record<string, unknown>): ScrapeConfig => ({
    job_name: job,
    ...sd(undefined, job),
    relabel_configs: [
      { source_labels: ['job'], regex: escapeRegex(job), action: 'keep' },
      ...ecsRelabelConfigs(o.shard, fileSd),
    ],
    ...extra,
  });

  const config: Record<string, unknown> = {
    global: {
      scrape_interval: o.scrapeInterval,
      // Scrape timeout may not exceed the interval (a demo may scrape every second).
      scrape_timeout: seconds(o.scrapeInterval) < 10 ? o.scrapeInterval : '10s',
      evaluation_interval: o.evaluationInterval,
      external_labels: { ...o.externalLabels },
    },
    rule_files: [...o.ruleFiles],
  };
  if (o.alertmanagers.length > 0) {
    config['alerting'] = {
      // Both members of an HA pair send the same alert; without the replica label Alertmanager dedups it.
      alert_relabel_configs: [{ action: 'labeldrop', regex: 'prometheus_replica' }],
      alertmanagers: [{ static_configs: [{ targets: [...o.alertmanagers] }] }],
    };
  }
  const selfJobs: ScrapeConfig[] = [
    { job_name: 'ecs-sd', static_configs: [{ targets: [...o.ecsSdTargets] }] },
    { job_name: 'prometheus', static_configs: [{ targets: [...o.prometheusTargets] }] },
  ];
  if (o.alertmanagers.length > 0) {
    selfJobs.push({ job_name: 'alertmanager', static_configs: [{ targets: [...o.alertmanagers] }] });
  }
  config['scrape_configs'] = [
    ...appJobs,
    daemonJob(o.nodeExporterJob, {}),
    daemonJob(o.cadvisorJob, { metric_relabel_configs: cadvisorMetricRelabelConfigs() }),
    ...selfJobs,
  ];
  if (o.remoteWrite && o.remoteWrite.length > 0) {
    config['remote_write'] = o.remoteWrite.map((rw) => ({ url: rw.url, ...rw.extra }));
  }
  return config;
}

/** The Prometheus configuration as YAML text, ready to write to a file for a local run. */
export function renderPrometheusConfig(options: RenderOptions = {}): string {
  return formatConfig(buildPrometheusConfig(options));
}

/** A configuration object as YAML text in the layout of the checked-in files. */
export function formatConfig(config: Record<string, unknown>): string {
  const doc = new Document(config);
  // Short lists of scalars (source_labels, targets) on one line, as people write them by hand.
  visit(doc, {
    Seq(_key, node) {
      // Within Biome's 110 columns, so `biome check` leaves the generated files alone.
      const values = node.items.map((item) => (isScalar(item) ? String(item.value) : undefined));
      if (values.every((v) => v !== undefined) && values.join(', ').length <= 60) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
