/**
 * The demo end to end, headless, with the real Prometheus: every expected target up with its labels,
 * the misconfigured task absent and explained, a replaced task's target moving to its new address,
 * an alert firing for a target taken down on purpose, and every dashboard query returning data.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getJson, requireTool, waitUntil } from '@ecs-sd/testkit';
import { countDemo, type Demo, formatCounts, runDemo, waitForPrometheusTargets } from '../src/demo.ts';
import { holdDemoFleet } from './fleet-lock.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const prometheus = requireTool('prometheus', 'prometheus');

interface ActiveTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

async function activeTargets(demo: Demo): Promise<ActiveTarget[]> {
  const body = await getJson<{ data: { activeTargets: ActiveTarget[] } }>(
    `${demo.prometheusUrl}/api/v1/targets?state=active`,
  );
  return body.data.activeTargets;
}

async function query(demo: Demo, expr: string): Promise<unknown[]> {
  const url = `${demo.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const body = await getJson<{ data: { result: unknown[] } }>(url);
  return body.data.result;
}

describe('demo with the real Prometheus', { skip: prometheus.skip }, () => {
  let demo: Demo;
  let release: (() => Promise<void>) | undefined;
  const printed: string[] = [];

  before(async () => {
    // Where CI is set a missing prometheus fails here instead of skipping.
    assert.ok(prometheus.path);
    release = await holdDemoFleet('the demo with the real Prometheus');
    demo = await runDemo({
      churnIntervalMs: 0,
      scrapeInterval: '1s',
      refreshInterval: '1s',
      alertForCap: '5s',
      log: (line) => printed.push(line),
    });
  });
  after(async () => {
    await demo?.close();
    await release?.();
  });

  it('shows every scrapeable demo task up in Prometheus with its ECS labels', async () => {
    const truth = demo.sim
      .groundTruth()
      .tasks.filter((t) => t.lastStatus === 'RUNNING' && t.family !== 'billing');
    // node-exporter and cadvisor per host, api (bridge) 3, web 2, checkout 2, worker 1 task with two endpoints.
    const expected = truth.length + truth.filter((t) => t.family === 'worker').length;
    const targets = await waitUntil(
      `${expected} ECS targets up`,
      async () => {
        const ecs = (await activeTargets(demo)).filter((t) => t.labels.cluster);
        return ecs.length === expected && ecs.every((t) => t.health === 'up') && ecs;
      },
      { timeoutMs: 60_000, everyMs: 200, retryErrors: true },
    );
    const byJob = new Map<string, ActiveTarget[]>();
    for (const t of targets) byJob.set(t.labels.job!, [...(byJob.get(t.labels.job!) ?? []), t]);
    assert.deepEqual([...byJob.keys()].sort(), [
      'api',
      'cadvisor',
      'checkout',
      'node-exporter',
      'web',
      'worker',
    ]);
    assert.equal(byJob.get('api')!.length, 3);
    for (const t of byJob.get('api')!) {
      assert.equal(t.labels.cluster, 'prod');
      assert.equal(t.labels.service, 'api');
      assert.equal(t.labels.container, 'api');
      // bridge: host address and a dynamic host port from 32768 up.
      assert.match(t.labels.instance!, /^127\.10\.\d+\.\d+:(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})$/);
    }
    const worker = byJob
      .get('worker')!
      .map((t) => new URL(t.scrapeUrl).pathname)
      .sort();
    assert.deepEqual(worker, ['/metrics', '/queue/metrics']);
    for (const t of byJob.get('checkout')!) {
      assert.equal(t.labels.launch_type, 'FARGATE');
      assert.match(t.labels.instance!, /^127\.20\.\d+\.\d+:8080$/);
    }
    // The staging cluster uses the old ARN format; the task id still comes through.
    assert.ok(byJob.get('worker')!.every((t) => t.labels.cluster === 'staging'));
  });

  it('counts targets alike in ecs-sd, the exporters and Prometheus, and says what each number counts', async () => {
    assert.ok(await waitForPrometheusTargets(demo), 'prometheus scrapes every ecs-sd target');
    const truth = demo.sim.groundTruth().tasks.filter((t) => t.lastStatus === 'RUNNING');
    const opted = truth.filter((t) => t.family !== 'billing');
    const targets = opted.length + opted.filter((t) => t.family === 'worker').length;
    const c = await countDemo(demo);
    assert.equal(c.ecsSdTargets, targets);
    assert.equal(c.ecsSdTasks, opted.length);
    assert.equal(c.skipped.length, 1);
    // Every listening endpoint is a target or is named with the reason it is not.
    assert.equal(c.endpoints, c.ecsSdTargets + c.notTargets.length);
    assert.deepEqual(
      c.notTargets.map((n) => `${n.family}: ${n.why}`),
      ['billing: its task is skipped', 'web: not a metrics port', 'web: not a metrics port'],
    );
    // Prometheus's own jobs: ecs-sd's and its own /metrics, and Alertmanager's when it runs.
    const jobs = demo.alertmanagerUrl ? ['alertmanager', 'ecs-sd', 'prometheus'] : ['ecs-sd', 'prometheus'];
    const n = jobs.length;
    assert.deepEqual(c.prometheus, {
      fromEcsSd: { total: targets, up: targets },
      static: { total: n, up: n, jobs },
    });
    const lines = formatCounts(c);
    assert.equal(
      lines[0],
      `ecs-sd      ${targets} targets (one per metrics endpoint) from ${opted.length} ECS tasks; 1 task skipped:`,
    );
    assert.match(
      lines[1]!,
      /^skipped {5}task [0-9a-f]{32}: billing: PROMETHEUS_PORT="91OO" is not a port number$/,
    );
    assert.match(
      lines[2]!,
      new RegExp(`^exporters   ${c.endpoints} endpoints listening; 3 not ecs-sd targets: 127\\.20\\.`),
    );
    assert.equal(
      lines[3],
      `prometheus  ${targets + n} of ${targets + n} targets up: ${targets} of ${targets} from ecs-sd, ${n} of ${n} of its static jobs (${jobs.join(', ')})`,
    );
  });

  it("prints the status page's address, where both clusters and the skipped task show", async () => {
    const line = printed.find((l) => l.startsWith('status page '));
    assert.equal(
      line,
      `status page ${demo.ecsSdUrl}/  (open in a browser: what ecs-sd sees, scrapes and skips, and why)`,
    );
    const overview = await (await fetch(demo.statusUrl)).text();
    assert.match(overview, /<tr data-cluster="prod" data-state="fresh">/);
    assert.match(overview, /<tr data-cluster="staging" data-state="fresh">/);
    const skipped = await (await fetch(`${demo.ecsSdUrl}/status/skipped`)).text();
    assert.match(skipped, /PROMETHEUS_PORT=&quot;91OO&quot; is not a port number/);
  });

  it('leaves the misconfigured task out and says why', async () => {
    const billing = demo.sim.groundTruth().tasks.find((t) => t.family === 'billing')!;
    const id = billing.taskArn.slice(billing.taskArn.lastIndexOf('/') + 1);
    assert.ok(!(await activeTargets(demo)).some((t) => t.labels.job === 'billing'));
    const decision = await getJson<{ containers: { skips: { reason: string; message: string }[] }[] }>(
      `${demo.ecsSdUrl}/api/v1/tasks/${id}`,
    );
    const skips = decision.containers.flatMap((c) => c.skips);
    assert.ok(
      skips.some((s) => s.reason === 'port-not-a-number' && s.message.includes('"91OO"')),
      JSON.stringify(skips),
    );
  });

  it('moves a replaced task’s target to the new task’s address', async () => {
    const apiArns = async () =>
      (await activeTargets(demo))
        .filter((t) => t.labels.job === 'api')
        .map((t) => t.discoveredLabels.__meta_ecs_task_arn);
    const beforeArns = await apiArns();
    const stopped = demo.churnOnce('api');
    assert.ok(stopped && beforeArns.includes(stopped), 'the stopped task was a target');
    const replacement = await waitUntil(
      'the replacement task to be scraped and the old one gone',
      async () => {
        const api = (await activeTargets(demo)).filter((t) => t.labels.job === 'api');
        const fresh = api.find((t) => !beforeArns.includes(t.discoveredLabels.__meta_ecs_task_arn));
        const gone = !api.some((t) => t.discoveredLabels.__meta_ecs_task_arn === stopped);
        return api.length === 3 && gone && fresh?.health === 'up' && fresh;
      },
      { timeoutMs: 60_000, everyMs: 200, retryErrors: true },
    );
    // The target is where the simulator placed the new task: its host and its new dynamic host port.
    const truth = demo.sim
      .groundTruth()
      .tasks.find((t) => t.taskArn === replacement.discoveredLabels.__meta_ecs_task_arn)!;
    const c = truth.containers[0]!;
    assert.equal(replacement.labels.instance, `${c.address}:${c.ports[0]!.hostPort}`);
  });

  it('fires TargetDown for an exporter taken down on purpose', async () => {
    const checkout = (await activeTargets(demo)).find((t) => t.labels.job === 'checkout')!;
    await demo.exporters.takeDown(checkout.labels.instance!);
    const alert = await waitUntil(
      'TargetDown to fire',
      async () => {
        const body = await getJson<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>(
          `${demo.prometheusUrl}/api/v1/alerts`,
        );
        return body.data.alerts.find(
          (a) => a.labels.alertname === 'TargetDown' && a.labels.job === 'checkout' && a.state === 'firing',
        );
      },
      { timeoutMs: 90_000, everyMs: 500, retryErrors: true },
    );
    assert.equal(alert.labels.job, 'checkout');
    assert.equal(alert.labels.cluster, 'prod');
    if (demo.alertmanagerUrl) {
      // Alertmanager routes it to the webhook receiver after its group_wait.
      await waitUntil(
        'Alertmanager to notify the webhook of TargetDown',
        () =>
          demo.notifications.some((n) =>
            n.alerts.some((a) => a.labels.alertname === 'TargetDown' && a.labels.job === 'checkout'),
          ),
        { timeoutMs: 60_000, everyMs: 500, retryErrors: true },
      );
    }
  });

  it('prints the showcase alert and raises none about the machine every demo host runs on', async () => {
    if (demo.alertmanagerUrl) {
      // The checked-in routing sends severity=info to a receiver that notifies nobody; the demo's prints it.
      await waitUntil(
        'EcsSdTargetsMisconfigured to reach the webhook sink',
        () =>
          demo.notifications.some(
            (n) =>
              n.receiver === 'info' &&
              n.alerts.some((a) => a.labels.alertname === 'EcsSdTargetsMisconfigured'),
          ),
        { timeoutMs: 60_000, everyMs: 500 },
      );
    }
    assert.ok(demo.leftOutAlerts.includes('HostClockNotSynchronising'), demo.leftOutAlerts.join(', '));
    const rules = await getJson<{ data: { groups: { rules: { name: string }[] }[] } }>(
      `${demo.prometheusUrl}/api/v1/rules?type=alert`,
    );
    const loaded = new Set(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)));
    assert.ok(loaded.has('HostDown'), 'HostDown is still evaluated');
    assert.deepEqual(
      demo.leftOutAlerts.filter((a) => loaded.has(a)),
      [],
    );
  });

  it('returns data for every dashboard panel query', async () => {
    const dir = join(repo, 'monitoring/grafana/dashboards');
    const empty: string[] = [];
    for (const file of await readdir(dir)) {
      const dash = JSON.parse(await readFile(join(dir, file), 'utf8'));
      for (const panel of dash.panels ?? []) {
        for (const target of panel.targets ?? []) {
          if (!target.expr) continue;
          const expr = String(target.expr)
            .replaceAll('$__range_s', '300')
            .replaceAll('$__rate_interval', '1m')
            .replaceAll('$__interval', '15s')
            .replaceAll('$__range', '5m')
            .replace(/=~?"\$\w+"/g, '=~".*"')
            .replace(/\$\{?\w+\}?/g, '.*');
          const result = await waitUntil(
            `data for ${expr}`,
            async () => {
              const r = await query(demo, expr);
              return r.length > 0 ? r : undefined;
            },
            { timeoutMs: 20_000, everyMs: 1000, retryErrors: true },
          ).catch(() => []);
          if (result.length === 0) empty.push(`${file} / ${panel.title}: ${target.expr}`);
        }
      }
    }
    assert.deepEqual(empty, [], `panels without data:\n${empty.join('\n')}`);
  });
});
