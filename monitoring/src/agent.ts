/**
 * The configuration of one scraper of a pool (issue 16's scale-out topology): Prometheus in agent
 * mode reading its share of the fleet from ecs-sd's `/http-sd?pool=NAME` and remote-writing every
 * sample to a store that evaluates the rules (Amazon Managed Service for Prometheus, Mimir, Thanos
 * Receive, VictoriaMetrics). Pure, like render.ts: the checked-in file, the kits and the tests use it.
 */
import {
  cadvisorMetricRelabelConfigs,
  DEFAULTS,
  ecsRelabelConfigs,
  type RemoteWriteOptions,
  seconds,
} from './render.ts';

/** Where the deployed scale-out layout expects things (monitoring/README.md, "Scale-out: a pool of agents"). */
export const AGENT_DEFAULTS = {
  /** The pool's share of this scraper; ecs-sd knows the caller by its source address (awsvpc task IP). */
  httpSdUrl: 'http://ecs-sd:9888/http-sd?pool=agents',
  /** How soon a scraper takes over a stopped member's targets: a request every 10 s per member. */
  refreshInterval: '10s',
  /** VictoriaMetrics single-node, the store the end-to-end tests run; the kits set their own. */
  remoteWrite: [{ url: 'http://victoria-metrics:8428/api/v1/write' }] as readonly RemoteWriteOptions[],
  /** No replica label: each target has one writer, so its series stay one when it moves to another member. */
  externalLabels: { prometheus: 'ecs' } as Readonly<Record<string, string>>,
  scrapeInterval: '30s',
  /** ecs-sd's `discovery.default_interval`: targets that declare an interval carry `__scrape_interval__`. */
  defaultInterval: '1m',
  nodeExporterJob: DEFAULTS.nodeExporterJob,
  cadvisorJob: DEFAULTS.cadvisorJob,
  /** `job` of ecs-sd's own tasks (docker label `ecs-sd.job`), scraped through the pool like any target. */
  ecsSdJob: 'ecs-sd',
  /** `job` of the scrapers' own tasks: not `prometheus`, whose Alertmanager and rule alerts do not apply to agents. */
  agentJob: 'prometheus-agent',
} as const;

/** Options of {@link buildAgentConfig}; every key is optional and defaults to {@link AGENT_DEFAULTS}. */
export interface AgentRenderOptions {
  /** The pool's http_sd URL, e.g. `http://ecs-sd.monitoring.internal:9888/http-sd?pool=agents`. */
  httpSdUrl?: string;
  /** http_sd `refresh_interval`: the longest a stopped member's targets wait for a survivor. */
  refreshInterval?: string;
  /** At least one: agent mode keeps nothing but a write-ahead log for remote_write. */
  remoteWrite?: readonly RemoteWriteOptions[];
  externalLabels?: Readonly<Record<string, string>>;
  /** Global scrape interval: the daemons' and the self-monitoring jobs'; the timeout is min(10s, this). */
  scrapeInterval?: string;
  /** Interval of ECS targets that declare none (ecs-sd's `discovery.default_interval`). */
  defaultInterval?: string;
  nodeExporterJob?: string;
  cadvisorJob?: string;
  ecsSdJob?: string;
  agentJob?: string;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Relabelling of the jobs that scrape our own components through the pool (ecs-sd, the agents): only
 * `job` and `instance` stay visible, so ecs-sd's own `cluster`, `source` and `job` labels are not
 * renamed to `exported_*` by the ECS labels of the task that runs it.
 */
function componentRelabelConfigs(job: string): Record<string, unknown>[] {
  return [
    { source_labels: ['job'], regex: escapeRegex(job), action: 'keep' },
    { source_labels: ['metrics_path'], regex: '(.+)', target_label: '__metrics_path__' },
    { source_labels: ['__address__'], target_label: 'instance' },
    { action: 'labelkeep', regex: '__.+|job|instance' },
  ];
}

/** Problems with the options, thrown as one error naming each value and what was expected. */
function validate(o: Required<AgentRenderOptions>): void {
  const problems: string[] = [];
  const httpUrl = (url: string) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol);
  if (!httpUrl(o.httpSdUrl)) problems.push(`httpSdUrl "${o.httpSdUrl}" is not an http(s) URL`);
  if (o.remoteWrite.length === 0) {
    problems.push('remoteWrite is empty, expected at least one destination (agent mode stores nothing)');
  }
  for (const rw of o.remoteWrite) {
    if (!httpUrl(rw.url)) problems.push(`remoteWrite url "${rw.url}" is not an http(s) URL`);
  }
  for (const d of [o.refreshInterval, o.scrapeInterval, o.defaultInterval]) {
    try {
      seconds(d);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/**
 * The agent's configuration as a plain object, valid for `prometheus --enable-feature=agent` 2.42
 * and later: no rule_files and no alerting (agent mode refuses them; the store evaluates the rules).
 * Every job reads the same http_sd URL, so Prometheus asks ecs-sd once per refresh.
 */
export function buildAgentConfig(options: AgentRenderOptions = {}): Record<string, unknown> {
  const o = { ...AGENT_DEFAULTS, ...options };
  validate(o);
  // A fresh object per job: shared ones would be written as YAML anchors, which not every reader takes.
  const sd = () => ({ http_sd_configs: [{ url: o.httpSdUrl, refresh_interval: o.refreshInterval }] });
  const own = [o.nodeExporterJob, o.cadvisorJob, o.ecsSdJob, o.agentJob].map(escapeRegex).join('|');
  const daemon = (job: string) => ({
    job_name: job,
    ...sd(),
    relabel_configs: [
      { source_labels: ['job'], regex: escapeRegex(job), action: 'keep' },
      ...ecsRelabelConfigs(undefined, false),
    ],
  });
  return {
    global: {
      scrape_interval: o.scrapeInterval,
      scrape_timeout: seconds(o.scrapeInterval) < 10 ? o.scrapeInterval : '10s',
      external_labels: { ...o.externalLabels },
    },
    scrape_configs: [
      {
        job_name: 'ecs',
        scrape_interval: o.defaultInterval,
        ...sd(),
        relabel_configs: [
          // The daemons and our own components have jobs of their own below.
          { source_labels: ['job'], regex: own, action: 'drop' },
          ...ecsRelabelConfigs(undefined, false),
        ],
      },
      daemon(o.nodeExporterJob),
      { ...daemon(o.cadvisorJob), metric_relabel_configs: cadvisorMetricRelabelConfigs() },
      { job_name: o.ecsSdJob, ...sd(), relabel_configs: componentRelabelConfigs(o.ecsSdJob) },
      { job_name: o.agentJob, ...sd(), relabel_configs: componentRelabelConfigs(o.agentJob) },
    ],
    remote_write: o.remoteWrite.map((rw) => ({ url: rw.url, ...rw.extra })),
  };
}
