import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigFileSchema } from 'ecs-sd/config';
import { INTERVALS, intervalFileName } from 'ecs-sd/intervals';
import { parse } from 'yaml';
import {
  adaptScrapeConfig,
  defaultScrapeConfigs,
  eventClusters,
  renderAlertmanagerConfig,
  renderEcsSdConfig,
  renderGrafanaProvisioning,
  renderPrometheusConfig,
  sourceProblems,
  toYaml,
} from '../src/prometheus-server/config.ts';

test('ecs-sd config lists every source, and event mode only on sources read without a role', () => {
  const config = renderEcsSdConfig({
    refreshInterval: '60s',
    eventsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/events',
    sources: [
      { name: 'local', region: 'eu-west-1' },
      {
        name: 'prod',
        region: 'us-east-1',
        roleArn: 'arn:aws:iam::222222222222:role/ecs-sd',
        externalId: 'xid',
        clusters: ['web'],
      },
    ],
  });
  assert.deepEqual(parse(toYaml(config)), {
    refresh_interval: '60s',
    sources: [
      {
        name: 'local',
        region: 'eu-west-1',
        events: { queue_url: 'https://sqs.eu-west-1.amazonaws.com/111111111111/events' },
      },
      {
        name: 'prod',
        region: 'us-east-1',
        role_arn: 'arn:aws:iam::222222222222:role/ecs-sd',
        external_id: 'xid',
        clusters: ['web'],
      },
    ],
  });
});

const common = {
  ruleFiles: ['/etc/monitoring/rules/*.yml'],
  alertmanagers: ['127.0.0.1:9093'],
  externalLabels: { prometheus_replica: 'a' },
};

test('prometheus config keeps the base jobs but always points at the local Alertmanager and delivered rules', () => {
  const base = {
    global: {
      scrape_interval: '30s',
      external_labels: { environment: 'test', prometheus_replica: 'prometheus-0' },
    },
    rule_files: ['/elsewhere/*.yml'],
    alerting: {
      alert_relabel_configs: [
        { action: 'labeldrop', regex: 'prometheus_replica' },
        { action: 'labeldrop', regex: 'x' },
      ],
      alertmanagers: [{ static_configs: [{ targets: ['alertmanager:9093'] }] }],
    },
    scrape_configs: [{ job_name: 'custom' }],
  };
  const config = renderPrometheusConfig({ ...common, base, remoteWrite: [] });
  assert.deepEqual(config['scrape_configs'], [{ job_name: 'custom' }]);
  assert.deepEqual(config['rule_files'], ['/etc/monitoring/rules/*.yml']);
  assert.deepEqual(config['alerting'], {
    alert_relabel_configs: [
      { action: 'labeldrop', regex: 'prometheus_replica' },
      { action: 'labeldrop', regex: 'x' },
    ],
    alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:9093'] }] }],
  });
  assert.deepEqual(config['global'], {
    scrape_interval: '30s',
    evaluation_interval: '1m',
    external_labels: { environment: 'test', prometheus_replica: 'a' },
  });
  assert.equal(config['remote_write'], undefined);
});

test('base jobs read file_sd from the task and reach task containers on loopback', () => {
  const adapted = adaptScrapeConfig({
    job_name: 'node-exporter',
    file_sd_configs: [
      { files: ['/var/lib/ecs-sd/15s-tasks.json', '/var/lib/ecs-sd/5m-tasks.yml', '/other/x.json'] },
    ],
    static_configs: [
      { targets: ['ecs-sd:9888', 'alertmanager:9093', 'localhost:9090', 'ecs-sd.example:9888'] },
    ],
    http_sd_configs: [{ url: 'http://ecs-sd:9888/http-sd' }],
    relabel_configs: [{ action: 'keep' }],
  });
  assert.deepEqual(adapted, {
    job_name: 'node-exporter',
    file_sd_configs: [
      {
        files: [
          '/etc/prometheus/ecs-sd/15s-tasks.json',
          '/etc/prometheus/ecs-sd/5m-tasks.yml',
          '/other/x.json',
        ],
      },
    ],
    static_configs: [
      { targets: ['127.0.0.1:9888', '127.0.0.1:9093', 'localhost:9090', 'ecs-sd.example:9888'] },
    ],
    http_sd_configs: [{ url: 'http://127.0.0.1:9888/http-sd' }],
    relabel_configs: [{ action: 'keep' }],
  });
});

test('prometheus config without a base scrapes every file_sd interval file and the task itself', () => {
  const config = renderPrometheusConfig({ ...common, remoteWrite: [] });
  const jobs = config['scrape_configs'] as { job_name: string; file_sd_configs?: { files: string[] }[] }[];
  assert.deepEqual(
    jobs.flatMap((job) => job.file_sd_configs?.flatMap((sd) => sd.files) ?? []),
    INTERVALS.map((interval) => `/etc/prometheus/ecs-sd/${intervalFileName(interval)}`),
  );
  assert.deepEqual(jobs.map((job) => job.job_name).slice(4), ['prometheus', 'ecs-sd', 'alertmanager']);
  assert.equal(defaultScrapeConfigs().length, 7);
});

