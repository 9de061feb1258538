/**
 * The scale-out scraper's configuration (src/agent.ts): its shape, `promtool check config --agent`, and a
 * real Prometheus in agent mode reading a pool share over http_sd and remote-writing to a real
 * VictoriaMetrics, whose query API shows the labels the rules and dashboards select on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  freePort,
  type ListeningProcess,
  type ManagedProcess,
  startProcess,
  startPrometheusBinary,
  toolIn,
  waitUntil,
} from '@ecs-sd/testkit';
import { parse } from 'yaml';
import { AGENT_DEFAULTS, buildAgentConfig } from '../src/agent.ts';
import { formatConfig } from '../src/render.ts';
import { run } from './helpers.ts';

type Job = {
  job_name: string;
  scrape_interval?: string;
  http_sd_configs?: Array<{ url: string; refresh_interval: string }>;
  relabel_configs?: Array<Record<string, unknown>>;
  metric_relabel_configs?: unknown[];
};
const jobs = (config: Record<string, unknown>): Job[] => config['scrape_configs'] as Job[];

test('every job of the agent reads the one pool URL, and the config has what agent mode refuses left out', () => {
  const url = 'http://ecs-sd.monitoring.internal:9888/http-sd?pool=agents';
  const config = buildAgentConfig({ httpSdUrl: url });
  assert.deepEqual(
    jobs(config).map((j) => j.job_name),
    ['ecs', 'node-exporter', 'cadvisor', 'ecs-sd', 'prometheus-agent'],
  );
  for (const j of jobs(config)) {
    assert.deepEqual(j.http_sd_configs, [{ url, refresh_interval: '10s' }], j.job_name);
  }
  assert.equal(config['rule_files'], undefined);
  assert.equal(config['alerting'], undefined);
  assert.deepEqual(config['remote_write'], AGENT_DEFAULTS.remoteWrite);
  assert.deepEqual((config['global'] as Record<string, unknown>)['external_labels'], { prometheus: 'ecs' });
  const [ecs] = jobs(config);
  assert.equal(ecs?.scrape_interval, '1m', "ecs-sd's default interval bucket");
  assert.deepEqual(ecs?.relabel_configs?.[0], {
    source_labels: ['job'],
    regex: 'node-exporter|cadvisor|ecs-sd|prometheus-agent',
    action: 'drop',
  });
  const ecsSd = jobs(config).find((j) => j.job_name === 'ecs-sd');
  assert.deepEqual(ecsSd?.relabel_configs?.at(-1), { action: 'labelkeep', regex: '__.+|job|instance' });
});

test('bad options fail with every problem at once', () => {
  assert.throws(
    () => buildAgentConfig({ httpSdUrl: 'ecs-sd:9888', remoteWrite: [], refreshInterval: '10 seconds' }),
    (err: Error) => {
      assert.deepEqual(err.message.split('\n'), [
        'httpSdUrl "ecs-sd:9888" is not an http(s) URL',
        'remoteWrite is empty, expected at least one destination (agent mode stores nothing)',
        'duration "10 seconds" is not a Prometheus duration like 30s or 1m',
      ]);
      return true;
    },
  );
});

test('promtool accepts the checked-in agent config and an AMP variant in agent mode, and agent mode refuses rules', async (t) => {
  const promtool = toolIn(t, 'promtool', 'prometheus');
  if (!promtool) return;
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-agent-check-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const checkedIn = await run(promtool, ['check', 'config', '--agent', 'prometheus/prometheus-agent.yml']);
  assert.equal(checkedIn.code, 0, checkedIn.stdout + checkedIn.stderr);
  const amp = buildAgentConfig({
    remoteWrite: [
      {
        url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
        extra: { sigv4: { region: 'eu-west-1' } },
      },
    ],
  });
  await writeFile(join(dir, 'amp.yml'), formatConfig(amp));
  const ampCheck = await run(promtool, ['check', 'config', '--agent', join(dir, 'amp.yml')]);
  assert.equal(ampCheck.code, 0, ampCheck.stdout + ampCheck.stderr);
  // The real consumer draws the line the renderer keeps to: rule_files belong to the store.
  await writeFile(join(dir, 'rules.yml'), formatConfig({ ...amp, rule_files: ['rules/*.yml'] }));
  const refused = await run(promtool, ['check', 'config', '--agent', join(dir, 'rules.yml')]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /rule_files is not allowed in agent mode/);
  assert.equal(parse(formatConfig(amp)).remote_write[0].sigv4.region, 'eu-west-1');
});

/** An http_sd target as ecs-sd serves it for a pool member (visible labels and __meta_ecs_*). */
function poolTarget(address: string, job: string, cluster: string, service: string, path = '/metrics') {
  return {
    targets: [address],
    labels: {
      job,
      ecs_task_id: '5b7d4e3f8a6b0f2a9c1e',
      ecs_task_version: '7',
      ecs_cluster: cluster,
      ecs_container: job,
      __metrics_path__: path,
      __meta_ecs_cluster: cluster,
      __meta_ecs_service: service,
      __meta_ecs_task_definition_family: job,
      __meta_ecs_container_name: job,
      __meta_ecs_launch_type: 'FARGATE',
      __meta_ecs_availability_zone: 'eu-west-1b',
    },
  };
}

interface VmQuery {
  status: string;
  data: { result: Array<{ metric: Record<string, string> }> };
}

