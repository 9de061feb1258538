/**
 * The refresh loop against ecs-sim: exact API call counts (batching, pagination, caches),
 * failure handling per cluster, cluster removal, throttling and retries, cross-account roles.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { ASSUME_ROLE_IAM_ACTIONS } from '../../src/lib/iam.ts';
import { loadFleet, metricSum, metricValue, simConfig, simDaemon, useTestCredentials } from './helpers.ts';

function targetKeysOf(daemon: ReturnType<typeof simDaemon>['daemon'], cluster: string): string[] {
  return daemon.state
    .targets()
    .filter((target) => target.clusterName === cluster)
    .map((target) => target.key);
}

describe('refresh against ecs-sim', () => {
  before(() => useTestCredentials());

  describe('the steady fleet', () => {
    let sim: Sim;
    before(async () => {
      sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    });
    after(() => sim.close());

    test('the first refresh batches and describes each task definition once; an unchanged one costs only ListTasks', async () => {
      const { daemon, metrics } = simDaemon(simConfig(sim.endpoint));
      try {
        sim.resetCounters();
        const first = await daemon.refresh();
        assert.equal(first.complete, true, first.failures.join('\n'));
        assert.equal(first.targets, 7);
        assert.deepEqual(sim.counters(), {
          ListClusters: 1,
          DescribeClusters: 1,
          ListTasks: 2,
          DescribeTasks: 2,
          DescribeTaskDefinition: 3,
          DescribeContainerInstances: 2,
          // One batched DescribeInstances for the hosts of both clusters (issue 13), not one per cluster.
          DescribeInstances: 1,
          DescribeInstanceInformation: 1,
        });

        sim.resetCounters();
        const second = await daemon.refresh();
        assert.equal(second.complete, true);
        assert.equal(second.targets, 7);
        assert.deepEqual(sim.counters(), { ListClusters: 1, ListTasks: 2 });
        assert.equal(
          await metricValue(metrics, 'ecs_sd_cache_requests_total', { cache: 'task', result: 'hit' }),
          7,
        );
        assert.equal(
          await metricValue(metrics, 'ecs_sd_cache_requests_total', { cache: 'task', result: 'miss' }),
          7,
        );
        assert.equal(
          await metricValue(metrics, 'ecs_sd_aws_requests_total', {
            operation: 'ListTasks',
            outcome: 'success',
          }),
          4,
        );
        assert.equal(await metricSum(metrics, 'ecs_sd_aws_requests_total', { source: 'sim' }), 16);
      } finally {
        await daemon.stop();
      }
    });

    test('a new task is described (with its new task definition revision only) and becomes a target', async () => {
      const { daemon } = simDaemon(simConfig(sim.endpoint, '', { clusters: ['alpha', 'beta'] }));
      try {
        await daemon.refresh();
        const [task] = sim.runTask({ cluster: 'beta', taskDefinition: 'api', launchType: 'EC2' });
        sim.settle();
        sim.resetCounters();
        const summary = await daemon.refresh();
        assert.equal(summary.targets, 8);
        assert.deepEqual(sim.counters(), { ListTasks: 2, DescribeTasks: 1 });
        const decision = daemon.state.decision(task!.arn);
        assert.equal(decision?.containers[0]?.targets.length, 1);
      } finally {
        await daemon.stop();
      }
    });
    test('a churn decides only the tasks it changed: the others keep their decisions and targets (the same objects); a reload that changes decisions decides them all again', async () => {
      const clusters = { clusters: ['alpha', 'beta'] };
      const { daemon } = simDaemon(simConfig(sim.endpoint, '', clusters));
      try {
        await daemon.refresh();
        const first = new Map(daemon.state.decisions().map((decision) => [decision.taskArn, decision]));
        const firstTargets = new Set(daemon.state.targets());
        const stopped = [...first.keys()][0]!;
        sim.stopTask(stopped, 'churn');
        const [started] = sim.runTask({ cluster: 'beta', taskDefinition: 'api', launchType: 'EC2' });
        sim.settle();
        await daemon.refresh();
        const churned = daemon.state.decisions();
        assert.equal(
          churned.find((decision) => decision.taskArn === stopped),
          undefined,
        );
        const fresh = churned.filter((decision) => !first.has(decision.taskArn));
        // The started task (and a service's replacement of the stopped one, if it had a service).
        assert.ok(fresh.some((decision) => decision.taskArn === started!.arn));
        assert.ok(fresh.length < churned.length);
        for (const decision of churned.filter((d) => first.has(d.taskArn))) {
          assert.equal(decision, first.get(decision.taskArn), `${decision.taskArn} was decided again`);
        }
        // Only the fresh tasks' targets are new objects; every other target is the one of the first read.
        const freshTargets = new Set(
          fresh.flatMap((decision) => decision.containers.flatMap((c) => c.targets)),
        );
        const newTargets = daemon.state.targets().filter((target) => !firstTargets.has(target));
        assert.equal(newTargets.length, freshTargets.size);
        for (const target of newTargets) assert.ok(freshTargets.has(target), `${target.key} built again`);

        const rules = 'discovery: { rules: [ { name: r, family: nothing-runs-this, ports: [80] } ] }';
        await daemon.reload(simConfig(sim.endpoint, rules, clusters));
        await daemon.refresh();
        const before = new Map(churned.map((decision) => [decision.taskArn, decision]));
        const redecided = daemon.state.decisions();
        assert.equal(redecided.length, churned.length);
        for (const decision of redecided) {
          assert.notEqual(
            decision,
            before.get(decision.taskArn),
            `${decision.taskArn} not decided again after the reload`,
          );
        }
        assert.deepEqual(
          redecided.map((decision) => decision.taskArn),
          churned.map((decision) => decision.taskArn),
        );
      } finally {
        await daemon.stop();
      }
    });
  });

  test('203 tasks and 101 services: every paginator turns a page, every batch is full', async () => {
    const sim = await startSim({ port: 0, fleet: (await loadFleet('large')) as never, throttling: false });
    const { daemon } = simDaemon(
      simConfig(sim.endpoint, 'labels: { service_details: true }', { clusters: ['big'] }),
    );
    try {
      const summary = await daemon.refresh();
      assert.equal(summary.complete, true, summary.failures.join('\n'));
      assert.equal(summary.tasks, 203);
      assert.equal(summary.targets, 203);
      assert.deepEqual(sim.counters(), {
        DescribeClusters: 1,
        ListTasks: 3,
        DescribeTasks: 3,
        DescribeTaskDefinition: 1,
        ListServices: 2,
        DescribeServices: 11,
      });
    } finally {
      await daemon.stop();
      await sim.close();
    }
  });

  test('keeps the last targets of a cluster that gets AccessDeniedException while another cluster updates', async () => {
    const sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-denied-'));
    const file = join(dir, 'targets.json');
    const { daemon, metrics } = simDaemon(
      simConfig(sim.endpoint, `output: { file: ${JSON.stringify(file)} }`),
    );
    try {
      await daemon.refresh();
      const alphaBefore = targetKeysOf(daemon, 'alpha');
      assert.equal(alphaBefore.length, 5);

      sim.faults.add({ operation: 'ListTasks', kind: 'access-denied', cluster: 'alpha' });
      sim.runTask({ cluster: 'beta', taskDefinition: 'api', launchType: 'EC2' });
      sim.runTask({ cluster: 'alpha', taskDefinition: 'api', launchType: 'EC2' });
      sim.settle();
      const summary = await daemon.refresh();

      assert.equal(summary.complete, false);
      assert.equal(summary.failures.length, 1);
      assert.match(
        summary.failures[0]!,
        /^list tasks failed for cluster "alpha" of source "sim": AccessDeniedException/,
      );
      assert.deepEqual(targetKeysOf(daemon, 'alpha'), alphaBefore, 'alpha keeps its last good targets');
      assert.equal(targetKeysOf(daemon, 'beta').length, 3, 'beta has its new task');
      assert.equal(daemon.state.ready(), true);
      assert.equal(await metricValue(metrics, 'ecs_sd_cluster_stale', { cluster: 'alpha' }), 1);
      assert.equal(await metricValue(metrics, 'ecs_sd_cluster_stale', { cluster: 'beta' }), 0);
      assert.equal(
        await metricValue(metrics, 'ecs_sd_refresh_failures_total', { source: 'sim', cluster: 'alpha' }),
        1,
      );
      assert.equal(
        await metricValue(metrics, 'ecs_sd_aws_requests_total', { operation: 'ListTasks', outcome: 'error' }),
        1,
      );
      const written = JSON.parse(await readFile(file, 'utf8')) as { targets: string[] }[];
      assert.equal(
        written.flatMap((group) => group.targets).length,
        8,
        'the file has alpha (stale) and beta (new)',
      );
    } finally {
      await daemon.stop();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a first refresh with a failing cluster is not ready and writes nothing', async () => {
    const sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-first-'));
    const { daemon } = simDaemon(simConfig(sim.endpoint, `output: { directory: ${JSON.stringify(dir)} }`));
    try {
      sim.faults.add({ operation: 'DescribeTasks', kind: 'access-denied', cluster: 'beta' });
      const summary = await daemon.refresh();
      assert.equal(summary.complete, false);
      assert.equal(daemon.state.ready(), false);
      assert.deepEqual(summary.written, []);
      await assert.rejects(readFile(join(dir, '1m-tasks.json')), { code: 'ENOENT' });
    } finally {
      await daemon.stop();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a deleted cluster is removed, whether configured (ClusterNotFoundException) or listed', async () => {
    for (const clusters of [['alpha', 'beta'], undefined]) {
      const sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
      const { daemon, metrics } = simDaemon(simConfig(sim.endpoint, '', clusters ? { clusters } : {}));
      try {
        await daemon.refresh();
        assert.equal(daemon.state.clusters().length, 2);
        const account = sim.world.account(sim.accountId);
        const beta = account.clusters.get('beta')!;
        for (const task of [...beta.tasks.values()]) sim.stopTask(task.arn);
        sim.settle();
        sim.world.deleteCluster(beta);
        const summary = await daemon.refresh();
        assert.equal(summary.complete, true, summary.failures.join('\n'));
        assert.deepEqual(
          daemon.state.clusters().map((cluster) => cluster.clusterName),
          ['alpha'],
        );
        assert.equal(targetKeysOf(daemon, 'beta').length, 0);
        assert.equal(await metricValue(metrics, 'ecs_sd_clusters', { source: 'sim' }), 1);
        const again = await daemon.refresh();
        assert.equal(again.complete, true, 'a configured cluster that is gone is not a failure');
        assert.equal(again.clusters, 1);
      } finally {
        await daemon.stop();
        await sim.close();
      }
    }
  });

  test('throttled and failed calls are retried by the SDK and every attempt is counted once', async () => {
    const sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    const { daemon, metrics } = simDaemon(simConfig(sim.endpoint, '', { clusters: ['alpha'] }));
    try {
      sim.faults.add({ operation: 'DescribeTasks', kind: 'throttle', count: 1 });
      sim.faults.add({ operation: 'DescribeContainerInstances', kind: 'http500', count: 1 });
      const summary = await daemon.refresh();
      assert.equal(summary.complete, true, summary.failures.join('\n'));
      const value = (operation: string, outcome: string) =>
        metricValue(metrics, 'ecs_sd_aws_requests_total', { source: 'sim', operation, outcome });
      assert.equal(await value('DescribeTasks', 'throttled'), 1);
      assert.equal(await value('DescribeTasks', 'success'), 1);
      assert.equal(await value('DescribeContainerInstances', 'error'), 1);
      assert.equal(await value('DescribeContainerInstances', 'success'), 1);
      assert.equal(
        await metricValue(metrics, 'ecs_sd_aws_throttles_total', { operation: 'DescribeTasks' }),
        1,
      );
      assert.equal(await metricSum(metrics, 'ecs_sd_aws_throttles_total'), 1);
      assert.equal(sim.counters()['DescribeTasks'], 2, 'the sim saw the retry');
    } finally {
      await daemon.stop();
      await sim.close();
    }
  });

  test('a source with role_arn and external_id reads another account through AssumeRole', async () => {
    const sim = await startSim({
      port: 0,
      fleet: (await loadFleet('cross-account')) as never,
      throttling: false,
    });
    const source = (externalId: string) => ({
      name: 'payments',
      region: 'us-east-1',
      endpoint: sim.endpoint,
      role_arn: 'arn:aws:iam::210987654321:role/ecs-sd-read',
      external_id: externalId,
    });
    const good = simDaemon(
      simConfig(sim.endpoint, JSON.stringify({ sources: [source('s3cret-external-id')] })),
    );
    const bad = simDaemon(simConfig(sim.endpoint, JSON.stringify({ sources: [source('wrong')] })));
    try {
      const summary = await good.daemon.refresh();
      assert.equal(summary.complete, true, summary.failures.join('\n'));
      assert.equal(summary.targets, 2);
      assert.ok(
        good.daemon.state
          .targets()
          .every((target) => target.labels['__meta_ecs_account_id'] === '210987654321'),
      );
      assert.equal(
        await metricValue(good.metrics, 'ecs_sd_aws_requests_total', {
          operation: 'AssumeRole',
          outcome: 'success',
        }),
        1,
      );
      assert.deepEqual(ASSUME_ROLE_IAM_ACTIONS, ['sts:AssumeRole']);
      const denied = await bad.daemon.refresh();
      assert.equal(denied.complete, false);
      assert.equal(bad.daemon.state.targets().length, 0);
    } finally {
      await good.daemon.stop();
      await bad.daemon.stop();
      await sim.close();
    }
  });

  test('the loop refreshes every interval, never overlapping, and stops cleanly', async () => {
    const sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    const { daemon, metrics } = simDaemon(simConfig(sim.endpoint, 'refresh_interval: 1s'));
    try {
      const concurrent = [daemon.refresh(), daemon.refresh()];
      assert.equal(concurrent[0], concurrent[1], 'a refresh during a refresh joins it');
      await Promise.all(concurrent);
      daemon.start();
      await waitUntil(
        'two more refreshes',
        async () => (await metricValue(metrics, 'ecs_sd_refreshes_total', { source: 'sim' })) >= 3,
      );
      assert.equal(daemon.scheduled(), true);
      await daemon.stop();
      assert.equal(daemon.scheduled(), false, 'no refresh is scheduled after stop');
    } finally {
      await daemon.stop();
      await sim.close();
    }
  });
});