test('remote_write targets are signed with SigV4 only when a Region is given', () => {
  const config = renderPrometheusConfig({
    ...common,
    remoteWrite: [
      {
        url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
        sigv4Region: 'eu-west-1',
      },
      { url: 'https://mimir.example/api/v1/push' },
    ],
  });
  assert.deepEqual(config['remote_write'], [
    {
      url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
      sigv4: { region: 'eu-west-1' },
    },
    { url: 'https://mimir.example/api/v1/push' },
  ]);
});

test('alertmanager sends every alert to the SNS topic, resolved ones too', () => {
  const config = renderAlertmanagerConfig({
    topicArn: 'arn:aws:sns:eu-west-1:111111111111:alerts',
    region: 'eu-west-1',
  });
  const route = config['route'] as { receiver: string };
  const receivers = config['receivers'] as { name: string; sns_configs: unknown[] }[];
  assert.equal(route.receiver, 'sns');
  assert.deepEqual(receivers, [
    {
      name: 'sns',
      sns_configs: [
        {
          topic_arn: 'arn:aws:sns:eu-west-1:111111111111:alerts',
          sigv4: { region: 'eu-west-1' },
          send_resolved: true,
        },
      ],
    },
  ]);
});

test('grafana uses the local Prometheus and loads dashboards from the delivered folder', () => {
  const { datasources, dashboards } = renderGrafanaProvisioning('/etc/monitoring/grafana/dashboards');
  assert.match(JSON.stringify(datasources), /"url":"http:\/\/127\.0\.0\.1:9090"/);
  assert.match(JSON.stringify(dashboards), /"path":"\/etc\/monitoring\/grafana\/dashboards"/);
});

test('bad server names and sources fail the synth with every problem at once', () => {
  assert.deepEqual(
    sourceProblems('Prometheus_A', [
      { name: 'prod', region: 'eu-west-1', externalId: 'x' },
      { name: 'prod', region: 'eu-west-1', roleArn: 'arn:aws:iam::123:user/x', clusters: [] },
    ]),
    [
      'name: "Prometheus_A" is not a DNS label, expected lowercase letters, digits and dashes',
      'sources[0].externalId: set without roleArn, expected roleArn too',
      'sources[1].name: "prod" is used twice, expected unique names',
      'sources[1].roleArn: "arn:aws:iam::123:user/x" is not an IAM role ARN, expected arn:aws:iam::<account>:role/<name>',
      'sources[1].clusters: empty, expected cluster names or no clusters key (every cluster)',
    ],
  );
  assert.deepEqual(sourceProblems('prometheus-a', [{ name: 'local', region: 'eu-west-1' }]), []);
});

test('event mode filters on the clusters of this account only when every such source names them', () => {
  const role = 'arn:aws:iam::222222222222:role/ecs-sd';
  assert.deepEqual(
    eventClusters([
      { name: 'a', region: 'eu-west-1', clusters: ['web', 'jobs'] },
      { name: 'b', region: 'eu-west-1', clusters: ['web'] },
      { name: 'c', region: 'eu-west-1', roleArn: role },
    ]),
    ['web', 'jobs'],
  );
  assert.equal(
    eventClusters([
      { name: 'a', region: 'eu-west-1', clusters: ['web'] },
      { name: 'b', region: 'eu-west-1' },
    ]),
    undefined,
  );
  assert.equal(
    eventClusters([{ name: 'c', region: 'eu-west-1', roleArn: role, clusters: ['x'] }]),
    undefined,
  );
});

const SOURCES = [
  { name: 'local', region: 'eu-west-1' },
  {
    name: 'prod',
    region: 'eu-west-1',
    roleArn: 'arn:aws:iam::222222222222:role/x',
    externalId: 'xid',
    clusters: ['web'],
  },
];

/** The problems ecs-sd's own config schema finds in a rendered config, as `path: message`. */
function daemonProblems(config: Record<string, unknown>): string[] {
  const result = ConfigFileSchema.safeParse(parse(toYaml(config)));
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

test('ecs-sd accepts the generated polling config (its own schema, so key drift fails here)', () => {
  assert.deepEqual(daemonProblems(renderEcsSdConfig({ refreshInterval: '60s', sources: SOURCES })), []);
});

test('ecs-sd accepts the generated event mode config', () => {
  const config = renderEcsSdConfig({
    refreshInterval: '60s',
    sources: SOURCES,
    eventsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/events',
  });
  assert.deepEqual(daemonProblems(config), []);
});
