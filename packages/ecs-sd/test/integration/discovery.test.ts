/**
 * The conventions fleet end to end: ecs-sim → real SDK clients → daemon → file_sd files and the
 * http_sd endpoint, compared with golden files.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Sim, startSim } from 'ecs-sim';
import type { Runtime } from '../../src/daemon/runtime.ts';
import { DISCOVERY_IAM_ACTIONS } from '../../src/lib/iam.ts';
import { INTERVALS, intervalFileName } from '../../src/lib/intervals.ts';
import type { Metrics } from '../../src/metrics.ts';
import { buildApp } from '../../src/server/app.ts';
import {
  assertGolden,
  fixturePath,
  loadFleet,
  metricValue,
  simConfig,
  simDaemon,
  useTestCredentials,
} from './helpers.ts';

describe('discovery of the conventions fleet', () => {
  let sim: Sim;
  let dir: string;
  let daemon: Runtime;
  let metrics: Metrics;
  let server: Server;
  let base: string;

  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: (await loadFleet('conventions')) as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-conventions-'));
    const extra = `${await readFile(fixturePath('conventions-config.yaml'), 'utf8')}
output: { directory: ${JSON.stringify(join(dir, 'by-interval'))}, file: ${JSON.stringify(join(dir, 'all.yml'))}, format: yaml }
`;
    ({ daemon, metrics } = simDaemon(simConfig(sim.endpoint, extra)));
    server = createServer(
      buildApp({ view: daemon.state, registry: metrics.registry, refreshIntervalSeconds: 60 }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await daemon.stop();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('http_sd answers 503 before the first refresh, so Prometheus keeps its targets', async () => {
    const response = await fetch(`${base}/http-sd`);
    assert.equal(response.status, 503);
    assert.equal((await fetch(`${base}/-/ready`)).status, 503);
  });

  test('one refresh reads both clusters and decides every task', async () => {
    const summary = await daemon.refresh();
    assert.equal(summary.complete, true, summary.failures.join('\n'));
    assert.equal(summary.clusters, 2);
    assert.equal(summary.tasks, 14);
    assert.deepEqual(Object.fromEntries(summary.skipped), {
      'binding-not-assigned-yet': 1,
      'network-mode-none': 1,
      'no-container-opted-in': 1,
      'port-not-a-number': 1,
      'task-not-running': 1,
    });
    assert.equal(daemon.state.ready(), true);
  });

  test('file_sd files in the per-interval layout match the golden files', async () => {
    for (const interval of INTERVALS) {
      const name = intervalFileName(interval, 'yaml');
      const content = await readFile(join(dir, 'by-interval', name), 'utf8');
      await assertGolden(`conventions/${name}`, content);
    }
  });

  test('the single file holds every target', async () => {
    await assertGolden('conventions/all.yml', await readFile(join(dir, 'all.yml'), 'utf8'));
  });

  test('http_sd serves the same targets as JSON, matching the golden file', async () => {
    const response = await fetch(`${base}/http-sd`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const groups = (await response.json()) as { targets: string[]; labels: Record<string, string> }[];
    await assertGolden('conventions/http-sd.json', `${JSON.stringify(groups, null, 2)}\n`);
    const addresses = groups.flatMap((group) => group.targets);
    assert.equal(addresses.length, daemon.state.targets().length);
  });

  test('every network mode, launch type, convention and both ARN formats are represented', () => {
    const targets = daemon.state.targets();
    const seen = (label: string) => new Set(targets.map((target) => target.labels[label]).filter(Boolean));
    assert.deepEqual([...seen('__meta_ecs_network_mode')].sort(), ['awsvpc', 'bridge', 'host']);
    assert.deepEqual([...seen('__meta_ecs_launch_type')].sort(), ['EC2', 'EXTERNAL', 'FARGATE']);
    assert.deepEqual([...new Set(targets.map((target) => target.convention))].sort(), [
      'ecs-sd-labels',
      'prometheus-ecs-discovery',
      'prometheus-ecs-sd',
      'rule',
    ]);
    const taskArns = [...seen('__meta_ecs_task_arn')] as string[];
    assert.ok(
      taskArns.some((arn) => /:task\/prod\/[0-9a-f]+$/.test(arn)),
      'a long task ARN',
    );
    assert.ok(
      taskArns.some((arn) => /:task\/[0-9a-f-]+$/.test(arn)),
      'a short task ARN',
    );
  });

  test('the why-API and the state find a decision by task id and by either ARN', async () => {
    const decision = daemon.state.decisions().find((d) => d.skip?.reason === 'task-not-running');
    assert.ok(decision);
    assert.equal(daemon.state.decision(decision.taskId)?.taskArn, decision.taskArn);
    assert.equal(daemon.state.decision(decision.taskArn)?.taskArn, decision.taskArn);
    const response = await fetch(`${base}/api/v1/tasks/${decision.taskId}`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { taskArn: string }).taskArn, decision.taskArn);
  });

  test('current-state metrics describe the discovery', async () => {
    assert.equal(await metricValue(metrics, 'ecs_sd_clusters', { source: 'sim' }), 2);
    assert.equal(
      await metricValue(metrics, 'ecs_sd_targets', { source: 'sim', cluster: 'prod', job: 'envoy' }),
      2,
    );
    assert.equal(await metricValue(metrics, 'ecs_sd_skipped_tasks', { reason: 'port-not-a-number' }), 1);
    assert.equal(await metricValue(metrics, 'ecs_sd_cluster_stale', { source: 'sim', cluster: 'prod' }), 0);
    assert.ok(
      (await metricValue(metrics, 'ecs_sd_cluster_last_success_timestamp_seconds', { cluster: 'legacy' })) >
        0,
    );
    assert.equal(await metricValue(metrics, 'ecs_sd_file_writes_total', { file: join(dir, 'all.yml') }), 1);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'ecs_sd_refresh_duration_seconds_bucket',
      'ecs_sd_refreshes_total',
      'ecs_sd_aws_requests_total',
      'ecs_sd_cache_requests_total',
      'ecs_sd_skipped_containers',
    ]) {
      assert.match(text, new RegExp(`^${name}\\{`, 'm'), `${name} is exposed`);
    }
  });

  test('every API operation called is one of the IAM actions of src/lib/iam.ts', () => {
    const operations = Object.keys(sim.counters());
    assert.ok(operations.length >= 7);
    const allowed = DISCOVERY_IAM_ACTIONS.map((action) => action.split(':')[1]);
    assert.deepEqual(
      operations.filter((operation) => !allowed.includes(operation)),
      [],
    );
  });

  test('an unchanged refresh rewrites no file', async () => {
    const summary = await daemon.refresh();
    assert.equal(summary.complete, true);
    assert.deepEqual(summary.written, []);
  });
});
