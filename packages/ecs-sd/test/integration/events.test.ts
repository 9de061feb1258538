/**
 * Event mode against ecs-sim: the daemon long-polls the simulator's SQS queue, a task started or
 * stopped after the first refresh reaches the file_sd output long before the refresh interval, a
 * malformed message is counted and harmless, and an unreadable queue falls back to polling.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Sim, startSim } from 'ecs-sim';
import { Daemon } from '../../src/daemon/daemon.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { FLEET, LIFECYCLE } from '../events/sim.ts';
import { metricSum, metricValue, simConfig, useTestCredentials, waitUntil } from './helpers.ts';

const EVENTS_OPTIONS = { waitTimeSeconds: 1, unhealthyAfter: 3, backoffInitialMs: 20, backoffMaxMs: 100 };

async function fileText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

describe('event mode against ecs-sim', () => {
  let sim: Sim;
  let dir: string;
  let queueUrl: string;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
    sim.setEventsQueue('ecs-events');
    queueUrl = `${sim.endpoint}/${sim.accountId}/ecs-events`;
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-events-'));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  function startDaemon(file: string, refreshInterval: string) {
    const config = simConfig(
      sim.endpoint,
      `refresh_interval: ${refreshInterval}\noutput:\n  file: ${file}\n`,
      {
        clusters: ['prod'],
        events: { queue_url: queueUrl, reconcile_interval: '10m' },
      },
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const daemon = new Daemon({ config, log: silentLogger(), metrics, eventsOptions: EVENTS_OPTIONS });
    daemon.start();
    return { daemon, metrics };
  }

  test('started and stopped tasks reach file_sd within seconds of a 60 s refresh interval; malformed messages are harmless', async (t) => {
    const file = join(dir, 'events.json');
    const { daemon, metrics } = startDaemon(file, '60s');
    const sqs = new SQSClient({ endpoint: sim.endpoint, region: sim.region, maxAttempts: 1 });
    try {
      await waitUntil(() => daemon.state.ready(), 'the first refresh');
      const initial = await waitUntil(async () => (await fileText(file)) || undefined, 'the first file_sd');
      assert.ok((JSON.parse(initial) as unknown[]).length > 0, initial);
      const refreshes = await metricSum(metrics, 'ecs_sd_refreshes_total');

      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not json' }));
      const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
      assert.ok(started?.arn);
      const t0 = Date.now();
      await waitUntil(
        async () => (await fileText(file)).includes(started.arn),
        'the started task in the file_sd output',
        10_000,
      );
      t.diagnostic(`started task in file_sd ${Date.now() - t0}ms after RunTask (refresh_interval 60s)`);
      assert.equal(
        await metricValue(metrics, 'ecs_sd_events_malformed_total', { source: 'sim', reason: 'not-json' }),
        1,
      );
      assert.ok((await metricSum(metrics, 'ecs_sd_events_received_total', { source: 'sim' })) >= 2);
      assert.equal(await metricValue(metrics, 'ecs_sd_events_healthy', { source: 'sim' }), 1);

      sim.stopTask(started.arn);
      await waitUntil(
        async () => !(await fileText(file)).includes(started.arn),
        'the stopped task gone from the file_sd output',
        10_000,
      );
      // A task known only from the first refresh (no event seen for it before its stop).
      const polled = sim
        .groundTruth()
        .tasks.find((task) => task.cluster === 'prod' && task.lastStatus === 'RUNNING');
      assert.ok(polled);
      assert.ok((await fileText(file)).includes(polled.taskArn));
      sim.stopTask(polled.taskArn);
      await waitUntil(
        async () => !(await fileText(file)).includes(polled.taskArn),
        'a polled task gone from the file_sd output after its stop events',
        10_000,
      );
      // Event refreshes cover only the changed cluster of the event source; the periodic timer waits 10m.
      assert.ok(daemon.scheduled());
      assert.ok((await metricSum(metrics, 'ecs_sd_refreshes_total')) > refreshes);
    } finally {
      sqs.destroy();
      await daemon.stop();
    }
  });

  test('an unreadable queue makes the source unhealthy and polling at refresh_interval continues', async () => {
    const file = join(dir, 'outage.json');
    const { daemon, metrics } = startDaemon(file, '1s');
    const fault = sim.faults.add({ operation: 'ReceiveMessage', kind: 'http500', rate: 1 });
    try {
      await waitUntil(() => daemon.state.ready(), 'the first refresh');
      await waitUntil(
        async () => (await metricValue(metrics, 'ecs_sd_events_healthy', { source: 'sim' })) === 0,
        'the events source unhealthy',
      );
      const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
      assert.ok(started?.arn);
      await waitUntil(
        async () => (await fileText(file)).includes(started.arn),
        'the started task found by polling while the queue is unreadable',
      );
      sim.faults.remove(fault);
      await waitUntil(
        async () => (await metricValue(metrics, 'ecs_sd_events_healthy', { source: 'sim' })) === 1,
        'the events source healthy again',
      );
      sim.stopTask(started.arn);
      await waitUntil(
        async () => !(await fileText(file)).includes(started.arn),
        'the stopped task gone after recovery',
      );
    } finally {
      sim.faults.remove(fault);
      await daemon.stop();
    }
  });
});
