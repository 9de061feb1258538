/**
 * Connections that accept and never answer. The `ecs-sd` command runs against a proxy in front of
 * ecs-sim that holds one cluster's calls open: the other cluster is still published and updated,
 * the hung cluster keeps its last targets, turns stale with its timeouts counted once they pass,
 * and SIGTERM ends the process within 5 s while the connection is held. A refresh against a
 * listener that accepts and never answers any call (never reads either) fails within its deadline
 * instead of hanging; the command with one of two sources behind that listener publishes and updates
 * the other, counts the timeouts, and SIGTERM ends it within 5 s while a call hangs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, startProcess, waitForOutput, waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { stringify } from 'yaml';
import { main } from '../../src/cli.ts';
import { createRuntime } from '../../src/daemon/runtime.ts';
import { INTERVALS, intervalFileName } from '../../src/lib/intervals.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { FLEET, LIFECYCLE } from '../events/sim.ts';
import { expectedAddresses } from '../support/expected-addresses.ts';
import {
  type BlackHole,
  type HangingProxy,
  startBlackHole,
  startHangingProxy,
} from '../support/hanging-proxy.ts';
import {
  childEnv,
  loadFleet,
  metricSum,
  metricValue,
  simConfig,
  simDaemon,
  useTestCredentials,
} from './helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** The ecs-sd command as users run it, with its web server's URL. */
interface Running {
  proc: ManagedProcess;
  url: string;
}

/** A JSON log line of the daemon. */
interface LogLine {
  msg?: string;
  cluster?: string;
  operation?: string;
  timeout?: string;
}

function logLines(proc: ManagedProcess): LogLine[] {
  return proc
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

async function startCli(configFile: string, waitReady = true): Promise<Running> {
  const proc = startProcess(
    'ecs-sd',
    process.execPath,
    [CLI, `--config.file=${configFile}`, '--web.listen-address=127.0.0.1:0', '--log.format=json'],
    { env: childEnv() },
  );
  const address = await waitForOutput(
    proc,
    'ecs-sd to log its listen address',
    (output) =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; address?: string })
        .find((line) => line.msg === 'listening')?.address,
  );
  const url = `http://${address}`;
  if (waitReady) {
    await waitUntil('ecs-sd to be ready', async () => (await fetch(`${url}/-/ready`)).status === 200, {
      retryErrors: true,
    });
  }
  return { proc, url };
}

/** The targets http_sd serves, by `__meta_ecs_cluster`. */
async function httpSdTargets(url: string): Promise<Map<string, string[]>> {
  const groups = (await (await fetch(`${url}/http-sd`)).json()) as {
    targets: string[];
    labels: Record<string, string>;
  }[];
  const out = new Map<string, string[]>();
  for (const group of groups) {
    const cluster = group.labels['__meta_ecs_cluster'] ?? '';
    out.set(cluster, [...(out.get(cluster) ?? []), ...group.targets].sort());
  }
  return out;
}

/** Every target of the file_sd directory (each file parsed: a half-written file would throw). */
async function fileSdTargets(directory: string): Promise<string[]> {
  const targets: string[] = [];
  for (const interval of INTERVALS) {
    const groups = JSON.parse(await readFile(join(directory, intervalFileName(interval)), 'utf8')) as {
      targets: string[];
    }[];
    targets.push(...groups.flatMap((group) => group.targets));
  }
  return targets.sort();
}

