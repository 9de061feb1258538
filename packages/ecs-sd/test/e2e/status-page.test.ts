/**
 * The status page in headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * the real daemon (the CLI, behind basic auth) reading ecs-sim: with the demo fleet, the overview
 * shows both clusters, the misconfigured task is listed under its reason with its message, the
 * search finds a task by id or ARN, the targets filter by cluster, and a cluster denied access
 * shows as stale with its error; with a fleet of 10,000 targets, each view renders in under 2 s
 * (navigation start to the page's "rendered" marker). Screenshots of each view are saved under
 * test/artifacts/status-page/ (gitignored); UPDATE_SCREENSHOT=1 also rewrites docs/status-page.png.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireTool, waitUntil } from '@ecs-sd/testkit';
import bcrypt from 'bcryptjs';
import { type Sim, type SimOptions, startSim } from 'ecs-sim';
import type { Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { childEnv } from '../integration/helpers.ts';
import { type Browser, launchChromium, openTimed, pageErrors } from './browser.ts';
import { type DaemonProcess, startDaemon } from './daemon.ts';

const CHROMIUM = requireTool(['chromium', 'chromium-browser'], 'chromium');
const ARTIFACTS = fileURLToPath(new URL('../artifacts/status-page/', import.meta.url));
const README_SCREENSHOT = fileURLToPath(new URL('../../docs/status-page.png', import.meta.url));
const DEMO_FLEET = fileURLToPath(new URL('../../../demo/fleet.yaml', import.meta.url));
const USER = { username: 'sre', password: 'night-shift' };
const AUTH = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;

/**
 * The issue's bound: each view of a 10,000-target fleet renders within 2 s of navigation start.
 * Measured on the 2-core development machine, with ecs-sim, the daemon and Chromium sharing it:
 * 0.12–1.0 s over 20 loads, most under 0.6 s (the daemon answers in 5–150 ms of it when idle; the
 * first Targets view sorts the targets, a text filter scans their labels). The bound leaves 2× the
 * slowest load seen and 4× the usual one.
 */
const RENDER_BOUND_MS = 2000;

/** ecs-sim, and the ecs-sd CLI reading it behind basic auth; close() ends both. */
interface Stack {
  sim: Sim;
  daemon: DaemonProcess;
  url: string;
  json<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

async function startStack(sim: SimOptions, refreshInterval: string): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-status-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => {});
  };
  try {
    const running = await startSim({ throttling: false, ...sim });
    closers.push(() => running.close());
    await writeFile(
      join(dir, 'web.yml'),
      stringify({ basic_auth_users: { sre: bcrypt.hashSync(USER.password, 4) } }),
    );
    await writeFile(
      join(dir, 'ecs-sd.yaml'),
      stringify({
        refresh_interval: refreshInterval,
        sources: [{ name: 'demo', region: running.region, endpoint: running.endpoint }],
        output: { directory: dir },
        rate_budget: { scale: 10 },
      }),
    );
    const daemon = await startDaemon(
      ['--config.file', join(dir, 'ecs-sd.yaml'), '--web.config.file', join(dir, 'web.yml')],
      childEnv({ AWS_EC2_METADATA_DISABLED: 'true' }),
    );
    closers.push(() => daemon.stop());
    const json = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${daemon.url}${path}`, { headers: { authorization: AUTH } });
      if (!res.ok) throw new Error(`${path} answered ${res.status}`);
      return (await res.json()) as T;
    };
    await waitUntil(
      'ecs-sd to be ready',
      async () => (await fetch(`${daemon.url}/-/ready`, { headers: { authorization: AUTH } })).ok,
      { timeoutMs: 60_000, everyMs: 200, retryErrors: true, describe: () => daemon.log().slice(-2000) },
    );
    return { sim: running, daemon, url: daemon.url, json, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Saves a screenshot of the page under test/artifacts/status-page/ and names it in the test's output. */
async function shoot(t: TestContext, page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot ${path}`);
  return path;
}

interface StatusJson {
  clusters: { clusterName: string; state: string; error?: { message: string } }[];
  totals: { targets: number; skippedTasks: number };
}

