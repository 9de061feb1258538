import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ListeningProcess, requireTool, startPrometheusBinary, waitUntil } from '@ecs-sd/testkit';
import { parse } from 'yaml';
import {
  type AlertSink,
  alertLine,
  demoAlertmanagerConfig,
  identifyingLabels,
  startAlertSink,
} from '../src/alerts.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const checkedIn = () => readFile(join(repo, 'monitoring/alertmanager/alertmanager.yml'), 'utf8');
const alertmanager = requireTool(['prometheus-alertmanager', 'alertmanager'], 'prometheus-alertmanager');
const amtool = requireTool('amtool', 'prometheus-alertmanager');

/** The labels Prometheus gives a TargetDown alert of an ECS target, with the demo's external label. */
const TARGET_DOWN = {
  alertname: 'TargetDown',
  availability_zone: 'eu-west-1a',
  cluster: 'prod',
  container: 'checkout',
  instance: '127.20.0.5:8080',
  instance_id: '',
  job: 'checkout',
  launch_type: 'FARGATE',
  prometheus: 'demo',
  service: 'checkout',
  severity: 'warning',
  task_family: 'checkout',
};

async function post(sink: AlertSink, receiver: string, body: unknown): Promise<void> {
  const res = await fetch(`${sink.url}/alerts/${receiver}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
}

describe('alert lines', () => {
  it('names an alert by the labels that tell it apart, not by job=""', () => {
    assert.deepEqual(identifyingLabels(TARGET_DOWN), [
      ['cluster', 'prod'],
      ['job', 'checkout'],
      ['container', 'checkout'],
      ['instance', '127.20.0.5:8080'],
    ]);
    assert.equal(
      alertLine({ status: 'firing', labels: TARGET_DOWN }, 'warning'),
      'firing    TargetDown{cluster="prod", job="checkout", container="checkout", instance="127.20.0.5:8080"}  severity=warning receiver=warning',
    );
    // An aggregated alert keeps its by() labels and has no job at all.
    assert.equal(
      alertLine(
        {
          status: 'firing',
          labels: {
            alertname: 'ContainerRestarting',
            cluster: 'prod',
            task_family: 'api',
            container: 'api',
            severity: 'warning',
          },
        },
        'warning',
      ),
      'firing    ContainerRestarting{cluster="prod", task_family="api", container="api"}  severity=warning receiver=warning',
    );
  });

  it('prints one line per alert of a notification, and an alert again only when its state changes', async () => {
    const lines: string[] = [];
    const sink = await startAlertSink((l) => lines.push(l));
    try {
      const host = (n: number, status = 'firing') => ({
        status,
        fingerprint: `f${n}`,
        labels: {
          alertname: 'HostDown',
          cluster: 'prod',
          job: 'node-exporter',
          instance: `127.10.0.${n}:9100`,
          severity: 'critical',
        },
      });
      await post(sink, 'critical', { receiver: 'critical', status: 'firing', alerts: [host(4), host(5)] });
      // The group's next notification repeats both and adds one; then one of them resolves.
      await post(sink, 'critical', {
        receiver: 'critical',
        status: 'firing',
        alerts: [host(4), host(5), host(6)],
      });
      await post(sink, 'critical', {
        receiver: 'critical',
        status: 'firing',
        alerts: [host(4, 'resolved'), host(5), host(6)],
      });
      assert.deepEqual(lines, [
        'alert       firing    HostDown{cluster="prod", job="node-exporter", instance="127.10.0.4:9100"}  severity=critical receiver=critical',
        'alert       firing    HostDown{cluster="prod", job="node-exporter", instance="127.10.0.5:9100"}  severity=critical receiver=critical',
        'alert       firing    HostDown{cluster="prod", job="node-exporter", instance="127.10.0.6:9100"}  severity=critical receiver=critical',
        'alert       resolved  HostDown{cluster="prod", job="node-exporter", instance="127.10.0.4:9100"}  severity=critical receiver=critical',
      ]);
      assert.equal(sink.notifications.length, 3);
    } finally {
      await sink.close();
    }
  });
});

describe('the demo’s Alertmanager configuration', () => {
  it('gives every receiver a webhook to the sink, also info, which notifies nobody as checked in', async () => {
    const text = demoAlertmanagerConfig(await checkedIn(), { webhookBaseUrl: 'http://127.0.0.1:4321' });
    const doc = parse(text) as {
      receivers: { name: string; webhook_configs?: { url: string }[] }[];
      route: Record<string, unknown>;
    };
    for (const r of doc.receivers) {
      assert.deepEqual(
        r.webhook_configs?.map((w) => w.url),
        [`http://127.0.0.1:4321/alerts/${r.name}`],
        `receiver ${r.name}`,
      );
    }
    assert.ok(doc.receivers.some((r) => r.name === 'info'));
    assert.equal(doc.route['group_wait'], '5s');
  });

  it('passes amtool check-config', {
    skip: amtool.skip,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-am-'));
    try {
      const file = join(dir, 'alertmanager.yml');
      await writeFile(
        file,
        demoAlertmanagerConfig(await checkedIn(), { webhookBaseUrl: 'http://127.0.0.1:4321' }),
      );
      await promisify(execFile)(amtool.path, ['check-config', file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the showcase alert through the real Alertmanager', {
  skip: alertmanager.skip,
}, () => {
  let dir: string;
  let sink: AlertSink;
  let am: ListeningProcess;
  const lines: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-am-'));
    sink = await startAlertSink((l) => lines.push(l));
    const config = join(dir, 'alertmanager.yml');
    await writeFile(config, demoAlertmanagerConfig(await checkedIn(), { webhookBaseUrl: sink.url }));
    am = await startPrometheusBinary(alertmanager.path, [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      '--cluster.listen-address=',
    ]);
  });
  after(async () => {
    await am?.stop();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints EcsSdTargetsMisconfigured, which the checked-in routing sends to the silent info receiver', async () => {
    const res = await fetch(`http://${am.address}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: {
            alertname: 'EcsSdTargetsMisconfigured',
            reason: 'port-not-a-number',
            severity: 'info',
            prometheus: 'demo',
          },
          annotations: { summary: '1 opted-in containers are skipped: port-not-a-number' },
        },
      ]),
    });
    assert.equal(res.status, 200, await res.text());
    const line = await waitUntil('the sink to print EcsSdTargetsMisconfigured', () =>
      lines.find((l) => l.includes('EcsSdTargetsMisconfigured')),
    );
    assert.equal(
      line,
      'alert       firing    EcsSdTargetsMisconfigured{reason="port-not-a-number"}  severity=info receiver=info',
    );
  });
});
