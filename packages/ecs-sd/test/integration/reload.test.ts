/**
 * runtime.reload(config) against ecs-sim: sources added and removed, clusters re-selected, outputs
 * moved, rules changed, and a config whose source has no Region refused while the running config
 * goes on. Sources kept by name keep their caches: the calls ecs-sim counts after a reload are
 * only those of what changed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { loadFleet, useTestCredentials } from './helpers.ts';

describe('reloading the config of a running runtime', () => {
  let sim: Sim;
  let dir: string;
  let runtime: Runtime | undefined;

  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-reload-'));
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  function source(name: string, extra: Record<string, unknown>): Record<string, unknown> {
    return { name, region: 'us-east-1', endpoint: sim.endpoint, ...extra };
  }

  function config(file: Record<string, unknown>): Config {
    return loadConfig({ fileText: JSON.stringify({ refresh_interval: '1h', ...file }) });
  }

  /** Clusters with targets, as `source/cluster` sorted. */
  function clusters(daemon: Runtime): string[] {
    return daemon.state
      .clusters()
      .filter((entry) => entry.targets.length > 0)
      .map((entry) => `${entry.source}/${entry.clusterName}`)
      .sort();
  }

  async function started(file: Record<string, unknown>): Promise<Runtime> {
    runtime = createRuntime(config(file), {
      log: silentLogger(),
      metrics: createMetrics({ defaultMetrics: false }),
    });
    runtime.start();
    await waitUntil('the first complete refresh', () => runtime!.state.ready());
    return runtime;
  }

  test('an added source is read at once, and the kept one costs no call beyond its floor (its caches stay)', async () => {
    const daemon = await started({ sources: [source('a', { clusters: ['alpha'] })] });
    assert.deepEqual(clusters(daemon), ['a/alpha']);
    sim.resetCounters();
    const summary = await daemon.reload(
      config({ sources: [source('a', { clusters: ['alpha'] }), source('b', { clusters: ['beta'] })] }),
    );
    assert.deepEqual(summary.changes, ['source "b" added']);
    await waitUntil('source b read', () => clusters(daemon).includes('b/beta'));
    assert.deepEqual(clusters(daemon), ['a/alpha', 'b/beta']);
    assert.equal(daemon.state.targets().length, 7);
    // alpha: ListTasks only (its tasks, task definitions and hosts are cached); beta: a cold start.
    const calls = sim.counters();
    assert.equal(calls['DescribeClusters'], 1, 'only beta is described');
    assert.equal(calls['DescribeTasks'], 1, "only beta's tasks are described");
  });

  test("a removed source stops and its clusters' targets leave the state before reload returns", async () => {
    const out = join(dir, 'removed');
    const daemon = await started({
      sources: [source('a', { clusters: ['alpha'] }), source('b', { clusters: ['beta'] })],
      output: { file: join(out, 'all.json') },
    });
    assert.equal(daemon.state.targets().length, 7);
    const summary = await daemon.reload(
      config({ sources: [source('a', { clusters: ['alpha'] })], output: { file: join(out, 'all.json') } }),
    );
    assert.deepEqual(summary.changes, ['source "b" removed, with its clusters\' targets']);
    assert.deepEqual(clusters(daemon), ['a/alpha']);
    await waitUntil('the file without beta', async () => {
      const groups = JSON.parse(await readFile(join(out, 'all.json'), 'utf8')) as { targets: string[] }[];
      return groups.flatMap((group) => group.targets).length === 5;
    });
  });

  test("clusters re-selected: a newly selected cluster appears, a deselected one goes, the others' targets stand throughout", async () => {
    const daemon = await started({ sources: [source('s', { cluster_include: 'alpha' })] });
    assert.deepEqual(clusters(daemon), ['s/alpha']);
    const alpha = daemon.state.clustersOf('s')[0]!.targets;
    const summary = await daemon.reload(config({ sources: [source('s', {})] }));
    assert.deepEqual(summary.changes, [
      'source "s" changed: rebuilt, its targets stand until it is read again',
    ]);
    assert.deepEqual(clusters(daemon), ['s/alpha'], 'alpha keeps its last targets while s is rebuilt');
    await waitUntil('beta selected', () => clusters(daemon).includes('s/beta'));
    assert.deepEqual(daemon.state.clustersOf('s').find((e) => e.clusterName === 'alpha')!.targets, alpha);
    await daemon.reload(config({ sources: [source('s', { cluster_exclude: 'alpha' })] }));
    await waitUntil('alpha deselected', () => clusters(daemon).join() === 's/beta');
  });

  test('outputs moved: the new place is written when reload returns, before any refresh', async () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    const daemon = await started({ sources: [source('s', {})], output: { directory: first } });
    const written = await readFile(join(first, '1m-tasks.json'), 'utf8');
    sim.resetCounters();
    const summary = await daemon.reload(
      config({ sources: [source('s', {})], output: { directory: second, format: 'yaml' } }),
    );
    assert.deepEqual(summary.changes, [
      'output changed: the file_sd files are written where the new config says',
    ]);
    const yaml = await readFile(join(second, '1m-tasks.yml'), 'utf8');
    assert.equal((yaml.match(/^- targets:/gm) ?? []).length, (JSON.parse(written) as unknown[]).length);
    assert.equal(
      await readFile(join(first, '1m-tasks.json'), 'utf8'),
      written,
      'the old files are left as they were',
    );
  });

  test('changed rules are applied to every task: each cluster is described and decided again', async () => {
    const daemon = await started({ sources: [source('s', {})] });
    assert.equal(daemon.state.targets().length, 7);
    sim.resetCounters();
    const summary = await daemon.reload(
      config({ sources: [source('s', {})], discovery: { conventions: { prometheus_ecs_sd: false } } }),
    );
    assert.deepEqual(summary.changes, [
      'discovery or labels changed: every task is described and decided again',
    ]);
    // The web tasks opt in by PROMETHEUS=true only: 3 of the 7 targets go.
    await waitUntil('the web targets gone', () => daemon.state.targets().length === 4);
    assert.equal(sim.counters()['DescribeTasks'], 2, 'each cluster described again, once');
  });

  test('a config whose new source has no Region is refused, and the running config goes on', async (t) => {
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'])
      t.after(
        (
          (value) => () =>
            setEnv(name, value)
        )(process.env[name]),
      );
    t.after(
      (
        (value) => () =>
          setEnv('AWS_CONFIG_FILE', value)
      )(process.env['AWS_CONFIG_FILE']),
    );
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[name];
    process.env['AWS_CONFIG_FILE'] = join(dir, 'no-such-aws-config');
    const daemon = await started({ sources: [source('a', { clusters: ['alpha'] })] });
    const before = daemon.config;
    const next = config({
      sources: [source('a', { clusters: ['alpha'] }), { name: 'nowhere', endpoint: sim.endpoint }],
    });
    await assert.rejects(daemon.reload(next), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'sources[1] (source "nowhere"): no AWS Region found, expected region: in the source, --aws.region or ECS_SD_AWS_REGION (single source), AWS_REGION, AWS_DEFAULT_REGION, or region in the AWS profile (AWS_PROFILE, ~/.aws/config)',
      ]);
      return true;
    });
    assert.equal(daemon.config, before);
    assert.deepEqual(clusters(daemon), ['a/alpha']);
    assert.equal((await daemon.refresh()).complete, true, 'the old config still refreshes');
  });
});

function setEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