describe('the status page in headless Chromium, demo fleet', { skip: CHROMIUM.skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    stack = await startStack({ fleet: parse(await readFile(DEMO_FLEET, 'utf8')) }, '1s');
    browser = await launchChromium(CHROMIUM.path, { httpCredentials: USER });
    page = await browser.context.newPage();
    errors = pageErrors(page);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('asks for credentials: the page, its assets and its data answer 401 without them', async () => {
    for (const path of [
      '/',
      '/status/targets',
      '/status/skipped',
      '/status/tasks?q=x',
      '/api/v1/status',
      '/status/static/status.js',
    ]) {
      const res = await fetch(`${stack.url}${path}`);
      assert.equal(res.status, 401, path);
      await res.arrayBuffer();
    }
  });

  it('the overview shows both clusters, fresh', async (t) => {
    const { status } = await openTimed(page, `${stack.url}/`);
    assert.equal(status, 200);
    for (const cluster of ['prod', 'staging']) {
      const row = page.locator(`#clusters tr[data-cluster="${cluster}"]`);
      assert.equal(await row.getAttribute('data-state'), 'fresh', cluster);
      assert.match((await row.textContent()) ?? '', /fresh/);
    }
    assert.equal(await page.locator('[data-count="targets"]').textContent(), '17');
    assert.equal(await page.locator('[data-count="skipped"]').textContent(), '1');
    await shoot(t, page, 'overview');
    assert.deepEqual(errors, [], 'no script error and nothing the Content-Security-Policy refused');
  });

  it('the misconfigured task is listed under its reason with its message, and links to its detail', async (t) => {
    await openTimed(page, `${stack.url}/status/skipped`);
    const group = page.locator('#skipped tr.group[data-reason="port-not-a-number"]');
    assert.match((await group.textContent()) ?? '', /port-not-a-number · 1 skip/);
    const row = page.locator('#skipped tr.skip[data-reason="port-not-a-number"]');
    assert.equal(await row.count(), 1);
    assert.equal(
      await row.locator('td.message').textContent(),
      'PROMETHEUS_PORT="91OO" is not a port number',
    );
    assert.match((await row.textContent()) ?? '', /billing/);
    const taskId = (await row.getAttribute('data-task-id'))!;
    await shoot(t, page, 'skipped');
    await Promise.all([page.waitForURL(/\/status\/tasks\//), row.locator('a.mono').click()]);
    assert.equal(await page.locator('h1').textContent(), `Task ${taskId}`);
    assert.match(
      (await page.locator('#explain').textContent()) ?? '',
      /skipped \(port-not-a-number\): PROMETHEUS_PORT="91OO" is not a port number/,
    );
    assert.match(
      (await page.locator('a', { hasText: 'console' }).first().getAttribute('href'))!,
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/ecs\/v2\/clusters\/prod\/tasks\//,
    );
    await shoot(t, page, 'task');
    assert.deepEqual(errors, []);
  });

  it('the search finds a task by id and by ARN', async () => {
    const targets = await stack.json<{ tasks: { taskId: string; taskArn: string }[] }>(
      '/api/v1/tasks?status=target&cluster=staging',
    );
    const { taskId, taskArn } = targets.tasks[0]!;
    for (const asked of [taskId, taskArn]) {
      await openTimed(page, `${stack.url}/`);
      await page.locator('#task-search').fill(asked);
      await Promise.all([
        page.waitForURL(/\/status\/tasks\?q=/),
        page.locator('#task-search').press('Enter'),
      ]);
      assert.equal(await page.locator('h1').textContent(), `Task ${taskId}`, asked);
      assert.match((await page.locator('[data-verdict]').textContent()) ?? '', /a target/);
    }
    assert.deepEqual(errors, []);
  });

  it('the targets are grouped by job and interval and filter by cluster', async (t) => {
    await openTimed(page, `${stack.url}/status/targets`);
    assert.equal(await page.locator('#targets tr.target').count(), 17);
    assert.ok((await page.locator('#targets tr.group').count()) >= 6);
    await shoot(t, page, 'targets');
    const staging = await stack.json<{ targets: string[] }[]>('/http-sd?cluster=staging');
    // The drop-down submits its form by itself (the page's script).
    await Promise.all([
      page.waitForURL(/cluster=staging/),
      page.locator('select[name="cluster"]').selectOption('staging'),
    ]);
    await page.waitForFunction('document.documentElement.dataset.rendered === "true"');
    assert.equal(
      await page.locator('#targets tr.target').count(),
      staging.reduce((n, group) => n + group.targets.length, 0),
    );
    assert.deepEqual(errors, []);
  });

  it('a cluster denied access shows as stale, since when and why', async (t) => {
    const fault = stack.sim.faults.add({ kind: 'access-denied', cluster: 'prod' });
    try {
      await waitUntil('prod to be stale', async () => {
        const status = await stack.json<StatusJson>('/api/v1/status');
        return status.clusters.find((c) => c.clusterName === 'prod')?.state === 'stale';
      });
      await openTimed(page, `${stack.url}/`);
      const prod = page.locator('#clusters tr[data-cluster="prod"]');
      assert.equal(await prod.getAttribute('data-state'), 'stale');
      const text = (await prod.textContent()) ?? '';
      assert.match(text, /stale: serving its last targets/);
      assert.match(text, /since .* ago|since just now/);
      assert.match(text, /AccessDeniedException/);
      assert.equal(
        await page.locator('#clusters tr[data-cluster="staging"]').getAttribute('data-state'),
        'fresh',
      );
      assert.match(
        (await page.locator('.banner[role="alert"]').textContent()) ?? '',
        /1 cluster not fresh: prod \(stale\)/,
      );
      assert.equal(
        await page.locator('[data-count="targets"]').textContent(),
        '17',
        'prod keeps its last targets',
      );
      await page.setViewportSize({ width: 1280, height: 720 });
      if (process.env['UPDATE_SCREENSHOT'] === '1') {
        await page.screenshot({ path: README_SCREENSHOT });
        t.diagnostic(`screenshot ${README_SCREENSHOT}`);
      }
      await shoot(t, page, 'overview-stale');
      await page.setViewportSize({ width: 1280, height: 900 });
    } finally {
      stack.sim.faults.remove(fault);
    }
    await waitUntil('prod to be fresh again', async () => {
      const status = await stack.json<StatusJson>('/api/v1/status');
      return status.clusters.every((c) => c.state === 'fresh');
    });
    assert.deepEqual(errors, []);
  });
});

describe('the status page in headless Chromium, 10,000 targets', { skip: CHROMIUM.skip }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    // Refreshed as a fleet this size would be: the views are timed while no refresh runs, mostly.
    stack = await startStack(
      {
        region: 'eu-west-1',
        generate: {
          clusters: 4,
          tasks: 10_200,
          optedIn: 1,
          standalone: 0,
          networkModes: 'awsvpc:60/bridge:20/fargate:20',
        },
      },
      '30s',
    );
    browser = await launchChromium(CHROMIUM.path, { httpCredentials: USER });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it(`renders each view in under ${RENDER_BOUND_MS} ms, 100 rows a page`, async (t) => {
    const status = await stack.json<StatusJson>('/api/v1/status');
    assert.ok(status.totals.targets >= 10_000, `${status.totals.targets} targets`);
    const page = await browser.context.newPage();
    const errors = pageErrors(page);
    const views = {
      overview: '/',
      targets: '/status/targets',
      'targets-page-50': '/status/targets?page=50',
      'targets-filtered': '/status/targets?q=10.',
      skipped: '/status/skipped',
    };
    for (const [name, path] of Object.entries(views)) {
      const { status: code, renderedMs, responseEndMs, bytes } = await openTimed(page, `${stack.url}${path}`);
      t.diagnostic(
        `${name}: rendered ${renderedMs.toFixed(0)} ms after navigation start (page of ${Math.round(bytes / 1024)} KiB received after ${responseEndMs.toFixed(0)} ms)`,
      );
      assert.equal(code, 200, path);
      assert.ok(renderedMs < RENDER_BOUND_MS, `${path} rendered after ${renderedMs.toFixed(0)} ms`);
      if (name.startsWith('targets'))
        assert.ok((await page.locator('#targets tr.target').count()) <= 100, path);
      await shoot(t, page, `10k-${name}`);
    }
    assert.deepEqual(errors, []);
  });
});