/** The value of one series in the daemon's /metrics text, 0 when absent. */
async function scrape(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (wanted) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Sends SIGTERM and resolves with how long the process took to exit, and how it exited. */
async function terminate(proc: ManagedProcess): Promise<{ ms: number; exited: string }> {
  const started = Date.now();
  proc.child.kill('SIGTERM');
  const exited = await waitUntil('ecs-sd to exit after SIGTERM', () => proc.exited(), {
    timeoutMs: 20_000,
    everyMs: 20,
  });
  return { ms: Date.now() - started, exited };
}

describe('ecs-sd while one cluster’s calls never answer', () => {
  let sim: Sim;
  let proxy: HangingProxy;
  let dir: string;

  before(async () => {
    useTestCredentials();
    sim = await startSim({
      port: 0,
      fleet: (await loadFleet('steady')) as never,
      throttling: false,
      lifecycle: { provisioningMs: 0, pendingMs: 0, stoppingMs: 0, deprovisioningMs: 0 },
    });
    proxy = await startHangingProxy(sim.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-hung-'));
  });

  after(async () => {
    await proxy.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a config for the proxy with these timeouts and returns its path and output directory. */
  async function configWith(name: string, timeouts: Record<string, string>) {
    const output = join(dir, name);
    const file = join(dir, `${name}.yml`);
    await writeFile(
      file,
      stringify({
        refresh_interval: '1s',
        sources: [{ name: 'sim', region: 'us-east-1', endpoint: proxy.endpoint }],
        output: { directory: output },
        timeouts,
      }),
    );
    return { file, output };
  }

  /** Starts a web task in alpha and returns its address once ecs-sim has it running. */
  function startAlphaTask(): string {
    const before = new Set(expectedAddresses(sim.groundTruth().tasks));
    sim.runTask({ cluster: 'alpha', taskDefinition: 'web', launchType: 'FARGATE', subnets: ['subnet-a'] });
    sim.settle();
    const added = expectedAddresses(sim.groundTruth().tasks).filter((address) => !before.has(address));
    assert.equal(added.length, 1, 'one new target in ecs-sim');
    return added[0]!;
  }

  test('the other cluster is published while the held call is open, the hung one keeps its targets, SIGTERM ends the process within 5 s', async (t) => {
    // One attempt outlasts the whole test: the connection is held, never timed out.
    const { file, output } = await configWith('held', { aws_request: '1m', cluster_refresh: '5m' });
    const { proc, url } = await startCli(file);
    try {
      const before = await httpSdTargets(url);
      const beta = before.get('beta')!;
      assert.equal(beta.length, 2);

      proxy.hold = (call) => call.cluster === 'beta';
      await waitUntil('a call of beta to be held open', () => proxy.open() === 1);
      const added = startAlphaTask();

      await waitUntil('the new alpha task in http_sd', async () =>
        (await httpSdTargets(url)).get('alpha')?.includes(added),
      );
      await waitUntil('the new alpha task in file_sd', async () =>
        (await fileSdTargets(output)).includes(added),
      );
      assert.deepEqual(
        proxy.held().map((call) => `${call.operation} ${call.cluster}`),
        ['ListTasks beta'],
        'the one held call is still the first: published while it is open',
      );
      assert.equal(proxy.open(), 1);
      assert.deepEqual((await httpSdTargets(url)).get('beta'), beta, 'beta keeps its last targets');
      for (const address of beta) assert.ok((await fileSdTargets(output)).includes(address));
      assert.ok(
        logLines(proc).some(
          (line) => line.msg?.startsWith('cluster read is slow') === true && line.cluster === 'beta',
        ),
        'a log line says the refresh went on without beta',
      );

      const { ms, exited } = await terminate(proc);
      t.diagnostic(`exited ${ms} ms after SIGTERM while the call was held`);
      assert.equal(exited, 'exited with 0', proc.output().slice(-2000));
      assert.ok(ms < 5000, `exited ${ms} ms after SIGTERM, expected under 5000 ms`);
      const files = await fileSdTargets(output);
      for (const address of [...beta, added]) assert.ok(files.includes(address), `${address} in file_sd`);
    } finally {
      proxy.release();
      await proc.stop();
    }
  });

  test('timeouts mark the hung cluster stale and are counted, with a log line naming operation, cluster and timeout; it recovers', async (t) => {
    const { file, output } = await configWith('timeouts', { aws_request: '1s', cluster_refresh: '4s' });
    const { proc, url } = await startCli(file);
    try {
      const beta = (await httpSdTargets(url)).get('beta')!;
      proxy.hold = (call) => call.cluster === 'beta';
      await waitUntil(
        'beta marked stale',
        async () => (await scrape(url, 'ecs_sd_cluster_stale', { cluster: 'beta' })) === 1,
      );
      assert.equal(await scrape(url, 'ecs_sd_cluster_stale', { cluster: 'alpha' }), 0);
      assert.ok((await scrape(url, 'ecs_sd_refresh_timeouts_total', { cluster: 'beta' })) >= 1);
      assert.ok(
        (await scrape(url, 'ecs_sd_aws_requests_total', { operation: 'ListTasks', outcome: 'timeout' })) >= 1,
      );
      const timedOut = logLines(proc).find(
        (line) =>
          line.msg === 'cluster refresh timed out, keeping its last targets' && line.cluster === 'beta',
      );
      assert.ok(timedOut, 'a log line says the refresh of beta timed out');
      assert.equal(timedOut.cluster, 'beta');
      assert.equal(timedOut.operation, 'ListTasks');
      assert.match(timedOut.timeout ?? '', /^timeouts\.(aws_request=1s|cluster_refresh=4s)$/);
      assert.deepEqual((await httpSdTargets(url)).get('beta'), beta, 'beta keeps its last targets');

      const added = startAlphaTask();
      await waitUntil('the new alpha task in file_sd while beta is stale', async () =>
        (await fileSdTargets(output)).includes(added),
      );
      assert.equal(await scrape(url, 'ecs_sd_cluster_stale', { cluster: 'beta' }), 1);

      proxy.release();
      await waitUntil(
        'beta fresh again',
        async () => (await scrape(url, 'ecs_sd_cluster_stale', { cluster: 'beta' })) === 0,
      );
      const { ms, exited } = await terminate(proc);
      t.diagnostic(`exited ${ms} ms after SIGTERM`);
      assert.equal(exited, 'exited with 0');
      assert.ok(ms < 5000, `exited ${ms} ms after SIGTERM, expected under 5000 ms`);
    } finally {
      proxy.release();
      await proc.stop();
    }
  });
});

describe('a listener that accepts and never answers', () => {
  let hole: BlackHole;
  let sim: Sim;
  let proxy: HangingProxy;

  before(async () => {
    useTestCredentials();
    hole = await startBlackHole();
    sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    proxy = await startHangingProxy(sim.endpoint);
  });

  after(async () => {
    await proxy.close();
    await sim.close();
    await hole.close();
  });

  test('a refresh whose every call hangs fails once the attempts time out, counted, instead of hanging', {
    timeout: 20_000,
  }, async () => {
    const { daemon, metrics } = simDaemon(
      simConfig(hole.endpoint, stringify({ timeouts: { aws_request: '200ms', cluster_refresh: '10s' } })),
    );
    try {
      const summary = await daemon.refresh();
      assert.equal(summary.complete, false);
      assert.equal(summary.failures.length, 1);
      assert.match(summary.failures[0]!, /^list clusters failed for source "sim": TimeoutError: /);
      assert.equal(
        await metricValue(metrics, 'ecs_sd_refresh_timeouts_total', { cluster: '', timeout: 'aws_request' }),
        1,
      );
      assert.equal(
        await metricValue(metrics, 'ecs_sd_aws_requests_total', {
          operation: 'ListClusters',
          outcome: 'timeout',
        }),
        3,
      );
      assert.ok(hole.accepted() >= 1);
    } finally {
      await daemon.stop();
    }
  });

  test('a read that outlasts timeouts.cluster_refresh is aborted at its deadline: that cluster keeps its targets, stale; the other is read', {
    timeout: 20_000,
  }, async () => {
    const { daemon, metrics } = simDaemon(
      simConfig(proxy.endpoint, stringify({ timeouts: { aws_request: '30s', cluster_refresh: '4s' } })),
    );
    try {
      const first = await daemon.refresh();
      assert.equal(first.complete, true, first.failures.join('\n'));
      const beta = daemon.state.targets().filter((target) => target.clusterName === 'beta');
      proxy.hold = (call) => call.cluster === 'beta';
      const summary = await daemon.refresh();
      assert.equal(summary.complete, false);
      assert.deepEqual(summary.failures, [
        'the read of cluster "beta" did not finish within 4000 ms (timeouts.cluster_refresh) (during ListTasks)',
      ]);
      assert.deepEqual(
        daemon.state.clusters().map((entry) => [entry.clusterName, entry.stale]),
        [
          ['alpha', false],
          ['beta', true],
        ],
      );
      assert.deepEqual(
        daemon.state.targets().filter((target) => target.clusterName === 'beta'),
        beta,
        'beta keeps its last targets',
      );
      assert.equal(
        await metricValue(metrics, 'ecs_sd_refresh_timeouts_total', {
          cluster: 'beta',
          timeout: 'cluster_refresh',
        }),
        1,
      );
      assert.equal(
        await metricSum(metrics, 'ecs_sd_aws_requests_total', { operation: 'ListTasks', outcome: 'timeout' }),
        1,
      );
      await waitUntil('the held call to be closed by the client', () => proxy.open() === 0);
    } finally {
      proxy.release();
      await daemon.stop();
    }
  });

  test('the ecs-sd command with one source behind it: the other source is published and kept up to date, the timeouts are counted, and SIGTERM ends it within 5 s while a call hangs', {
    timeout: 60_000,
  }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-hole-cli-'));
    try {
      const output = join(dir, 'out');
      const file = join(dir, 'config.yml');
      await writeFile(
        file,
        stringify({
          refresh_interval: '1s',
          sources: [
            { name: 'hole', region: 'us-east-1', endpoint: hole.endpoint },
            { name: 'sim', region: 'us-east-1', endpoint: sim.endpoint },
          ],
          output: { directory: output },
          timeouts: { aws_request: '1s', cluster_refresh: '1m' },
        }),
      );
      const { proc, url } = await startCli(file, false);
      try {
        const truth = () => expectedAddresses(sim.groundTruth().tasks);
        await waitUntil('the sim source in file_sd while the other hangs', async () => {
          const files = new Set(await fileSdTargets(output).catch((): string[] => []));
          return truth().every((address) => files.has(address));
        });
        await waitUntil(
          'the hung source counted as timed out',
          async () => (await scrape(url, 'ecs_sd_refresh_timeouts_total', { source: 'hole' })) >= 1,
          { timeoutMs: 20_000 },
        );
        assert.ok(
          (await scrape(url, 'ecs_sd_aws_requests_total', {
            source: 'hole',
            operation: 'ListClusters',
            outcome: 'timeout',
          })) >= 3,
          'each of its attempts timed out',
        );
        assert.equal((await fetch(`${url}/-/ready`)).status, 503, 'not ready: one source was never read');

        // The sim source goes on being refreshed while every call of the other hangs.
        const before = new Set(truth());
        sim.runTask({
          cluster: 'alpha',
          taskDefinition: 'web',
          launchType: 'FARGATE',
          subnets: ['subnet-a'],
        });
        sim.settle();
        const added = truth().filter((address) => !before.has(address));
        assert.equal(added.length, 1);
        await waitUntil('the new task in file_sd', async () =>
          (await fileSdTargets(output).catch((): string[] => [])).includes(added[0]!),
        );

        await waitUntil('a call to the listener in flight', () => hole.open() >= 1);
        const { ms, exited } = await terminate(proc);
        t.diagnostic(`exited ${ms} ms after SIGTERM while a call hung`);
        assert.equal(exited, 'exited with 0', proc.output().slice(-2000));
        assert.ok(ms < 5000, `exited ${ms} ms after SIGTERM, expected under 5000 ms`);
        assert.ok((await fileSdTargets(output)).includes(added[0]!), 'file_sd intact after the stop');
      } finally {
        await proc.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('--once exits 1 once the attempts time out, and writes nothing', { timeout: 20_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-hole-'));
    try {
      const file = join(dir, 'config.yml');
      await writeFile(
        file,
        stringify({
          sources: [{ name: 'hole', region: 'us-east-1', endpoint: hole.endpoint }],
          output: { directory: join(dir, 'out') },
          timeouts: { aws_request: '200ms', cluster_refresh: '10s' },
        }),
      );
      let stderr = '';
      const code = await main(['--once', `--config.file=${file}`, '--log.level=error'], childEnv(), {
        stdout: () => {},
        stderr: (text) => {
          stderr += text;
        },
      });
      assert.equal(code, 1);
      assert.match(stderr, /list clusters failed for source "hole": TimeoutError/);
      await assert.rejects(readFile(join(dir, 'out', '1m-tasks.json')), { code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('event mode while a poll of one cluster hangs', () => {
  let sim: Sim;
  let proxy: HangingProxy;
  let dir: string;

  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
    sim.setEventsQueue('ecs-events');
    proxy = await startHangingProxy(sim.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-hung-events-'));
  });

  after(async () => {
    await proxy.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the events of the other clusters are applied at once; the hung cluster’s wait for its poll and are applied after it', async () => {
    const file = join(dir, 'all.json');
    const config = simConfig(
      proxy.endpoint,
      stringify({ refresh_interval: '1s', output: { file }, timeouts: { aws_request: '1m' } }),
      {
        clusters: ['prod', 'other'],
        events: { queue_url: `${sim.endpoint}/${sim.accountId}/ecs-events`, reconcile_interval: '10m' },
      },
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const daemon = createRuntime(config, {
      log: silentLogger(),
      metrics,
      eventsOptions: { waitTimeSeconds: 1, backoffInitialMs: 20, backoffMaxMs: 100 },
    });
    const text = () => readFile(file, 'utf8').catch(() => '');
    try {
      daemon.start();
      await waitUntil('the first complete refresh', () => daemon.state.ready());
      // A poll of `other` (as a reconcile would run it) that never answers.
      proxy.hold = (call) => call.cluster === 'other';
      const poll = daemon.refresh({ onlyClusters: new Set(['other']), detachAfterMs: 1000 });
      await waitUntil('the poll of other to be held', () => proxy.open() === 1);
      const [inOther] = sim.runTask({ cluster: 'other', taskDefinition: 'api', launchType: 'EC2' });
      const [inProd] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
      assert.ok(inOther?.arn && inProd?.arn);

      await waitUntil('the prod task in file_sd from its events', async () =>
        (await text()).includes(inProd.arn),
      );
      assert.equal(
        (await text()).includes(inOther.arn),
        false,
        'the other task waits for the poll of its cluster',
      );
      assert.equal(proxy.open(), 1, 'while the poll of other is still held');
      assert.deepEqual((await poll).sources[0]?.pending, ['other']);

      proxy.release();
      await waitUntil('the other task in file_sd once its cluster’s poll ended', async () =>
        (await text()).includes(inOther.arn),
      );
    } finally {
      proxy.release();
      await daemon.stop();
    }
  });
});