test('a real agent scrapes its pool share and remote-writes it to VictoriaMetrics under the labels the rules select on', async (t) => {
  const prometheus = toolIn(t, 'prometheus', 'prometheus');
  const victoria = prometheus && toolIn(t, 'victoria-metrics', 'victoria-metrics');
  if (!prometheus || !victoria) return;
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-agent-run-'));
  const processes: ManagedProcess[] = [];
  const servers: Server[] = [];
  t.after(async () => {
    for (const p of processes) await p.stop();
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  // Stand-ins for an application and for ecs-sd: its /metrics with its own cluster and job labels,
  // and its /http-sd, which answers the pool share of this one member.
  let agent: ListeningProcess | undefined;
  const sdQueries: string[] = [];
  const ecsSdMetrics = [
    'ecs_sd_targets{source="default",cluster="prod",job="web"} 3',
    'ecs_sd_cluster_stale{source="default",cluster="prod"} 0',
    '',
  ].join('\n');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname === '/http-sd') {
      sdQueries.push(url.search);
      const share = [
        poolTarget(ecsSd, 'web', 'prod', 'web-svc', '/app-metrics'),
        poolTarget(ecsSd, 'ecs-sd', 'monitoring', 'ecs-sd'),
        ...(agent === undefined
          ? []
          : [poolTarget(agent.address, 'prometheus-agent', 'monitoring', 'scrapers')]),
      ];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(share));
      return;
    }
    const body =
      url.pathname === '/metrics'
        ? ecsSdMetrics
        : url.pathname === '/app-metrics'
          ? 'app_requests_total 1\n'
          : undefined;
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const ecsSd = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const vmPort = await freePort();
  const vm = startProcess('victoria-metrics', victoria, [
    `-storageDataPath=${join(dir, 'vm')}`,
    `-httpListenAddr=127.0.0.1:${vmPort}`,
    // Show samples as soon as they are written (the default hides the last 30 s).
    '-search.latencyOffset=0s',
  ]);
  processes.push(vm);
  const vmUrl = `http://127.0.0.1:${vmPort}`;
  await waitUntil('VictoriaMetrics to be healthy', async () => (await fetch(`${vmUrl}/health`)).ok, {
    retryErrors: true,
    describe: () => vm.output().slice(-2000),
  });

  const config = buildAgentConfig({
    httpSdUrl: `http://${ecsSd}/http-sd?pool=agents`,
    refreshInterval: '1s',
    scrapeInterval: '1s',
    defaultInterval: '1s',
    remoteWrite: [{ url: `${vmUrl}/api/v1/write` }],
  });
  await writeFile(join(dir, 'agent.yml'), formatConfig(config));
  agent = await startPrometheusBinary(prometheus, [
    '--enable-feature=agent',
    `--config.file=${join(dir, 'agent.yml')}`,
    `--storage.agent.path=${join(dir, 'wal')}`,
  ]);
  processes.push(agent);

  const query = async (q: string) => {
    const body = (await (
      await fetch(`${vmUrl}/api/v1/query?query=${encodeURIComponent(q)}`)
    ).json()) as VmQuery;
    assert.equal(body.status, 'success', q);
    return body.data.result.map((r) => r.metric);
  };
  const running = agent;
  await waitUntil(
    'the app, ecs-sd and the agent itself to arrive in VictoriaMetrics',
    async () => (await query('up == 1')).length === 3,
    { timeoutMs: 30_000, describe: () => `${running.output().slice(-1500)}\n${vm.output().slice(-500)}` },
  );

  const up = Object.fromEntries((await query('up')).map((m) => [m['job'], m]));
  // An application: the bounded ECS label set, and the agents' one external label, no replica label.
  assert.deepEqual(up['web'], {
    __name__: 'up',
    availability_zone: 'eu-west-1b',
    cluster: 'prod',
    container: 'web',
    instance: ecsSd,
    job: 'web',
    launch_type: 'FARGATE',
    prometheus: 'ecs',
    service: 'web-svc',
    task_family: 'web',
  });
  // Our own components: job and instance only, so the rules' job="ecs-sd" / job=~"…|prometheus-agent" match.
  assert.deepEqual(up['ecs-sd'], { __name__: 'up', instance: ecsSd, job: 'ecs-sd', prometheus: 'ecs' });
  assert.deepEqual(up['prometheus-agent'], {
    __name__: 'up',
    instance: running.address,
    job: 'prometheus-agent',
    prometheus: 'ecs',
  });
  // ecs-sd's own labels survive unrenamed (no exported_cluster), its job label as exported_job.
  assert.deepEqual(await query('ecs_sd_targets'), [
    {
      __name__: 'ecs_sd_targets',
      cluster: 'prod',
      exported_job: 'web',
      instance: ecsSd,
      job: 'ecs-sd',
      prometheus: 'ecs',
      source: 'default',
    },
  ]);
  // The metrics the agent alerts read exist in agent mode under the job they select.
  for (const metric of [
    'prometheus_remote_storage_samples_failed_total',
    'prometheus_sd_http_failures_total',
    'prometheus_config_last_reload_successful',
  ]) {
    assert.ok((await query(`${metric}{job="prometheus-agent"}`)).length > 0, metric);
  }
  assert.ok(sdQueries.length > 0);
  assert.deepEqual([...new Set(sdQueries)], ['?pool=agents'], 'every job asks for the pool share');
});
