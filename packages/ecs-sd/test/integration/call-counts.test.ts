/**
 * Exact API call counts on small generated fleets (deterministic, so asserted exactly): a steady
 * refresh costs the floor Σ⌈tasks per cluster / 100⌉ ListTasks (+1 ListClusters) and nothing else;
 * churn costs ⌈new tasks / 100⌉ DescribeTasks per cluster, a new task definition one
 * DescribeTaskDefinition, new hosts ⌈new / 100⌉ DescribeContainerInstances and one batched
 * DescribeInstances. Then the rate budget: a cold start stays within a budget smaller than AWS's
 * bucket without a single throttle, sources of one account and Region share one budget, and a
 * throttle shows as a lower refill rate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { type Sim, startSim } from 'ecs-sim';
import { metricSum, metricValue, simConfig, simDaemon, useTestCredentials } from './helpers.ts';

/** ListTasks pages of a fleet as ecs-sim holds it, +1 ListClusters: what a steady refresh may cost. */
function floorOf(sim: Sim): { floor: number; perCluster: Map<string, number> } {
  const perCluster = new Map<string, number>();
  for (const task of sim.groundTruth().tasks) {
    if (task.desiredStatus === 'RUNNING')
      perCluster.set(task.cluster, (perCluster.get(task.cluster) ?? 0) + 1);
  }
  let pages = 0;
  for (const count of perCluster.values()) pages += Math.max(1, Math.ceil(count / 100));
  return { floor: pages + 1, perCluster };
}

/** Stops `count` running service tasks of a cluster (their services start replacements) and lets them run. */
function churn(sim: Sim, cluster: string, count: number): void {
  const tasks = sim
    .groundTruth()
    .tasks.filter(
      (task) =>
        task.cluster === cluster &&
        task.service !== undefined &&
        task.lastStatus === 'RUNNING' &&
        task.desiredStatus === 'RUNNING',
    )
    .slice(0, count);
  assert.equal(tasks.length, count, `${count} service tasks to stop in ${cluster}`);
  for (const task of tasks) sim.stopTask(task.taskArn, 'churn');
  sim.settle();
}

describe('API call counts', () => {
  before(() => useTestCredentials());

  describe('a Fargate fleet of 503 tasks in 2 clusters', () => {
    let sim: Sim;
    before(async () => {
      sim = await startSim({
        port: 0,
        throttling: false,
        generate: {
          clusters: 2,
          tasks: 503,
          services: 6,
          taskDefinitions: 12,
          networkModes: 'fargate:1',
          seed: 3,
        },
      });
    });
    after(() => sim.close());

    test('a steady refresh costs exactly the floor: Σ⌈tasks/100⌉ ListTasks + 1 ListClusters', async () => {
      const { daemon, metrics } = simDaemon(simConfig(sim.endpoint));
      try {
        const cold = await daemon.refresh();
        assert.equal(cold.complete, true, cold.failures.join('\n'));
        const { floor, perCluster } = floorOf(sim);
        assert.deepEqual([...perCluster.values()].sort(), [251, 252]);
        assert.equal(floor, 7);
        for (let round = 0; round < 2; round++) {
          sim.resetCounters();
          const steady = await daemon.refresh();
          assert.equal(steady.complete, true);
          assert.equal(steady.targets, cold.targets);
          assert.deepEqual(sim.counters(), { ListClusters: 1, ListTasks: 6 });
        }
        assert.equal(
          await metricValue(metrics, 'ecs_sd_cache_requests_total', { cache: 'task', result: 'hit' }),
          2 * 503,
        );
      } finally {
        await daemon.stop();
      }
    });

    test('churn costs ⌈new tasks / 100⌉ DescribeTasks in the cluster that changed, nothing else', async () => {
      const { daemon } = simDaemon(simConfig(sim.endpoint));
      try {
        await daemon.refresh();
        const [first, second] = [...floorOf(sim).perCluster.keys()].sort();
        churn(sim, first!, 130);
        churn(sim, second!, 7);
        sim.resetCounters();
        const summary = await daemon.refresh();
        assert.equal(summary.complete, true, summary.failures.join('\n'));
        assert.deepEqual(sim.counters(), { ListClusters: 1, ListTasks: 6, DescribeTasks: 2 + 1 });
        sim.resetCounters();
        await daemon.refresh();
        assert.deepEqual(sim.counters(), { ListClusters: 1, ListTasks: 6 }, 'then steady again');
      } finally {
        await daemon.stop();
      }
    });

    test('a task of a new task definition costs one DescribeTasks and one DescribeTaskDefinition', async () => {
      const { daemon } = simDaemon(simConfig(sim.endpoint));
      try {
        await daemon.refresh();
        const ecs = new ECSClient({ endpoint: sim.endpoint, region: 'us-east-1' });
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'fresh',
            networkMode: 'awsvpc',
            requiresCompatibilities: ['FARGATE'],
            cpu: '256',
            memory: '512',
            containerDefinitions: [
              {
                name: 'app',
                image: 'example/fresh:1',
                portMappings: [{ containerPort: 9100 }],
                environment: [
                  { name: 'PROMETHEUS', value: 'true' },
                  { name: 'PROMETHEUS_PORT', value: '9100' },
                ],
              },
            ],
          }),
        );
        ecs.destroy();
        const cluster = [...floorOf(sim).perCluster.keys()][0]!;
        const before = (await daemon.refresh()).targets;
        sim.runTask({ cluster, taskDefinition: 'fresh', count: 2, launchType: 'FARGATE' });
        sim.settle();
        sim.resetCounters();
        await daemon.refresh();
        assert.deepEqual(sim.counters(), {
          ListClusters: 1,
          ListTasks: 6,
          DescribeTasks: 1,
          DescribeTaskDefinition: 1,
        });
        assert.equal(daemon.state.targets().length, before + 2);
      } finally {
        await daemon.stop();
      }
    });
  });

  test('hosts cost ⌈hosts / 100⌉ DescribeContainerInstances and one batched DescribeInstances per cluster, once', async () => {
    const sim = await startSim({
      port: 0,
      throttling: false,
      generate: {
        clusters: 1,
        tasks: 301,
        hosts: 120,
        services: 4,
        taskDefinitions: 4,
        networkModes: 'bridge:1',
        seed: 4,
      },
    });
    const { daemon } = simDaemon(simConfig(sim.endpoint));
    try {
      const hosts = new Set(sim.groundTruth().tasks.map((task) => task.containerInstanceArn));
      assert.ok(hosts.size > 100 && hosts.size <= 200, `${hosts.size} hosts in use`);
      sim.resetCounters();
      const cold = await daemon.refresh();
      assert.equal(cold.complete, true, cold.failures.join('\n'));
      const counters = sim.counters();
      assert.equal(counters['DescribeContainerInstances'], 2);
      assert.equal(counters['DescribeInstances'], 2, 'one DescribeInstances per 100 instance ids');
      assert.equal(counters['DescribeTasks'], 4);
      sim.resetCounters();
      await daemon.refresh();
      assert.deepEqual(sim.counters(), { ListClusters: 1, ListTasks: 4 });
    } finally {
      await daemon.stop();
      await sim.close();
    }
  });
});

