/** The scale-out topology's generated files, checked by their consumers: ecs-sd's schema, promtool, amtool. */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { toolIn } from '@ecs-sd/testkit';
import { parse } from 'yaml';
import { ConfigFileSchema } from '../../ecs-sd/src/config/schema.ts';
import { toYaml } from '../src/prometheus-server/config.ts';
import {
  DEFAULT_MONITORING_DIRECTORY,
  readYamlMapping,
} from '../src/prometheus-server/monitoring-content.ts';
import { ruleGroupFiles } from '../src/scale-out/amp-store.ts';
import {
  ampAlertManagerDefinition,
  membersSource,
  renderAmpAlertmanagerConfig,
  renderScaleOutAgentConfig,
  renderScaleOutEcsSdConfig,
  storeRemoteWrite,
} from '../src/scale-out/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'ecs-sd-scale-out-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SOURCES = [
  { name: 'local', region: 'eu-west-1', clusters: ['web', 'jobs'] },
  {
    name: 'prod',
    region: 'eu-west-1',
    roleArn: 'arn:aws:iam::222222222222:role/ecs-sd',
    externalId: 'ecs-sd',
  },
];
const POOL = {
  name: 'agents',
  source: 'local',
  cluster: 'monitoring',
  family: 'prometheus-agent',
  replication: 1,
};
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111111111111/ecs-sd-0';

test("a replica's config: its queue on this account's sources, ha.replicas, and the pool on the scrapers' family", () => {
  const config = renderScaleOutEcsSdConfig({
    sources: SOURCES,
    refreshInterval: '60s',
    replicas: 2,
    pool: POOL,
    eventsQueueUrl: QUEUE,
  });
  assert.deepEqual(parse(toYaml(config)), {
    refresh_interval: '60s',
    sources: [
      {
        name: 'local',
        region: 'eu-west-1',
        clusters: ['web', 'jobs', 'monitoring'],
        events: { queue_url: QUEUE },
      },
      {
        name: 'prod',
        region: 'eu-west-1',
        role_arn: 'arn:aws:iam::222222222222:role/ecs-sd',
        external_id: 'ecs-sd',
      },
    ],
    ha: { replicas: 2 },
    pools: [
      {
        name: 'agents',
        members: { ecs: { source: 'local', cluster: 'monitoring', family: 'prometheus-agent' } },
        replication: 1,
      },
    ],
  });
});

test('a members source that reads every cluster is left as it is, and one that lists the cluster gets it once', () => {
  const every = renderScaleOutEcsSdConfig({
    sources: [{ name: 'local', region: 'eu-west-1' }],
    refreshInterval: '60s',
    replicas: 1,
    pool: POOL,
  });
  assert.deepEqual(every['sources'], [{ name: 'local', region: 'eu-west-1' }]);
  const listed = renderScaleOutEcsSdConfig({
    sources: [{ name: 'local', region: 'eu-west-1', clusters: ['monitoring'] }],
    refreshInterval: '60s',
    replicas: 1,
    pool: POOL,
  });
  assert.deepEqual((listed['sources'] as { clusters: string[] }[])[0]?.clusters, ['monitoring']);
  assert.equal(membersSource(SOURCES, 'eu-west-1')?.name, 'local');
  assert.equal(
    membersSource([SOURCES[1]!], 'eu-west-1'),
    undefined,
    'a cross-account source cannot see the scrapers',
  );
  assert.equal(membersSource(SOURCES, 'us-east-1'), undefined, 'nor a source of another Region');
});

/** ecs-sd's schema on a rendered config: its problems, and whether only the pool keys were unknown. */
function schemaCheck(config: Record<string, unknown>): { problems: string[]; poolKeysUnknown: boolean } {
  const result = ConfigFileSchema.safeParse(parse(toYaml(config)));
  if (result.success) return { problems: [], poolKeysUnknown: false };
  const issues = result.error.issues;
  return {
    problems: issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    poolKeysUnknown: issues.some(
      (issue) =>
        issue.code === 'unrecognized_keys' && issue.keys.every((key) => key === 'pools' || key === 'ha'),
    ),
  };
}

const RENDERED = renderScaleOutEcsSdConfig({
  sources: SOURCES,
  refreshInterval: '60s',
  replicas: 2,
  pool: POOL,
  eventsQueueUrl: QUEUE,
});

test("ecs-sd's schema accepts the sources, refresh and events of the scale-out config", () => {
  const { pools: _pools, ha: _ha, ...rest } = RENDERED;
  assert.deepEqual(schemaCheck(rest).problems, []);
});

test("ecs-sd's schema accepts the pool and ha keys as rendered (issue 16's contract)", (t) => {
  const { problems, poolKeysUnknown } = schemaCheck(RENDERED);
  if (poolKeysUnknown && problems.length === 1) {
    // The daemon side of issue 16 (pools, ha.replicas) is built on another branch; once merged this runs.
    t.skip('ecs-sd on this branch has no pools/ha keys yet (issue 16, daemon side)');
    return;
  }
  assert.deepEqual(problems, []);
});

