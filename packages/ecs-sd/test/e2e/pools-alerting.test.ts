/**
 * The store side of the scale-out topology (issue 16), end to end on loopback: the `monitoring/`
 * rules loaded by a real vmalert evaluating them against a real VictoriaMetrics, and its alerts sent
 * to a real Alertmanager, whose webhook receives one. vmalert must accept every rule file as it is
 * (MetricsQL parses them); only each `for:` is shortened so an alert fires in seconds, not minutes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, startPrometheusBinary, toolIn, waitUntil } from '@ecs-sd/testkit';
import { startStore } from './pools-scrapers.ts';

const RULES = fileURLToPath(new URL('../../../../monitoring/rules/', import.meta.url));

/** One alert of an Alertmanager webhook notification. */
interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

test('vmalert evaluates the monitoring rules against VictoriaMetrics and Alertmanager delivers the alert', {
  timeout: 60_000,
}, async (t) => {
  const victoria = toolIn(t, 'victoria-metrics', 'victoria-metrics');
  const vmalert = victoria && toolIn(t, 'vmalert', 'victoria-metrics');
  const alertmanager = vmalert && toolIn(t, 'prometheus-alertmanager', 'prometheus-alertmanager');
  if (!victoria || !vmalert || !alertmanager) return;
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-e2e-alerting-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));

  // The receiver: Alertmanager's webhook, as a pager or chat integration would get it.
  const received: WebhookAlert[] = [];
  const webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push(...(JSON.parse(body) as { alerts: WebhookAlert[] }).alerts);
      res.end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => webhook.close(resolve)));
  const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`;

  const store = await startStore(victoria);
  cleanups.push(() => store.stop());

  await writeFile(
    join(dir, 'alertmanager.yml'),
    `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: hook
    webhook_configs:
      - url: ${hook}
`,
  );
  const am = await startPrometheusBinary(alertmanager, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'am')}`,
    '--cluster.listen-address=',
  ]);
  cleanups.push(() => am.stop());

  // Every rule file of monitoring/, each `for:` shortened to one evaluation.
  const files = (await readdir(RULES)).filter((name) => name.endsWith('.rules.yml'));
  assert.ok(files.length > 0, `rule files in ${RULES}`);
  for (const name of files) {
    const text = await readFile(join(RULES, name), 'utf8');
    await writeFile(join(dir, name), text.replace(/^(\s+)for: \S+$/gm, '$1for: 1s'));
  }
  const vmalertPort = await freePort();
  const evaluator = startProcess(
    'vmalert',
    vmalert,
    [
      ...files.map((name) => `-rule=${join(dir, name)}`),
      `-datasource.url=${store.url}`,
      `-notifier.url=http://${am.address}`,
      // Recording rules write their series back to the store.
      `-remoteWrite.url=${store.url}`,
      '-evaluationInterval=1s',
      `-httpListenAddr=127.0.0.1:${vmalertPort}`,
    ],
    { keepChars: 20_000 },
  );
  cleanups.push(() => evaluator.stop());
  const logs = () =>
    `--- vmalert:\n${evaluator.output().slice(-3000)}\n--- alertmanager:\n${am.output().slice(-1000)}`;
  await waitUntil(
    'vmalert to load every rule file',
    async () => {
      const exited = evaluator.exited();
      if (exited !== undefined) throw new Error(`vmalert ${exited}:\n${evaluator.output()}`);
      return (await fetch(`http://127.0.0.1:${vmalertPort}/health`).catch(() => undefined))?.ok;
    },
    { timeoutMs: 20_000, describe: logs },
  );
  const groups = (await (await fetch(`http://127.0.0.1:${vmalertPort}/api/v1/rules`)).json()) as {
    data: { groups: { file: string }[] };
  };
  assert.deepEqual(
    [...new Set(groups.data.groups.map((g) => g.file.slice(g.file.lastIndexOf('/') + 1)))].sort(),
    [...files].sort(),
    'vmalert loaded a group from every rule file',
  );

  // An ecs-sd that its scraper cannot reach: up{job="ecs-sd"} 0, written each second as a scrape would.
  const instance = 'ecs-sd.monitoring.internal:9888';
  const write = async () => {
    await fetch(`${store.url}/api/v1/import/prometheus`, {
      method: 'POST',
      body: `up{job="ecs-sd",instance="${instance}",prometheus="ecs"} 0\n`,
    });
  };
  await write();
  const writer = setInterval(() => void write().catch(() => {}), 1000);
  cleanups.push(async () => clearInterval(writer));

  const alert = await waitUntil(
    'EcsSdDown to reach the Alertmanager webhook',
    () => received.find((a) => a.labels['alertname'] === 'EcsSdDown'),
    { timeoutMs: 30_000, describe: logs },
  );
  assert.equal(alert.status, 'firing');
  assert.equal(alert.labels['severity'], 'critical');
  assert.equal(alert.labels['instance'], instance);
  assert.equal(alert.annotations['summary'], `ecs-sd at ${instance} is down`);
  assert.equal(alert.annotations['runbook_url'], 'monitoring/README.md#ecssddown');
});
