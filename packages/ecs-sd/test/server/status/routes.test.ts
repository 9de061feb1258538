/**
 * The status page over HTTP on the daemon's listener: its security headers, its own assets and
 * nothing from elsewhere, its JSON, and basic auth on the page and its data alike.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/metrics.ts';
import { buildApp } from '../../../src/server/app.ts';
import { ASSETS } from '../../../src/server/status/assets.ts';
import { CONTENT_SECURITY_POLICY } from '../../../src/server/status/routes.ts';
import { createWebServer } from '../../../src/server/web-server.ts';
import { fixedView, fixtureStatus } from './fixtures.ts';

async function listen(server: Server): Promise<{ base: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const app = () =>
  buildApp({
    view: fixedView(),
    registry: new Registry(),
    status: { status: fixtureStatus },
    version: '1.2.3',
  });

/** Every page and data path of the status page. */
const PATHS = [
  '/',
  '/status/targets',
  '/status/skipped',
  '/status/tasks/dddd0001',
  '/api/v1/status',
  ...ASSETS.keys(),
];

describe('the status page over HTTP', () => {
  let server: { base: string; close(): Promise<void> };
  before(async () => {
    server = await listen(createWebServer(undefined, app()) as Server);
  });
  after(() => server.close());

  it('serves every view with a strict Content-Security-Policy and no caching', async () => {
    for (const path of [
      '/',
      '/status/targets',
      '/status/skipped',
      '/status/tasks/dddd0001',
      '/status/tasks?q=nope',
    ]) {
      const res = await fetch(`${server.base}${path}`);
      assert.equal(res.status, path.endsWith('nope') ? 404 : 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = await res.text();
      // Nothing loads from elsewhere: every src and stylesheet is ecs-sd's own; only console links leave.
      for (const [, url] of body.matchAll(/(?:src|href)="([^"]+)"/g)) {
        assert.ok(
          url!.startsWith('/') || url!.startsWith('https://eu-west-1.console.aws.amazon.com/'),
          `${path}: ${url}`,
        );
      }
      assert.ok(!/<style|style="|<script>| on[a-z]+="/.test(body), `${path}: no inline style or script`);
    }
  });

  it('serves its own style sheet, script and icon at the versioned URLs the pages link', async () => {
    const page = await (await fetch(`${server.base}/`)).text();
    for (const [path, asset] of ASSETS) {
      assert.ok(page.includes(`"${asset.url}"`), `the page links ${asset.url}`);
      const res = await fetch(`${server.base}${asset.url}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), asset.contentType);
      assert.equal(await res.text(), asset.body);
    }
    assert.match(ASSETS.get('/status/static/status.js')!.body, /performance\.mark\('ecs-sd-rendered'\)/);
  });

  it("serves the overview's data as JSON", async () => {
    const res = await fetch(`${server.base}/api/v1/status`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const body = (await res.json()) as {
      clusters: { clusterName: string; state: string }[];
      totals: Record<string, number>;
    };
    assert.deepEqual(
      body.clusters.map((c) => `${c.clusterName}:${c.state}`),
      ['gone:failing', 'prod:stale', 'staging:fresh'],
    );
    assert.deepEqual(body.totals, {
      targets: 4,
      tasks: 7,
      tasksWithTargets: 4,
      skippedTasks: 2,
      skippedContainers: 1,
      notOptedIn: 1,
    });
    const bad = await fetch(`${server.base}/api/v1/status?x=1`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error: 'query parameters are not accepted on /api/v1/status, received "x=1"',
    });
  });

  it('answers GET and HEAD only, and names the status paths in a 404', async () => {
    const post = await fetch(`${server.base}/status/targets`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await fetch(`${server.base}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const missing = await fetch(`${server.base}/status/nothing`);
    assert.equal(missing.status, 404);
    assert.match(
      await missing.text(),
      /expected one of \/, \/status\/targets, \/status\/skipped, \/status\/pools, \/status\/tasks\/…, \/api\/v1\/status, \/http-sd/,
    );
  });
});

describe('with basic auth on', () => {
  let server: { base: string; close(): Promise<void> };
  before(async () => {
    const users = new Map([['sre', bcrypt.hashSync('night-shift', 4)]]);
    server = await listen(
      createWebServer({ basicAuthUsers: users, headers: {} }, app(), {
        metrics: createMetrics({ defaultMetrics: false }),
      }) as Server,
    );
  });
  after(() => server.close());

  it('the page and its data need the credentials', async () => {
    const good = `Basic ${Buffer.from('sre:night-shift').toString('base64')}`;
    const wrong = `Basic ${Buffer.from('sre:guess').toString('base64')}`;
    for (const path of PATHS) {
      const anonymous = await fetch(`${server.base}${path}`);
      assert.equal(anonymous.status, 401, `${path} without credentials`);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic/);
      assert.ok(!(await anonymous.text()).includes('prod'), `${path}: a 401 tells nothing of the fleet`);
      assert.equal(
        (await fetch(`${server.base}${path}`, { headers: { authorization: wrong } })).status,
        401,
        `${path} with a wrong password`,
      );
      const res = await fetch(`${server.base}${path}`, { headers: { authorization: good } });
      assert.equal(res.status, 200, `${path} with credentials`);
      await res.arrayBuffer();
    }
  });
});