test('the agent config: monitoring’s jobs pointed at the pool URL, remote_write to AMP with SigV4, promtool --agent accepts it', (t) => {
  const base = readYamlMapping(DEFAULT_MONITORING_DIRECTORY, 'prometheus/prometheus-agent.yml');
  assert.ok(base, 'monitoring/prometheus/prometheus-agent.yml exists');
  const url = 'http://ecs-sd.monitoring.internal:9888/http-sd?pool=agents';
  const config = renderScaleOutAgentConfig({
    base: {
      ...base,
      // A job of the user's own on another http_sd stays as it is.
      scrape_configs: [
        ...(base['scrape_configs'] as unknown[]),
        { job_name: 'other', http_sd_configs: [{ url: 'http://other:8080/sd' }] },
      ],
    },
    httpSdUrl: url,
    remoteWrite: storeRemoteWrite(
      { kind: 'amp' },
      {
        workspaceArn: 'arn:aws:aps:eu-west-1:111111111111:workspace/ws-1',
        prometheusEndpoint: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/',
      },
      'eu-west-1',
    ),
    externalLabels: { environment: 'prod' },
  });
  const jobs = config['scrape_configs'] as { job_name: string; http_sd_configs: { url: string }[] }[];
  assert.deepEqual(
    jobs.map((j) => [j.job_name, j.http_sd_configs[0]?.url]),
    [
      ['ecs', url],
      ['node-exporter', url],
      ['cadvisor', url],
      ['ecs-sd', url],
      ['prometheus-agent', url],
      ['other', 'http://other:8080/sd'],
    ],
  );
  assert.deepEqual(config['remote_write'], [
    {
      url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
      sigv4: { region: 'eu-west-1' },
    },
  ]);
  assert.deepEqual((config['global'] as { external_labels: unknown }).external_labels, {
    prometheus: 'ecs',
    environment: 'prod',
  });
  const promtool = toolIn(t, 'promtool', 'prometheus');
  if (promtool === undefined) return;
  const file = join(dir, 'prometheus-agent.yml');
  writeFileSync(file, toYaml(config));
  const result = spawnSync(promtool, ['check', 'config', '--agent', file], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});

test("AMP's alert manager keeps monitoring's routes and inhibitions, every receiver on SNS, and amtool accepts it", (t) => {
  const base = readYamlMapping(DEFAULT_MONITORING_DIRECTORY, 'alertmanager/alertmanager.yml');
  assert.ok(base);
  const config = renderAmpAlertmanagerConfig({
    base,
    topicArn: 'arn:aws:sns:eu-west-1:111111111111:alerts',
    region: 'eu-west-1',
  });
  assert.deepEqual(config['route'], base['route']);
  assert.deepEqual(config['inhibit_rules'], base['inhibit_rules']);
  const receivers = config['receivers'] as { name: string; sns_configs: unknown[] }[];
  assert.deepEqual(
    receivers.map((r) => r.name),
    (base['receivers'] as { name: string }[]).map((r) => r.name),
  );
  for (const receiver of receivers) {
    assert.deepEqual(Object.keys(receiver), ['name', 'sns_configs'], 'no webhook AMP could not call');
  }
  const definition = parse(ampAlertManagerDefinition(config));
  assert.deepEqual(Object.keys(definition), ['alertmanager_config']);
  assert.deepEqual(parse(definition.alertmanager_config), config);
  const amtool = toolIn(t, 'amtool', 'prometheus-alertmanager');
  if (amtool === undefined) return;
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, definition.alertmanager_config);
  const result = spawnSync(amtool, ['check-config', file], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});

test('every monitoring rule file becomes a rule groups namespace that promtool accepts', (t) => {
  const files = ruleGroupFiles(join(DEFAULT_MONITORING_DIRECTORY, 'rules'));
  assert.deepEqual(
    files.map((f) => f.name),
    [
      'alertmanager.rules',
      'container.rules',
      'ecs-sd.rules',
      'host.rules',
      'prometheus.rules',
      'scrape.rules',
    ],
    'one per file, the tests/ folder left out',
  );
  const promtool = toolIn(t, 'promtool', 'prometheus');
  if (promtool === undefined) return;
  for (const { name, data } of files) {
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, data);
    const checked: SpawnSyncReturns<string> = spawnSync(promtool, ['check', 'rules', file], {
      encoding: 'utf8',
    });
    assert.equal(checked.status, 0, `${name}: ${checked.stdout}${checked.stderr}`);
  }
});

test('a rule file whose name AMP would refuse fails the synth naming it', () => {
  const rules = join(dir, 'bad-rules');
  mkdirSync(rules);
  writeFileSync(join(rules, '_private.yml'), 'groups: []\n');
  assert.throws(
    () => ruleGroupFiles(rules),
    /rule file "_private\.yml" gives the namespace name "_private", expected 1-64 of \[-\.0-9A-Z_a-z\] starting with a letter or digit/,
  );
});
