/**
 * What the runtime tells the status page, against ecs-sim with the real SDK clients: each cluster's
 * last read and its duration, a cluster denied access stale since its first failure with its last
 * error, a cluster never read failing, each source's refresh and rate budget, and event mode's
 * messages, lag and the receive error that makes its queue unreadable.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { FLEET, LIFECYCLE } from '../events/sim.ts';
import { simConfig, simDaemon, useTestCredentials } from './helpers.ts';

describe('Runtime.status() against ecs-sim', () => {
  let sim: Sim;
  let daemon: Runtime | undefined;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    sim.faults.clear();
  });
  after(() => sim.close());

  test('a cluster denied access is stale since its first failure, with its last error; the other stays fresh', async () => {
    daemon = simDaemon(simConfig(sim.endpoint)).daemon;
    const first = await daemon.refresh();
    assert.ok(first.complete);
    const fresh = daemon.status();
    assert.equal(fresh.ready, true);
    assert.deepEqual(
      fresh.clusters.map((c) => [c.clusterName, c.state, c.tasks, c.targets]),
      [
        ['other', 'fresh', 1, 1],
        ['prod', 'fresh', 5, 5],
      ],
    );
    for (const cluster of fresh.clusters) {
      assert.ok(cluster.lastRead !== undefined && cluster.lastRead.error === undefined, cluster.clusterName);
      assert.ok(cluster.lastRead.durationMs >= 0 && cluster.lastRead.startedMs <= fresh.nowMs);
    }
    const source = fresh.sources[0]!;
    assert.equal(source.name, 'sim');
    assert.deepEqual(
      { ...source.lastRefresh, startedMs: 0, durationMs: 0 },
      {
        startedMs: 0,
        durationMs: 0,
        full: true,
        clustersRead: 2,
        failures: 0,
      },
    );
    const resourceReads = fresh.budgets[0]!.categories.find(
      (c) => c.category === 'ecs_cluster_resource_read',
    )!;
    assert.ok(resourceReads.granted >= 2, 'ListTasks and DescribeTasks took their tokens');

    sim.faults.add({ kind: 'access-denied', cluster: 'prod' });
    await daemon.refresh();
    const since = daemon.status().clusters.find((c) => c.clusterName === 'prod')!.error!.sinceMs;
    await daemon.refresh();
    const status = daemon.status();
    const prod = status.clusters.find((c) => c.clusterName === 'prod')!;
    assert.equal(prod.state, 'stale');
    assert.match(
      prod.error!.message,
      /^list tasks failed for cluster "prod" of source "sim": AccessDeniedException: /,
    );
    assert.equal(prod.error!.sinceMs, since, 'since the first failure in a row');
    assert.ok(prod.error!.atMs >= since);
    assert.equal(prod.lastRead?.error, prod.error!.message);
    assert.equal(prod.targets, 5, 'it keeps its last targets');
    assert.equal(status.clusters.find((c) => c.clusterName === 'other')!.state, 'fresh');
    assert.equal(status.sources[0]!.lastRefresh?.failures, 1);

    sim.faults.clear();
    await daemon.refresh();
    const healed = daemon.status().clusters.find((c) => c.clusterName === 'prod')!;
    assert.equal(healed.state, 'fresh');
    assert.equal(healed.error, undefined);
  });

  test('a source whose clusters cannot be described says why; a cluster never read is failing, with no targets', async () => {
    const denied = sim.faults.add({ kind: 'access-denied', cluster: 'other' });
    daemon = simDaemon(simConfig(sim.endpoint)).daemon;
    await daemon.refresh();
    const unselected = daemon.status();
    assert.equal(unselected.ready, false);
    assert.deepEqual(unselected.clusters, []);
    assert.match(
      unselected.sources[0]!.selectError!.message,
      /^describe clusters failed for source "sim": AccessDeniedException: .*ecs:DescribeClusters/,
    );

    sim.faults.remove(denied);
    sim.faults.add({ operation: 'ListTasks', cluster: 'other', kind: 'http500' });
    await daemon.refresh();
    const status = daemon.status();
    assert.equal(status.sources[0]!.selectError, undefined);
    assert.deepEqual(
      status.clusters.map((c) => [c.clusterName, c.state, c.targets]),
      [
        ['other', 'failing', 0],
        ['prod', 'fresh', 5],
      ],
    );
    assert.match(
      status.clusters[0]!.error!.message,
      /^list tasks failed for cluster "other" of source "sim"/,
    );
  });

  test("event mode: messages, the last event's lag, and an unreadable queue's error", async () => {
    sim.setEventsQueue('ecs-events');
    const queueUrl = `${sim.endpoint}/${sim.accountId}/ecs-events`;
    const config = simConfig(sim.endpoint, 'refresh_interval: 60s\n', {
      clusters: ['prod'],
      events: { queue_url: queueUrl },
    });
    daemon = createRuntime(config, {
      log: silentLogger(),
      metrics: createMetrics({ defaultMetrics: false }),
      eventsOptions: { waitTimeSeconds: 1, unhealthyAfter: 2, backoffInitialMs: 20, backoffMaxMs: 100 },
    });
    daemon.start();
    const running = daemon;
    await waitUntil('the first refresh', () => running.state.ready());
    const before = running.status().sources[0]!.events!;
    assert.equal(before.healthy, true);
    assert.equal(before.queueUrl, queueUrl);
    sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
    const events = await waitUntil('an event handled', () => {
      const now = running.status().sources[0]!.events!;
      return now.lastLagSeconds !== undefined && now;
    });
    assert.ok(events.received > 0);
    assert.ok(events.lastLagSeconds! >= 0 && events.lastLagSeconds! < 60, `lag ${events.lastLagSeconds}`);
    assert.ok(events.maxRecentLagSeconds! >= events.lastLagSeconds!);
    assert.ok(events.lastEventMs !== undefined);

    sim.faults.add({ operation: 'ReceiveMessage', kind: 'access-denied' });
    const unreadable = await waitUntil('the queue unreadable', () => {
      const now = running.status().sources[0]!.events!;
      return !now.healthy && now;
    });
    assert.ok(unreadable.consecutiveFailures >= 2);
    assert.match(unreadable.lastError!, /^AccessDenied: /);
  });
});
