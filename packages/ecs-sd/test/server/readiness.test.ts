/**
 * Readiness and http_sd when outputs fail: `/-/ready` names every file_sd file whose last write
 * failed while http_sd keeps serving, and an http_sd list that cannot be rendered fails only its
 * own request, counted and logged.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Target, TaskDecision } from '../../src/discovery/types.ts';
import { buildApp } from '../../src/server/app.ts';
import type { DiscoveryView } from '../../src/server/view.ts';
import { target } from '../output/fixtures.ts';

class View implements DiscoveryView {
  isReady = true;
  current: Target[] = [];
  problems: string[] = [];
  ready(): boolean {
    return this.isReady;
  }
  outputProblems(): readonly string[] {
    return this.problems;
  }
  targets(): readonly Target[] {
    return this.current;
  }
  decision(): TaskDecision | undefined {
    return undefined;
  }
  decisions(): readonly TaskDecision[] {
    return [];
  }
}

const logLines: Record<string, unknown>[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});
const view = new View();
const failures: string[] = [];
let server: Server;
let base: string;

before(async () => {
  server = createServer(
    buildApp({
      view,
      registry: new Registry(),
      log: pino({ level: 'info' }, logStream),
      refreshIntervalSeconds: 30,
      onHttpSdFailure: (reason) => failures.push(reason),
      maxOutputLength: 2000,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function get(path: string) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const prod = target({ cluster: 'prod', taskId: 'p1', ip: '10.0.0.1' });
const staging = target({ cluster: 'staging', taskId: 's1', ip: '10.0.1.1' });

test('a failing file_sd file makes /-/ready 503 naming it, while http_sd serves; a successful write makes it 200 again', async () => {
  view.current = [prod];
  view.problems = [
    'file_sd file "/sd/1m-tasks.json" not written since 2025-01-01T00:00:00.000Z (bad-path): writing file_sd file "/sd/1m-tasks.json" failed: ENOTDIR',
  ];
  const ready = await get('/-/ready');
  assert.equal(ready.status, 503);
  assert.equal(ready.headers.get('retry-after'), '30');
  assert.equal(
    ready.body,
    `ecs-sd is not ready: 1 file_sd file(s) not written, each keeps its previous targets (http_sd serves the current ones):\n${view.problems[0]}\n`,
  );
  const sd = await get('/http-sd');
  assert.equal(sd.status, 200);
  assert.deepEqual(
    (JSON.parse(sd.body) as { targets: string[] }[]).map((group) => group.targets),
    [['10.0.0.1:9100']],
  );
  view.problems = [];
  assert.equal((await get('/-/ready')).status, 200);
});

test('an http_sd list that cannot be rendered fails only that request, counted and logged', async () => {
  const big = Array.from({ length: 6 }, (_, i) => {
    const t = target({ cluster: 'prod', taskId: `big${i}`, ip: `10.0.2.${i}` });
    return { ...t, labels: { ...t.labels, pad: 'p'.repeat(300) } };
  });
  view.current = [...big, staging];
  failures.length = 0;
  const all = await get('/http-sd');
  assert.equal(all.status, 500);
  assert.equal(all.headers.get('cache-control'), 'no-store');
  assert.match(
    all.body,
    /^the target list cannot be served \(too-large\): 7 targets in 7 groups render to more than 2000 characters, the most one output holds; select fewer targets with job, interval, cluster or shard=i&shards=n\n$/,
  );
  const narrowed = await get('/http-sd?cluster=staging');
  assert.equal(narrowed.status, 200, 'a request that selects less is served');
  assert.equal((JSON.parse(narrowed.body) as unknown[]).length, 1);

  const labels = { ...staging.labels };
  Object.defineProperty(labels, 'broken', {
    enumerable: true,
    get() {
      throw new RangeError('Invalid string length');
    },
  });
  view.current = [prod, { ...staging, key: `${staging.key}/broken`, labels }];
  const broken = await get('/http-sd');
  assert.equal(broken.status, 500);
  assert.match(broken.body, /\(render-error\): rendering 2 targets failed: Invalid string length\n$/);
  assert.equal((await get('/http-sd?cluster=prod')).status, 200);
  assert.deepEqual(failures, ['too-large', 'render-error']);
  assert.deepEqual(
    logLines.filter((line) => line['level'] === 50).map((line) => line['reason']),
    ['too-large', 'render-error'],
  );
  assert.equal(
    (await get('/-/ready')).status,
    200,
    'readiness is about discovery and files, not one request',
  );
});
