/**
 * Event mode against ecs-sim through the real SQS client: a task of a known task definition becomes
 * a target (and stops being one) from its events alone, with no ECS call; duplicates and reordered
 * deliveries end in the newest state; events of clusters not selected are ignored; events lost
 * are healed by the reconcile poll; an unreadable queue falls back to polling.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  DeregisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { drain, FLEET, LIFECYCLE, queueDepth, sendAll, settled, simClients } from '../events/sim.ts';
import { metricSum, metricValue, simConfig, useTestCredentials } from './helpers.ts';

const EVENTS_OPTIONS = { waitTimeSeconds: 1, unhealthyAfter: 3, backoffInitialMs: 20, backoffMaxMs: 100 };
/** SQS operations: the daemon's own (ReceiveMessage, DeleteMessageBatch) and the test's. */
const SQS_OPERATIONS = new Set([
  'ReceiveMessage',
  'DeleteMessageBatch',
  'SendMessage',
  'GetQueueAttributes',
  'PurgeQueue',
]);

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
  let rawUrl: string;
  let clients: ReturnType<typeof simClients>;
  let daemon: Runtime | undefined;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
    sim.setEventsQueue('ecs-events');
    queueUrl = `${sim.endpoint}/${sim.accountId}/ecs-events`;
    rawUrl = `${sim.endpoint}/${sim.accountId}/ecs-raw`;
    clients = simClients(sim);
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-events-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    sim.faults.clear();
    sim.setEventDelivery({});
    sim.setEventsQueue('ecs-events');
  });
  after(async () => {
    clients.destroy();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A daemon selecting `prod` with the events queue, started and through its first refresh. */
  async function startDaemon(
    file: string,
    refreshInterval: string,
    reconcileInterval = '10m',
    events: Record<string, unknown> = {},
    clusters: string[] = ['prod'],
  ) {
    const config = simConfig(
      sim.endpoint,
      `refresh_interval: ${refreshInterval}\noutput:\n  file: ${file}\n`,
      {
        clusters,
        events: { queue_url: queueUrl, reconcile_interval: reconcileInterval, ...events },
      },
    );
    const metrics = createMetrics({ defaultMetrics: false });
    daemon = createRuntime(config, { log: silentLogger(), metrics, eventsOptions: EVENTS_OPTIONS });
    daemon.start();
    const started = daemon;
    await waitUntil('the first refresh', () => started.state.ready());
    await waitUntil('the first file_sd', async () => (await fileText(file)) || undefined);
    return { daemon: started, metrics };
  }

  /** ECS, EC2 and SSM calls counted by ecs-sim since its last counter reset (SQS left out). */
  function awsCalls(): Record<string, number> {
    return Object.fromEntries(Object.entries(sim.counters()).filter(([op]) => !SQS_OPERATIONS.has(op)));
  }

  test('a task of a known task definition becomes a target and leaves again from its events alone: no ECS call', async (t) => {
    const file = join(dir, 'events.json');
    const { daemon, metrics } = await startDaemon(file, '60s');
    const refreshes = await metricSum(metrics, 'ecs_sd_refreshes_total');
    sim.resetCounters();

    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not json' }));
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
    const [elsewhere] = sim.runTask({ cluster: 'other', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(started?.arn && elsewhere?.arn);
    const t0 = Date.now();
    await waitUntil('the started task in file_sd', async () => (await fileText(file)).includes(started.arn));
    t.diagnostic(`started task in file_sd ${Date.now() - t0} ms after RunTask (refresh_interval 60s)`);
    assert.ok(daemon.state.targets().some((target) => target.labels['__meta_ecs_task_arn'] === started.arn));
    await waitUntil(
      'the event of the cluster not selected, ignored',
      async () => (await metricSum(metrics, 'ecs_sd_events_ignored_total')) > 0,
    );
    assert.equal((await fileText(file)).includes(elsewhere.arn), false);
    assert.equal(
      await metricValue(metrics, 'ecs_sd_events_malformed_total', { source: 'sim', reason: 'not-json' }),
      1,
    );
    assert.equal(await metricValue(metrics, 'ecs_sd_events_healthy', { source: 'sim' }), 1);

    sim.stopTask(started.arn);
    await waitUntil('the stopped task gone', async () => !(await fileText(file)).includes(started.arn));
    // A task known only from the first refresh (no event seen for it before its stop).
    const polled = sim.groundTruth().tasks.find((task) => task.cluster === 'prod' && task.service === 'web');
    assert.ok(polled && (await fileText(file)).includes(polled.taskArn));
    sim.stopTask(polled.taskArn);
    await waitUntil('a polled task gone', async () => !(await fileText(file)).includes(polled.taskArn));
    // The web service replaces its stopped task: that one appears too, also from events.
    await waitUntil('prod settled', () => settled(sim, 'prod'));
    await waitUntil('every running web task in file_sd', async () => {
      const text = await fileText(file);
      return sim
        .groundTruth()
        .tasks.filter(
          (task) => task.cluster === 'prod' && task.service === 'web' && task.lastStatus === 'RUNNING',
        )
        .every((task) => text.includes(task.taskArn));
    });

    assert.deepEqual(awsCalls(), {}, 'no ECS, EC2 or SSM call: the events carried the tasks');
    assert.equal(await metricSum(metrics, 'ecs_sd_refreshes_total'), refreshes, 'no poll ran');
    assert.ok((await metricSum(metrics, 'ecs_sd_events_applied_total')) >= 4);
    const delays = await metrics.eventsPublishDelay.get();
    const count = delays.values.find(
      (value) => value.metricName === 'ecs_sd_events_publish_delay_seconds_count',
    );
    assert.ok((count?.value ?? 0) >= 4, 'the publish delay of each applied event is observed');
  });

  test('a task of a new task definition revision costs one DescribeTaskDefinition, nothing else', async () => {
    const file = join(dir, 'revision.json');
    await startDaemon(file, '60s');
    const web = FLEET.taskDefinitions[0]!;
    await clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: web.cpu,
        memory: web.memory,
        containerDefinitions: [
          {
            name: 'app',
            image: 'example/web:2',
            portMappings: [{ containerPort: 9100 }],
            environment: [
              { name: 'PROMETHEUS', value: 'true' },
              { name: 'PROMETHEUS_PORT', value: '9100' },
            ],
          },
        ],
      }),
    );
    sim.resetCounters();
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'web:2', launchType: 'FARGATE' });
    assert.ok(started?.arn);
    const address = await waitUntil('the task of the new revision in file_sd', async () => {
      const groups = JSON.parse((await fileText(file)) || '[]') as {
        targets: string[];
        labels: Record<string, string>;
      }[];
      return groups.find((group) => group.labels['__meta_ecs_task_arn'] === started.arn)?.targets[0];
    });
    assert.match(address, /:9100$/);
    assert.deepEqual(awsCalls(), { DescribeTaskDefinition: 1 });
  });

  for (const describeNewTasks of [false, true]) {
    test(`task tags: ${describeNewTasks ? 'describe_new_tasks reads them with one DescribeTasks' : 'events carry none; a poll does not describe the task again (its decision is final)'}`, async () => {
      const file = join(dir, `tags-${describeNewTasks}.json`);
      const { daemon } = await startDaemon(file, '60s', '10m', { describe_new_tasks: describeNewTasks });
      sim.resetCounters();
      const run = await clients.ecs.send(
        new RunTaskCommand({
          cluster: 'prod',
          taskDefinition: 'web',
          launchType: 'FARGATE',
          tags: [{ key: 'team', value: 'payments' }],
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a'] } },
        }),
      );
      const arn = run.tasks?.[0]?.taskArn;
      assert.ok(arn);
      await waitUntil('the tagged task in file_sd', async () => (await fileText(file)).includes(arn));
      const labels = () =>
        daemon.state.targets().find((target) => target.labels['__meta_ecs_task_arn'] === arn)?.labels ?? {};
      const calls = awsCalls();
      delete calls['RunTask'];
      if (describeNewTasks) {
        assert.equal(labels()['__meta_ecs_tag_task_team'], 'payments');
        assert.deepEqual(calls, { DescribeTasks: 1 });
      } else {
        assert.equal(labels()['__meta_ecs_tag_task_team'], undefined, 'events carry no tags');
        assert.deepEqual(calls, {});
        await daemon.refresh();
        assert.equal(labels()['__meta_ecs_tag_task_team'], undefined, 'a cached task is not described again');
      }
    });
  }

  test('task tags a poll read stay on the task through every later event (events carry none)', async () => {
    const file = join(dir, 'tags-kept.json');
    const { daemon } = await startDaemon(file, '60s');
    // ecs-sim publishes to a queue the daemon does not read; the test delivers newer copies itself.
    sim.setEventsQueue('ecs-raw');
    const run = await clients.ecs.send(
      new RunTaskCommand({
        cluster: 'prod',
        taskDefinition: 'web',
        launchType: 'FARGATE',
        tags: [{ key: 'team', value: 'payments' }],
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a'] } },
      }),
    );
    const arn = run.tasks?.[0]?.taskArn;
    assert.ok(arn);
    await waitUntil('the tagged task RUNNING', () => settled(sim, 'prod'));
    const lifecycle = await drain(clients.sqs, rawUrl);
    await daemon.refresh();
    const team = () =>
      daemon.state.targets().find((target) => target.labels['__meta_ecs_task_arn'] === arn)?.labels[
        '__meta_ecs_tag_task_team'
      ];
    assert.equal(team(), 'payments', 'the poll described the task with its tags');
    // Two later events of the RUNNING task (e.g. health changes): each newer than what is known.
    const running = JSON.parse(lifecycle.findLast((body) => body.includes('"lastStatus":"RUNNING"'))!) as {
      detail: { version: number; healthStatus?: string };
    };
    for (const [bump, health] of [
      [10, 'HEALTHY'],
      [20, 'UNHEALTHY'],
    ] as const) {
      const body = structuredClone(running);
      body.detail.version += bump;
      body.detail.healthStatus = health;
      await sendAll(clients.sqs, queueUrl, [JSON.stringify(body)]);
      await waitUntil(
        `the ${health} event applied`,
        () =>
          daemon.state.targets().find((target) => target.labels['__meta_ecs_task_arn'] === arn)?.labels[
            '__meta_ecs_health_status'
          ] === health,
      );
      assert.equal(team(), 'payments', `the task tag is still on the target after the ${health} event`);
    }
  });

  test('duplicates and out-of-order deliveries end in the newest state; a stopped task never comes back', async () => {
    const file = join(dir, 'order.json');
    const { metrics } = await startDaemon(file, '60s');
    // ecs-sim publishes to a queue the daemon does not read; the test delivers those events itself.
    sim.setEventsQueue('ecs-raw');
    sim.resetCounters();
    const [task] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
    assert.ok(task?.arn);
    await waitUntil('the task RUNNING', () => settled(sim, 'prod'));
    const starting = await drain(clients.sqs, rawUrl);
    assert.ok(starting.length >= 3, `lifecycle events: ${starting.length}`);
    // Newest first, then every one again: PROVISIONING and PENDING arrive after RUNNING, twice.
    await sendAll(clients.sqs, queueUrl, [...starting].reverse());
    await sendAll(clients.sqs, queueUrl, starting);
    await waitUntil('the task in file_sd', async () => (await fileText(file)).includes(task.arn));
    await waitUntil('the queue drained', async () => (await queueDepth(clients.sqs, queueUrl)) === 0);
    assert.ok((await fileText(file)).includes(task.arn), 'older events did not undo RUNNING');
    assert.ok((await metricSum(metrics, 'ecs_sd_events_stale_total')) >= starting.length);

    sim.stopTask(task.arn);
    await waitUntil('the task STOPPED', () => settled(sim, 'prod'));
    const stopping = await drain(clients.sqs, rawUrl);
    // STOPPED first, then the stop's earlier events and the whole start again.
    await sendAll(clients.sqs, queueUrl, [...stopping].reverse());
    await waitUntil('the stopped task gone', async () => !(await fileText(file)).includes(task.arn));
    await sendAll(clients.sqs, queueUrl, [...starting, ...stopping]);
    await waitUntil('the queue drained', async () => (await queueDepth(clients.sqs, queueUrl)) === 0);
    assert.equal(
      (await fileText(file)).includes(task.arn),
      false,
      'late RUNNING events did not resurrect it',
    );
    assert.deepEqual(awsCalls(), {}, 'no ECS call');
  });

  /** Task ARNs in a file_sd output. */
  async function fileTaskArns(file: string): Promise<string[]> {
    const groups = JSON.parse((await fileText(file)) || '[]') as { labels: Record<string, string> }[];
    return [...new Set(groups.map((group) => group.labels['__meta_ecs_task_arn'] ?? ''))].sort();
  }

  /** Task ARNs of prod that a poll would list and that are RUNNING: those with targets in this fleet. */
  function runningProd(): string[] {
    return sim
      .groundTruth()
      .tasks.filter(
        (task) =>
          task.cluster === 'prod' && task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING',
      )
      .map((task) => task.taskArn)
      .sort();
  }

  test('a container instance that leaves takes its tasks’ targets with it; their replacements appear', async () => {
    const file = join(dir, 'instance.json');
    await startDaemon(file, '60s');
    const host = sim
      .groundTruth()
      .tasks.find((task) => task.cluster === 'prod' && task.containerInstanceArn !== undefined);
    assert.ok(host?.containerInstanceArn);
    const onHost = sim
      .groundTruth()
      .tasks.filter((task) => task.containerInstanceArn === host.containerInstanceArn)
      .map((task) => task.taskArn);
    await clients.ecs.send(
      new DeregisterContainerInstanceCommand({
        cluster: 'prod',
        containerInstance: host.containerInstanceArn,
        force: true,
      }),
    );
    await waitUntil('the tasks of the deregistered instance gone from file_sd', async () => {
      const arns = await fileTaskArns(file);
      return settled(sim, 'prod') && onHost.every((arn) => !arns.includes(arn));
    });
    await waitUntil(
      'file_sd equal to the RUNNING tasks of prod',
      async () => JSON.stringify(await fileTaskArns(file)) === JSON.stringify(runningProd()),
    );
  });

  test('under delivery chaos (duplicates, delays that reorder, drops) the outputs equal ecs-sim after the next reconcile', async () => {
    const file = join(dir, 'chaos.json');
    const { metrics } = await startDaemon(file, '60s', '3s', { consistency_check_interval: '1s' });
    sim.setEventDelivery({ duplicateRate: 0.3, delayRate: 0.5, maxDelayMs: 400, dropRate: 0.1 });
    const services = sim
      .groundTruth()
      .tasks.filter((task) => task.service === 'web' && task.lastStatus === 'RUNNING');
    for (const task of services.slice(0, 2)) sim.stopTask(task.taskArn);
    sim.runTask({ cluster: 'prod', taskDefinition: 'web', count: 3, launchType: 'FARGATE' });
    sim.runTask({ cluster: 'prod', taskDefinition: 'api', count: 2, launchType: 'EC2' });
    await waitUntil('prod settled', () => settled(sim, 'prod'));
    const delivery = sim.eventDelivery().counts;
    assert.ok(delivery.duplicated > 0 && delivery.delayed > 0, JSON.stringify(delivery));
    const polls = await metricSum(metrics, 'ecs_sd_refreshes_total');
    await waitUntil(
      'file_sd equal to the RUNNING tasks of prod after a reconcile',
      async () =>
        (await metricSum(metrics, 'ecs_sd_refreshes_total')) > polls &&
        JSON.stringify(await fileTaskArns(file)) === JSON.stringify(runningProd()),
      { timeoutMs: 15_000 },
    );
    assert.ok(
      (await metricSum(metrics, 'ecs_sd_events_stale_total')) > 0,
      'duplicates were seen and ignored',
    );
  });

  test('a slow poll of another cluster does not hold events back', async () => {
    const file = join(dir, 'slow-poll.json');
    const { daemon } = await startDaemon(file, '60s', '10m', {}, ['prod', 'other']);
    sim.faults.add({ operation: 'ListTasks', kind: 'latency', latencyMs: 4000, cluster: 'other' });
    let polled = false;
    const poll = daemon.refresh().then(() => {
      polled = true;
    });
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
    assert.ok(started?.arn);
    await waitUntil('the started task in file_sd', async () => (await fileText(file)).includes(started.arn));
    assert.equal(
      polled,
      false,
      'the task became a target while the full poll was still reading the other cluster',
    );
    await poll;
    assert.ok((await fileText(file)).includes(started.arn), 'the poll kept the task events added');
  });

  test('events lost (never delivered) are healed by the reconcile poll', async () => {
    const file = join(dir, 'lost.json');
    const { metrics } = await startDaemon(file, '60s', '2s', { consistency_check_interval: '1s' });
    sim.setEventsQueue('ecs-raw');
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(started?.arn);
    const polls = await metricSum(metrics, 'ecs_sd_refreshes_total');
    await waitUntil('the task found by a reconcile', async () =>
      (await fileText(file)).includes(started.arn),
    );
    assert.ok((await metricSum(metrics, 'ecs_sd_refreshes_total')) > polls);
    sim.stopTask(started.arn);
    await waitUntil(
      'the stop found by a reconcile',
      async () => !(await fileText(file)).includes(started.arn),
    );
  });

  test('an unreadable queue makes the source unhealthy and polling at refresh_interval continues', async () => {
    const file = join(dir, 'outage.json');
    const { metrics } = await startDaemon(file, '1s');
    const fault = sim.faults.add({ operation: 'ReceiveMessage', kind: 'http500', rate: 1 });
    await waitUntil(
      'the events source unhealthy',
      async () => (await metricValue(metrics, 'ecs_sd_events_healthy', { source: 'sim' })) === 0,
    );
    assert.ok((await metricSum(metrics, 'ecs_sd_events_receive_errors_total')) >= 3);
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(started?.arn);
    await waitUntil('the started task found by polling while the queue is unreadable', async () =>
      (await fileText(file)).includes(started.arn),
    );
    sim.faults.remove(fault);
    await waitUntil(
      'the events source healthy again',
      async () => (await metricValue(metrics, 'ecs_sd_events_healthy', { source: 'sim' })) === 1,
    );
    sim.stopTask(started.arn);
    await waitUntil(
      'the stopped task gone after recovery',
      async () => !(await fileText(file)).includes(started.arn),
    );
  });
});
