/**
 * Polling at the floor for hours, not minutes: the runtime's clock is injected and moved one
 * refresh interval per refresh, so three simulated hours take seconds. On 1,000 tasks in 4 clusters
 * on 100 hosts (the fleet of issue 13), the cold start costs at most 41 calls (the 40 of the
 * Python prometheus-ecs-sd plus the DescribeClusters that reads cluster tags), and every later
 * refresh costs exactly the floor, Σ⌈tasks per cluster / 100⌉ ListTasks + 1 ListClusters. The
 * re-read settings add exactly what they ask for, when they ask for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ECSClient, TagResourceCommand } from '@aws-sdk/client-ecs';
import { type Sim, startSim } from 'ecs-sim';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { simConfig, useTestCredentials } from './helpers.ts';

const MINUTE = 60_000;
const REFRESH_MS = MINUTE;
/** Three hours of refreshes at the default 60 s interval. */
const REFRESHES = 180;
/** The fleet of issue 13: 1,000 tasks, 4 clusters, 100 hosts, mixed network modes, 10 task definitions. */
const FLEET = { clusters: 4, tasks: 1000, hosts: 100, seed: 13 } as const;
/** 250 tasks per cluster: 3 ListTasks pages each, and 3 DescribeTasks batches when all are described. */
const FLOOR = { ListClusters: 1, ListTasks: 12 };

/** A runtime on ecs-sim whose clock moves only when `tick` moves it, one refresh interval per refresh. */
function hourlyRuntime(sim: Sim, discovery: Record<string, string> = {}) {
  let now = Date.UTC(2025, 0, 1);
  // The rate budget runs on real time (it models AWS's buckets): raised, so 180 refreshes in seconds never wait for tokens.
  const config = simConfig(sim.endpoint, JSON.stringify({ discovery, rate_budget: { scale: 100 } }));
  const runtime: Runtime = createRuntime(config, {
    log: silentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
    now: () => now,
  });
  /** Moves the clock one interval, refreshes, and returns the calls of that refresh. */
  const tick = async (): Promise<Record<string, number>> => {
    now += REFRESH_MS;
    sim.resetCounters();
    const summary = await runtime.refresh();
    assert.equal(summary.complete, true, summary.failures.join('\n'));
    return sim.counters();
  };
  return { runtime, tick };
}

describe('polling at the floor over simulated hours', () => {
  let sim: Sim;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, throttling: false, generate: FLEET });
  });
  after(() => sim.close());

  test('cold start ≤ 41 calls with one DescribeInstances; then 180 refreshes (3 h) each exactly the floor', async () => {
    const { runtime, tick } = hourlyRuntime(sim);
    try {
      sim.resetCounters();
      const cold = await runtime.refresh();
      assert.equal(cold.complete, true, cold.failures.join('\n'));
      const calls = sim.counters();
      const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
      assert.ok(total <= 41, `cold start: ${total} calls ${JSON.stringify(calls)}`);
      assert.equal(calls['DescribeInstances'], 1, 'one DescribeInstances for the 100 hosts of 4 clusters');
      assert.equal(calls['DescribeClusters'], 1);
      assert.equal(calls['DescribeTasks'], 12);
      const off: string[] = [];
      for (let refresh = 1; refresh <= REFRESHES; refresh++) {
        const counts = await tick();
        if (JSON.stringify(counts) !== JSON.stringify(FLOOR))
          off.push(`refresh ${refresh}: ${JSON.stringify(counts)}`);
      }
      assert.deepEqual(off, [], 'every steady refresh costs the floor');
      assert.equal(runtime.state.targets().length, cold.targets);
    } finally {
      await runtime.stop();
    }
  });

  test('task_reread_interval 10m and cluster_reread_interval 1h add exactly their calls, on schedule', async () => {
    const { runtime, tick } = hourlyRuntime(sim, {
      task_reread_interval: '10m',
      cluster_reread_interval: '1h',
    });
    try {
      await runtime.refresh();
      const extra: string[] = [];
      for (let refresh = 1; refresh <= REFRESHES; refresh++) {
        const { ListClusters, ListTasks, ...rest } = await tick();
        assert.deepEqual({ ListClusters, ListTasks }, FLOOR, `refresh ${refresh}`);
        if (Object.keys(rest).length > 0) extra.push(`${refresh}: ${JSON.stringify(rest)}`);
      }
      const expected: string[] = [];
      for (let refresh = 10; refresh <= REFRESHES; refresh += 10) {
        expected.push(
          refresh % 60 === 0
            ? `${refresh}: ${JSON.stringify({ DescribeClusters: 1, DescribeTasks: 12 })}`
            : `${refresh}: ${JSON.stringify({ DescribeTasks: 12 })}`,
        );
      }
      assert.deepEqual(
        extra,
        expected,
        'every 10 minutes every task, every hour every cluster, nothing else',
      );
    } finally {
      await runtime.stop();
    }
  });

  test('a cluster whose tags changed is decided again from a fresh read once cluster_reread_interval passes', async () => {
    const { runtime, tick } = hourlyRuntime(sim, { cluster_reread_interval: '30m' });
    const ecs = new ECSClient({ endpoint: sim.endpoint, region: 'us-east-1' });
    try {
      await runtime.refresh();
      const cluster = runtime.state.clusters()[0]!;
      const label = '__meta_ecs_tag_cluster_team';
      const tagged = () =>
        runtime.state
          .targets()
          .filter(
            (target) => target.clusterName === cluster.clusterName && target.labels[label] === 'payments',
          );
      await ecs.send(
        new TagResourceCommand({
          resourceArn: cluster.clusterArn,
          tags: [{ key: 'team', value: 'payments' }],
        }),
      );
      for (let refresh = 1; refresh < 30; refresh++)
        assert.deepEqual(await tick(), FLOOR, `refresh ${refresh}`);
      assert.equal(tagged().length, 0, 'the new tag is not read before the interval');
      const reread = await tick();
      assert.deepEqual(
        reread,
        { ...FLOOR, DescribeClusters: 1, DescribeTasks: 3 },
        'that cluster’s 250 tasks described again',
      );
      const targets = runtime.state.targets().filter((target) => target.clusterName === cluster.clusterName);
      assert.ok(targets.length > 0);
      assert.equal(tagged().length, targets.length, 'every target of the cluster carries the new tag');
      assert.deepEqual(await tick(), FLOOR, 'and then the floor again');
    } finally {
      ecs.destroy();
      await runtime.stop();
    }
  });
});