describe('rate budget', () => {
  before(() => useTestCredentials());

  test('a cold start within a budget smaller than AWS bucket is never throttled, and waits instead', async () => {
    // AWS bucket of ListTasks/DescribeTasks scaled to burst 10, refill 2/s; ecs-sd's budget: half of it.
    const sim = await startSim({
      port: 0,
      throttling: { scale: 0.1 },
      generate: {
        clusters: 3,
        tasks: 450,
        services: 6,
        taskDefinitions: 3,
        networkModes: 'fargate:1',
        seed: 6,
      },
    });
    const { daemon, metrics } = simDaemon(simConfig(sim.endpoint, 'rate_budget: { scale: 0.05 }'));
    try {
      const summary = await daemon.refresh();
      assert.equal(summary.complete, true, summary.failures.join('\n'));
      assert.equal(summary.tasks, 450);
      assert.equal(await metricSum(metrics, 'ecs_sd_aws_throttles_total'), 0, 'no call was throttled');
      // Zero series exist, so dashboards show 0 throttles and 0 failures rather than no data.
      const series = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
      assert.ok(
        (await series('ecs_sd_aws_throttles_total')).some(
          (v) => v.labels['operation'] === 'ListTasks' && v.value === 0,
        ),
      );
      assert.ok(
        (await series('ecs_sd_refresh_failures_total')).length > 0 &&
          (await series('ecs_sd_refresh_failures_total')).every((v) => v.value === 0),
      );
      assert.equal(sim.counters()['ListTasks'], 6);
      assert.equal(sim.counters()['DescribeTasks'], 6);
      const waited = await metricValue(metrics, 'ecs_sd_rate_budget_wait_seconds_total', {
        category: 'ecs_cluster_resource_read',
      });
      // 12 calls with a burst of 5 and 1 token per second: the last waits about 7 s in all.
      assert.ok(waited > 5, `calls waited for tokens: ${waited} s`);
    } finally {
      await daemon.stop();
      await sim.close();
    }
  });

  test('sources of one account and Region share one budget; a throttle lowers its refill rate', async () => {
    const sim = await startSim({
      port: 0,
      throttling: false,
      generate: { clusters: 2, tasks: 20, networkModes: 'fargate:1', seed: 8 },
    });
    const endpoint = sim.endpoint;
    const clusters = [...sim.world.account(sim.accountId).clusters.keys()].sort();
    const { daemon, metrics } = simDaemon(
      simConfig(
        endpoint,
        JSON.stringify({
          sources: clusters.map((cluster, index) => ({
            name: `s${index}`,
            region: 'us-east-1',
            endpoint,
            clusters: [cluster],
          })),
        }),
      ),
    );
    try {
      sim.faults.add({ kind: 'throttle', operation: 'ListTasks', count: 2 });
      const summary = await daemon.refresh();
      assert.equal(summary.complete, true, summary.failures.join('\n'));
      assert.equal(daemon.budgets.all().length, 1, 'one budget for both sources');
      assert.equal(await metricSum(metrics, 'ecs_sd_aws_throttles_total'), 2);
      const refill = await metricValue(metrics, 'ecs_sd_rate_budget_refill_per_second', {
        category: 'ecs_cluster_resource_read',
      });
      assert.ok(refill < 10, `refill backed off below the configured 10/s: ${refill}`);
      const state = daemon.budgets.all()[0]!.state('ecs_cluster_resource_read');
      assert.equal(state.throttles, 2);
    } finally {
      await daemon.stop();
      await sim.close();
    }
  });
});
