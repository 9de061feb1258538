/** The Alertmanager configuration: valid for the real amtool, and each kind of alert reaches its receiver. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTool, startPrometheusBinary, waitUntil } from '@ecs-sd/testkit';
import { parse } from 'yaml';
import { renderAlertmanagerConfig } from '../src/alertmanager.ts';
import { alertRules, ROOT, run } from './helpers.ts';

/** Tools of the Debian package prometheus-alertmanager: the tests below skip without them, unless CI is set. */
const AMTOOL = requireTool('amtool', 'prometheus-alertmanager');
const ALERTMANAGER = requireTool('prometheus-alertmanager', 'prometheus-alertmanager');

const CONFIG = join(ROOT, 'alertmanager', 'alertmanager.yml');

test('amtool check-config accepts alertmanager.yml', { skip: AMTOOL.skip }, async () => {
  const amtool = AMTOOL.path;
  const res = await run(amtool, ['check-config', CONFIG]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /SUCCESS/);
});

const ROUTES: Array<{ labels: string[]; receiver: string; why: string }> = [
  {
    labels: ['alertname=HostDown', 'severity=critical', 'cluster=prod-eu'],
    receiver: 'pager-prod',
    why: 'critical in production pages',
  },
  {
    labels: ['alertname=HostDown', 'severity=critical', 'cluster=staging'],
    receiver: 'critical',
    why: 'critical elsewhere',
  },
  {
    labels: ['alertname=EcsSdDown', 'severity=critical'],
    receiver: 'critical',
    why: 'critical without a cluster',
  },
  {
    labels: ['alertname=TargetDown', 'severity=warning', 'cluster=prod-eu'],
    receiver: 'warning',
    why: 'warnings never page',
  },
  {
    labels: ['alertname=HostRebooted', 'severity=info', 'cluster=prod-eu'],
    receiver: 'info',
    why: 'info is quiet',
  },
  { labels: ['alertname=SomethingCustom'], receiver: 'default', why: 'no severity falls through' },
];

for (const { labels, receiver, why } of ROUTES) {
  test(`amtool config routes test: ${labels.join(' ')} goes to ${receiver} (${why})`, {
    skip: AMTOOL.skip,
  }, async () => {
    const amtool = AMTOOL.path;
    const res = await run(amtool, [
      'config',
      'routes',
      'test',
      `--config.file=${CONFIG}`,
      `--verify.receivers=${receiver}`,
      ...labels,
    ]);
    assert.equal(res.code, 0, `expected ${receiver}, amtool said: ${res.stdout}${res.stderr}`);
    assert.equal(res.stdout.trim(), receiver);
  });
}

test('every severity the rules use has a route', () => {
  const config = parse(readFileSync(CONFIG, 'utf8')) as { route: { routes: Array<{ matchers: string[] }> } };
  const routed = config.route.routes.flatMap((r) => r.matchers).join(' ');
  for (const severity of new Set(alertRules().map((r) => r.labels?.['severity']))) {
    assert.ok(routed.includes(`severity="${severity}"`), `no route for severity ${severity}`);
  }
});

test('a real Alertmanager inhibits the container alerts of a down host, and only of that host', {
  skip: ALERTMANAGER.skip,
}, async (t) => {
  const binary = ALERTMANAGER.path;
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-monitoring-am-'));
  // No cluster gossip: it would listen on 0.0.0.0:9094.
  const am = await startPrometheusBinary(binary, [
    `--config.file=${CONFIG}`,
    `--storage.path=${dir}`,
    '--cluster.listen-address=',
  ]);
  t.after(async () => {
    await am.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const host = { cluster: 'prod-eu', instance_id: 'i-0a1' };
  const alerts = [
    { alertname: 'HostDown', severity: 'critical', ...host },
    {
      alertname: 'ContainerMemoryNearLimit',
      severity: 'warning',
      ...host,
      task_family: 'web',
      container: 'app',
    },
    { alertname: 'HostDiskSpaceLow', severity: 'warning', ...host, mountpoint: '/' },
    {
      alertname: 'ContainerMemoryNearLimit',
      severity: 'warning',
      cluster: 'prod-eu',
      instance_id: 'i-0b2',
      task_family: 'web',
      container: 'app',
    },
    { alertname: 'TargetDown', severity: 'warning', cluster: 'prod-eu', job: 'web' },
  ];
  const posted = await fetch(`http://${am.address}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((labels) => ({ labels, startsAt: new Date().toISOString() }))),
  });
  assert.equal(posted.status, 200, await posted.text());
  type Got = { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } };
  const got = await waitUntil('the five alerts to be listed', async () => {
    const res = await fetch(`http://${am.address}/api/v2/alerts`);
    const body = (await res.json()) as Got[];
    return body.length === alerts.length ? body : undefined;
  });
  const state = (a: Got) =>
    `${a.labels['alertname']} ${a.labels['instance_id'] ?? a.labels['job']}: ${a.status.state}`;
  assert.deepEqual(got.map(state).sort(), [
    'ContainerMemoryNearLimit i-0a1: suppressed',
    'ContainerMemoryNearLimit i-0b2: active',
    'HostDiskSpaceLow i-0a1: suppressed',
    'HostDown i-0a1: active',
    'TargetDown web: active',
  ]);
});

test('renderAlertmanagerConfig points every webhook at a local sink and keeps the routing', () => {
  const text = readFileSync(CONFIG, 'utf8');
  const local = parse(renderAlertmanagerConfig(text, { webhookBaseUrl: 'http://127.0.0.1:40123/' })) as {
    receivers: Array<{ name: string; webhook_configs?: Array<{ url: string }> }>;
    route: unknown;
  };
  const urls = local.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => w.url));
  assert.ok(urls.length >= 4);
  for (const r of local.receivers) {
    for (const w of r.webhook_configs ?? []) assert.equal(w.url, `http://127.0.0.1:40123/alerts/${r.name}`);
  }
  assert.deepEqual(local.route, (parse(text) as { route: unknown }).route);
  assert.throws(
    () => renderAlertmanagerConfig(text, { webhookBaseUrl: '127.0.0.1:5001' }),
    /not an absolute http\(s\) URL/,
  );
});
