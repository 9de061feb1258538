import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import type { Target, TaskDecision } from '../../src/discovery/types.ts';
import { buildApp, HTTP_SD_PATH } from '../../src/server/app.ts';
import type { DiscoveryView } from '../../src/server/view.ts';
import { decision, target } from '../output/fixtures.ts';

/** A view the test drives: not ready until `publish` is called. */
class FakeView implements DiscoveryView {
  isReady = false;
  current: Target[] = [];
  all: TaskDecision[] = [];
  ready(): boolean {
    return this.isReady;
  }
  targets(): readonly Target[] {
    return this.current;
  }
  decision(taskIdOrArn: string): TaskDecision | undefined {
    return this.all.find((d) => d.taskId === taskIdOrArn || d.taskArn === taskIdOrArn);
  }
  decisions(): readonly TaskDecision[] {
    return this.all;
  }
  publish(decisions: TaskDecision[]): void {
    this.all = decisions;
    this.current = decisions.flatMap((d) => d.containers.flatMap((c) => c.targets));
    this.isReady = true;
  }
}

const logLines: Record<string, unknown>[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

const registry = new Registry();
const refreshes = new Counter({ name: 'ecs_sd_refreshes_total', help: 'Refreshes.', registers: [registry] });
const view = new FakeView();
let server: Server;
let base: string;

before(async () => {
  server = createServer(
    buildApp({ view, registry, log: pino({ level: 'debug' }, logStream), refreshIntervalSeconds: 30 }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const fleet = {
  web1: target({ cluster: 'prod', family: 'web', taskId: 'web1', ip: '10.0.0.1', interval: '15s' }),
  web2: target({ cluster: 'prod', family: 'web', taskId: 'web2', ip: '10.0.0.2' }),
  api1: target({ cluster: 'staging', family: 'api', taskId: 'api1', ip: '10.0.1.1', port: 8080 }),
};
const decisions = [
  decision({ cluster: 'prod', taskId: 'web1', targets: [fleet.web1] }),
  decision({ cluster: 'prod', taskId: 'web2', targets: [fleet.web2] }),
  decision({ cluster: 'staging', taskId: 'api1', targets: [fleet.api1] }),
  decision({ cluster: 'prod', taskId: 'bad1', skipReason: 'port-not-a-number' }),
  decision({ cluster: 'staging', taskId: 'idle1', skipReason: 'no-container-opted-in' }),
];

async function get(path: string, init?: RequestInit) {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

// The tests below run in order: first before the first discovery, then after it.

test('before the first discovery, http_sd and readiness answer 503 so Prometheus keeps its targets', async () => {
  for (const path of [
    HTTP_SD_PATH,
    `${HTTP_SD_PATH}?job=web`,
    '/-/ready',
    '/api/v1/tasks',
    '/api/v1/tasks/web1',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 503, path);
    assert.equal(res.headers.get('retry-after'), '30', path);
  }
  assert.match((await get('/-/ready')).body, /^ecs-sd is not ready: no discovery has completed yet\.\n$/);
  assert.equal((await get('/-/healthy')).status, 200);
});

test('a bad http_sd query is a 400 even before the first discovery', async () => {
  const res = await get(`${HTTP_SD_PATH}?interval=2m`);
  assert.equal(res.status, 400);
  assert.equal(res.body, 'interval "2m" is not a known interval, expected one of 15s, 30s, 1m, 5m\n');
});

test('once discovery has run, http_sd serves every target as JSON target groups', async () => {
  view.publish(decisions);
  const res = await get(HTTP_SD_PATH);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const groups = JSON.parse(res.body) as { targets: string[]; labels: Record<string, string> }[];
  assert.deepEqual(groups.flatMap((g) => g.targets).sort(), [
    '10.0.0.1:9100',
    '10.0.0.2:9100',
    '10.0.1.1:8080',
  ]);
  const api = groups.find((g) => g.targets.includes('10.0.1.1:8080'));
  assert.deepEqual(api?.labels, { ...fleet.api1.labels });
  assert.equal((await get('/-/ready')).status, 200);
});

test('http_sd filters by job, interval and cluster', async () => {
  const addresses = async (query: string) => {
    const res = await get(`${HTTP_SD_PATH}?${query}`);
    assert.equal(res.status, 200, query);
    return (JSON.parse(res.body) as { targets: string[] }[]).flatMap((g) => g.targets).sort();
  };
  assert.deepEqual(await addresses('job=web'), ['10.0.0.1:9100', '10.0.0.2:9100']);
  assert.deepEqual(await addresses('interval=15s'), ['10.0.0.1:9100']);
  assert.deepEqual(await addresses('cluster=staging'), ['10.0.1.1:8080']);
  assert.deepEqual(await addresses('cluster=prod&interval=1m'), ['10.0.0.2:9100']);
  assert.deepEqual(await addresses('job=nothing'), []);
  assert.equal((await get(`${HTTP_SD_PATH}?job=nothing`)).body, '[]\n');
});

test('http_sd shards split the targets: every target in exactly one shard', async () => {
  const seen: string[] = [];
  for (let shard = 0; shard < 3; shard++) {
    const res = await get(`${HTTP_SD_PATH}?shard=${shard}&shards=3`);
    assert.equal(res.status, 200);
    seen.push(...(JSON.parse(res.body) as { targets: string[] }[]).flatMap((g) => g.targets));
  }
  assert.deepEqual(seen.sort(), ['10.0.0.1:9100', '10.0.0.2:9100', '10.0.1.1:8080']);
  const bad = await get(`${HTTP_SD_PATH}?shard=3&shards=3`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body, 'shard "3" is not a shard index, expected an integer from 0 to 2 (shards=3)\n');
});

test("Prometheus's refresh interval header is logged at debug", async () => {
  await get(HTTP_SD_PATH, { headers: { 'X-Prometheus-Refresh-Interval-Seconds': '15' } });
  const line = logLines.find((l) => l['msg'] === 'http_sd request from prometheus');
  assert.equal(line?.['refreshIntervalSeconds'], '15');
  assert.equal(line?.['level'], 20);
  assert.equal(line?.['component'], 'server');
});

test('/metrics serves the daemon registry in the Prometheus text format', async () => {
  refreshes.inc(3);
  const res = await get('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(res.body, /^ecs_sd_refreshes_total 3$/m);
});

test('/api/v1/tasks/<id or ARN> explains one task; unknown tasks are a JSON 404', async () => {
  const byId = await get('/api/v1/tasks/bad1');
  assert.equal(byId.status, 200);
  assert.equal(byId.headers.get('content-type'), 'application/json');
  const explained = JSON.parse(byId.body) as TaskDecision;
  assert.equal(explained.containers[0]?.skips[0]?.message, 'PROMETHEUS_PORT="91OO" is not a port number');

  const arn = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/bad1';
  assert.deepEqual(JSON.parse((await get(`/api/v1/tasks/${arn}`)).body), explained);
  assert.deepEqual(JSON.parse((await get(`/api/v1/tasks/${encodeURIComponent(arn)}`)).body), explained);

  const unknown = await get('/api/v1/tasks/nope');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('content-type'), 'application/json');
  assert.deepEqual(JSON.parse(unknown.body), {
    error: 'task "nope" is unknown, expected the id or ARN of a task discovery has seen',
  });
});

test('/api/v1/tasks lists decisions in taskArn order, filtered by cluster, status and reason', async () => {
  const ids = async (query: string) => {
    const res = await get(`/api/v1/tasks${query}`);
    assert.equal(res.status, 200, query);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const page = JSON.parse(res.body) as { total: number; nextAfter: string | null; tasks: TaskDecision[] };
    assert.equal(page.nextAfter, null, query);
    assert.equal(page.total, page.tasks.length, query);
    return page.tasks.map((d) => d.taskId);
  };
  assert.deepEqual(await ids(''), ['bad1', 'web1', 'web2', 'api1', 'idle1']);
  assert.deepEqual(await ids('?cluster=staging'), ['api1', 'idle1']);
  assert.deepEqual(await ids('?status=target'), ['web1', 'web2', 'api1']);
  assert.deepEqual(await ids('?status=skipped'), ['bad1', 'idle1']);
  assert.deepEqual(await ids('?reason=port-not-a-number'), ['bad1']);
  assert.deepEqual(await ids('?status=skipped&cluster=staging&reason=no-container-opted-in'), ['idle1']);
  const bad = await get('/api/v1/tasks?status=running');
  assert.equal(bad.status, 400);
  assert.deepEqual(JSON.parse(bad.body), {
    error: 'status "running" is not a decision status, expected target or skipped',
  });
  const unknown = await get('/api/v1/tasks?page=2');
  assert.equal(unknown.status, 400);
  assert.deepEqual(JSON.parse(unknown.body), {
    error: 'unknown query parameter "page", expected one of cluster, status, reason, limit, after',
  });
});

test('/ is an HTML index linking every endpoint', async () => {
  const res = await get('/');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  for (const href of [HTTP_SD_PATH, '/api/v1/tasks', '/metrics', '/-/healthy', '/-/ready']) {
    assert.ok(res.body.includes(`<a href="${href}">`), href);
  }
});

test('unknown paths are 404 and other methods 405 with Allow', async () => {
  const missing = await get('/targets');
  assert.equal(missing.status, 404);
  assert.match(missing.body, /^path "\/targets" is not found, expected one of/);
  assert.equal((await get('/api/v2/tasks')).headers.get('content-type'), 'application/json');
  const post = await get(HTTP_SD_PATH, { method: 'POST', body: '{}' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal(post.body, 'method POST is not allowed on /http-sd, expected GET or HEAD\n');
});

test('HEAD answers like GET without a body', async () => {
  const res = await get(HTTP_SD_PATH, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.body, '');
  assert.equal(res.headers.get('content-type'), 'application/json');
});

test('a failing handler is a 500 and the server keeps serving', async () => {
  const broken = new Registry();
  broken.registerMetric(
    new Counter({
      name: 'broken_total',
      help: 'Fails to collect.',
      registers: [],
      collect() {
        throw new Error('collect failed');
      },
    }),
  );
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const other = createServer(buildApp({ view, registry: broken, log: pino(sink) }));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    assert.equal((await fetch(`${url}/metrics`)).status, 500);
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
    assert.equal(lines[0]?.['msg'], 'request failed');
  } finally {
    other.closeAllConnections();
    await new Promise((resolve) => other.close(resolve));
  }
});
