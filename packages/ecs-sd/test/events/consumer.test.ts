import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  type ContainerInstance,
  DescribeTasksCommand,
  RegisterContainerInstanceCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { CreateQueueCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { createCoalescer } from '../../src/events/coalesce.ts';
import {
  backoffDelay,
  EventConsumer,
  type EventConsumerOptions,
  type EventMetrics,
  MAX_RECEIVES,
} from '../../src/events/consumer.ts';
import { type EcsEvent, parseMessage, type TaskStateChange } from '../../src/events/parse.ts';
import { type ApplyResult, TaskStore } from '../../src/events/task-store.ts';
import { poisonBodies, taskBody } from './fixtures.ts';
import {
  clusterArn,
  countingMetrics,
  drain,
  FLEET,
  LIFECYCLE,
  pollTasks,
  queueDepth,
  runningTruth,
  sendAll,
  settled,
  simClients,
} from './sim.ts';

/** A TaskStore plus the task copies the daemon's state would hold: what these tests look at. */
class Mirror {
  readonly store: TaskStore;
  readonly #tasks = new Map<string, Task>();
  readonly #instances = new Map<string, ContainerInstance>();

  constructor(selected: (clusterArn: string) => boolean) {
    this.store = new TaskStore({ selected });
  }

  apply(event: EcsEvent): ApplyResult {
    const result = this.store.apply(event);
    if (result.change !== 'upsert' && result.change !== 'remove') return result;
    const pending =
      event.kind === 'task'
        ? this.store.takeTasks(event.clusterArn, [event.taskArn])
        : this.store.takeContainerInstances(event.clusterArn, [event.containerInstanceArn]);
    const into: Map<string, Task | ContainerInstance> = event.kind === 'task' ? this.#tasks : this.#instances;
    for (const value of pending.upserts) {
      const arn = 'taskArn' in value ? value.taskArn : (value as ContainerInstance).containerInstanceArn;
      into.set(arn!, value);
    }
    for (const arn of pending.removals) into.delete(arn);
    return result;
  }

  reconcile(clusterArn: string, polled: Task[], options: { polledAt: number }) {
    const result = this.store.observePoll(clusterArn, {
      listed: polled.map((task) => task.taskArn!),
      described: polled,
      polledAt: options.polledAt,
    });
    const byArn = new Map(polled.map((task) => [task.taskArn!, task]));
    const live = new Set(this.store.liveTaskArns(clusterArn));
    for (const arn of [...this.#tasks.keys()]) if (!live.has(arn)) this.#tasks.delete(arn);
    for (const arn of live) {
      const task = byArn.get(arn);
      if (task !== undefined && (this.#tasks.get(arn)?.version ?? -1) <= (task.version ?? 0))
        this.#tasks.set(arn, task);
    }
    return result;
  }

  tasks(_clusterArn: string): Task[] {
    return [...this.#tasks.values()];
  }

  containerInstances(_clusterArn: string): ContainerInstance[] {
    return [...this.#instances.values()];
  }

  taskVersion(clusterArn: string, taskArn: string) {
    return this.store.taskVersion(clusterArn, taskArn);
  }
}

describe('backoffDelay', () => {
  test('doubles per failure from the initial delay, capped, with half of it random', () => {
    const low = () => 0;
    const high = () => 0.999999;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 30_000, low)),
      [500, 1000, 2000, 4000, 8000, 15_000, 15_000],
    );
    assert.deepEqual(
      [1, 2, 3, 6, 50].map((n) => backoffDelay(n, 1000, 30_000, high)),
      [1000, 2000, 4000, 30_000, 30_000],
    );
  });
});

describe('EventConsumer against ecs-sim (real SQS client)', () => {
  let sim: Sim;
  let clients: ReturnType<typeof simClients>;
  let queueUrl: string;
  let prod: string;
  let consumer: EventConsumer | undefined;

  before(async () => {
    sim = await startSim({ fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
    sim.setEventsQueue('ecs-events');
    clients = simClients(sim);
    queueUrl = `${sim.endpoint}/${sim.accountId}/ecs-events`;
    prod = clusterArn(sim, 'prod');
  });
  after(async () => {
    clients.destroy();
    await sim.close();
  });
  beforeEach(() => {
    sim.setEventsQueue('ecs-events');
    sim.faults.clear();
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    // Purge, not drain: a test may leave messages in flight (invisible) that would come back later.
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  });

  /** A store selecting `prod`, seeded by a poll, and a consumer applying events to it. */
  async function start(options: Partial<EventConsumerOptions> = {}) {
    const store = new Mirror((arn) => arn === prod);
    const polledAt = Date.now();
    store.reconcile(prod, await pollTasks(clients.ecs, 'prod'), { polledAt });
    const { counts, metrics } = countingMetrics();
    const health: string[] = [];
    let batches = 0;
    consumer = new EventConsumer({
      client: clients.sqs,
      queueUrl,
      onEvent: (event) => store.apply(event).change,
      onBatch: () => void batches++,
      onHealthChange: (h) => void health.push(h),
      metrics,
      waitTimeSeconds: 1,
      ...options,
    });
    consumer.start();
    return { store, counts, health, batches: () => batches };
  }

  const storeArns = (store: Mirror) =>
    store
      .tasks(prod)
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => t.taskArn ?? '')
      .sort();

  test('follows started and stopped tasks until the store equals ecs-sim’s RUNNING tasks', async () => {
    const { store, counts } = await start();
    assert.deepEqual(storeArns(store), runningTruth(sim, 'prod'), 'the poll seeds the store');
    const serviceTask = sim.groundTruth().tasks.find((t) => t.cluster === 'prod' && t.service === 'web');
    assert.ok(serviceTask);
    sim.runTask({ cluster: 'prod', taskDefinition: 'web', count: 2, launchType: 'FARGATE' });
    sim.runTask({ cluster: 'prod', taskDefinition: 'api', count: 1, launchType: 'EC2' });
    sim.runTask({ cluster: 'other', taskDefinition: 'api', count: 1, launchType: 'EC2' });
    sim.stopTask(serviceTask.taskArn);

    await waitUntil(
      'the store to equal the RUNNING tasks of prod',
      () =>
        settled(sim, 'prod') &&
        JSON.stringify(storeArns(store)) === JSON.stringify(runningTruth(sim, 'prod')) &&
        counts.ignored > 0,
      {
        describe: () => JSON.stringify({ store: storeArns(store), truth: runningTruth(sim, 'prod'), counts }),
      },
    );
    assert.equal(storeArns(store).includes(serviceTask.taskArn), false, 'the stopped task is gone');
    assert.equal(runningTruth(sim, 'prod').length, 3 + 2 + 3, 'the service replaced its stopped task');
    assert.ok(counts.applied.remove >= 1);
    assert.equal(Object.keys(counts.malformed).length, 0);
    assert.ok(
      counts.lags.every((s) => s >= 0 && s < 10),
      `lags ${counts.lags.join(',')}`,
    );
    await waitUntil('every handled message deleted', () => counts.deleted === counts.received);

    // The event's task is what DescribeTasks says of the same version (events carry no tags, as on ECS):
    // discovery needs no API call.
    const live = store.tasks(prod);
    const described = await clients.ecs.send(
      new DescribeTasksCommand({
        cluster: 'prod',
        tasks: live.map((t) => t.taskArn ?? ''),
        include: ['TAGS'],
      }),
    );
    for (const task of live) {
      const same = described.tasks?.find((d) => d.taskArn === task.taskArn);
      assert.ok(same, `${task.taskArn} is described`);
      assert.equal(task.version, same.version, `${task.taskArn} is at its latest version`);
      const { tags: _eventTags, ...event } = task;
      const { tags: _describedTags, ...expected } = same;
      assert.deepEqual(event, expected, `${task.taskArn}: event and DescribeTasks shapes differ`);
    }
  });

  test('duplicates and out-of-order deliveries end in the newest state; a stopped task stays stopped', async () => {
    // Record the real events of one task's life on a side queue, then replay them in a hostile order.
    sim.setEventsQueue('capture');
    const captureUrl = `${sim.endpoint}/${sim.accountId}/capture`;
    const [task] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(task);
    await waitUntil('the task to run', () => sim.findTask(task.arn)?.lastStatus === 'RUNNING');
    const runningBodies = await drain(clients.sqs, captureUrl);
    sim.stopTask(task.arn);
    await waitUntil('the task to stop', () => sim.findTask(task.arn)?.lastStatus === 'STOPPED');
    const stopBodies = await drain(clients.sqs, captureUrl);
    sim.setEventsQueue('ecs-events');

    const versionOf = (body: string) => {
      const parsed = parseMessage(body);
      assert.ok(parsed.ok && parsed.event.kind === 'task');
      return parsed.event as TaskStateChange;
    };
    const running = runningBodies.filter((b) => versionOf(b).taskArn === task.arn);
    const stopping = stopBodies.filter((b) => versionOf(b).taskArn === task.arn);
    assert.ok(running.length >= 2, `events up to RUNNING: ${running.length}`);
    const newest = versionOf(running.at(-1)!);
    assert.equal(newest.task.lastStatus, 'RUNNING');

    const { store, counts } = await start();
    // Newest first, each twice: only the first delivery applies.
    const hostile = [...running].reverse().flatMap((b) => [b, b]);
    await sendAll(clients.sqs, queueUrl, hostile);
    await waitUntil('every replayed message handled', () => counts.deleted >= hostile.length, {
      describe: () => JSON.stringify(counts),
    });
    assert.equal(counts.stale, hostile.length - 1);
    assert.deepEqual(store.taskVersion(prod, task.arn), { version: newest.version, stopped: false });
    assert.equal(store.tasks(prod).find((t) => t.taskArn === task.arn)?.lastStatus, 'RUNNING');

    // The STOPPED event, then every older event again: none brings the task back.
    const stopped = stopping.at(-1)!;
    assert.equal(versionOf(stopped).task.lastStatus, 'STOPPED');
    const late = [stopped, ...running, ...stopping];
    await sendAll(clients.sqs, queueUrl, late);
    await waitUntil('the late events handled', () => counts.deleted >= hostile.length + late.length, {
      describe: () => JSON.stringify(counts),
    });
    assert.equal(counts.stale, hostile.length - 1 + late.length - 1);
    assert.equal(
      store.tasks(prod).some((t) => t.taskArn === task.arn),
      false,
    );
    assert.deepEqual(store.taskVersion(prod, task.arn), {
      version: versionOf(stopped).version,
      stopped: true,
    });
    assert.equal(await queueDepth(clients.sqs, queueUrl), 0);
  });

  test('a container instance that registers appears among the cluster’s container instances', async () => {
    const { store } = await start();
    const out = await clients.ecs.send(new RegisterContainerInstanceCommand({ cluster: 'prod' }));
    const arn = out.containerInstance?.containerInstanceArn;
    assert.ok(arn);
    const ci = await waitUntil('the container instance event', () =>
      store.containerInstances(prod).find((c) => c.containerInstanceArn === arn),
    );
    assert.equal(ci.status, 'ACTIVE');
    assert.equal(ci.ec2InstanceId, out.containerInstance?.ec2InstanceId);
    assert.ok(ci.registeredAt instanceof Date);
  });

  test('malformed messages are counted by reason and deleted, and the consumer keeps going', async () => {
    const { store, counts } = await start();
    await sendAll(clients.sqs, queueUrl, [
      'not json at all',
      '[1,2,3]',
      JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }),
      JSON.stringify({ source: 'aws.ecs', 'detail-type': 'ECS Service Action', detail: {} }),
      JSON.stringify({
        source: 'aws.ecs',
        'detail-type': 'ECS Task State Change',
        id: 'x',
        detail: { lastStatus: 'RUNNING' },
      }),
    ]);
    await waitUntil('five malformed messages', () => counts.deleted >= 5, {
      describe: () => JSON.stringify(counts),
    });
    assert.deepEqual(counts.malformed, {
      'not-json': 1,
      'not-an-object': 1,
      'not-ecs-event': 1,
      'unknown-detail-type': 1,
      'missing-fields': 1,
    });
    assert.equal(consumer?.running, true);
    assert.equal(consumer?.health, 'healthy');
    assert.equal(
      await queueDepth(clients.sqs, queueUrl),
      0,
      'malformed messages are deleted, not redelivered',
    );
    const [task] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    await waitUntil('a real event after the malformed ones', () =>
      store.tasks(prod).some((t) => t.taskArn === task?.arn && t.lastStatus === 'RUNNING'),
    );
  });

  test('every poison body is deleted and counted by reason, and the events after them still apply', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { store, counts } = await start();
      const poison = poisonBodies(prod);
      await sendAll(
        clients.sqs,
        queueUrl,
        poison.map((p) => p.body),
      );
      const [task] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
      await waitUntil(
        'every poison message deleted and the task after them applied',
        () =>
          Object.values(counts.malformed).reduce((a, b) => a + b, 0) === poison.length &&
          store.tasks(prod).some((t) => t.taskArn === task?.arn && t.lastStatus === 'RUNNING'),
        { describe: () => JSON.stringify(counts) },
      );
      const expected: Record<string, number> = {};
      for (const p of poison) expected[p.reason] = (expected[p.reason] ?? 0) + 1;
      assert.deepEqual(counts.malformed, expected);
      assert.equal(counts.handlerFailed, 0);
      await waitUntil('the queue empty', async () => (await queueDepth(clients.sqs, queueUrl)) === 0);
      assert.equal(consumer?.running, true);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  /** A queue whose messages come back at once after a failed handling (VisibilityTimeout 0). */
  async function instantRedeliveryQueue(name: string): Promise<string> {
    const out = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '0' } }),
    );
    assert.ok(out.QueueUrl);
    return out.QueueUrl;
  }

  test(`a handler that throws leaves the message for redelivery, then deletes it on its ${MAX_RECEIVES}rd receive`, async () => {
    const url = await instantRedeliveryQueue('throwing-handler');
    const seen: number[] = [];
    const { counts } = await start({
      queueUrl: url,
      onEvent: (event) => {
        seen.push(event.version);
        throw new Error('store unavailable');
      },
    });
    await sendAll(clients.sqs, url, [taskBody({ version: 7 })]);
    await waitUntil('the message deleted as handler-failed', () => counts.malformed['handler-failed'] === 1, {
      describe: () => JSON.stringify(counts),
    });
    assert.deepEqual(seen, [7, 7, 7], 'handled on each of its three receives');
    assert.equal(counts.handlerFailed, MAX_RECEIVES);
    await waitUntil('the queue empty', () => counts.deleted === 1);
    assert.equal(await queueDepth(clients.sqs, url), 0);
  });

  test('without ApproximateReceiveCount (a queue that gives none), the consumer counts the receives itself', async () => {
    const url = await instantRedeliveryQueue('no-receive-count');
    let stripped = 0;
    const sqs = new SQSClient({
      endpoint: sim.endpoint,
      region: sim.region,
      credentials: { accessKeyId: 'AKIDECSSDTEST', secretAccessKey: 'ecs-sd-test-secret' },
      maxAttempts: 1,
    });
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const messages = (out.output as { Messages?: { Attributes?: unknown }[] }).Messages ?? [];
        for (const message of messages) {
          if (message.Attributes !== undefined) stripped++;
          delete message.Attributes;
        }
        return out;
      },
      { step: 'initialize', name: 'dropReceiveCount' },
    );
    let calls = 0;
    try {
      const { counts } = await start({
        client: sqs,
        queueUrl: url,
        maxReceives: 2,
        onEvent: () => {
          calls++;
          throw new Error('always');
        },
      });
      await sendAll(clients.sqs, url, [taskBody()]);
      await waitUntil('the message deleted', () => counts.malformed['handler-failed'] === 1, {
        describe: () => JSON.stringify(counts),
      });
      assert.equal(calls, 2);
      assert.equal(stripped, 2, 'SQS sent ApproximateReceiveCount and the middleware removed it');
      await waitUntil('the queue empty', async () => (await queueDepth(clients.sqs, url)) === 0);
    } finally {
      await consumer?.stop();
      consumer = undefined;
      sqs.destroy();
    }
  });

  test('metrics, logger and owner callbacks that throw do not stop the consumer or escape as rejections', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const boom = () => {
      throw new Error('callback failed');
    };
    const metrics: Required<EventMetrics> = {
      received: boom,
      deleted: boom,
      deleteFailed: boom,
      malformed: boom,
      applied: boom,
      stale: boom,
      ignored: boom,
      handlerFailed: boom,
      receiveError: boom,
      lag: boom,
      health: boom,
    };
    const log = { warn: boom, info: boom, debug: boom };
    try {
      const { store } = await start({
        metrics,
        log: log as never,
        onBatch: boom,
        onHealthChange: boom,
        unhealthyAfter: 1,
        backoffInitialMs: 10,
        backoffMaxMs: 20,
      });
      sim.faults.add({ operation: 'ReceiveMessage', kind: 'http500', count: 2 });
      await sendAll(clients.sqs, queueUrl, ['not json', poisonBodies(prod)[0]!.body]);
      const [task] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
      await waitUntil('the task applied despite every callback throwing', () =>
        store.tasks(prod).some((t) => t.taskArn === task?.arn && t.lastStatus === 'RUNNING'),
      );
      await waitUntil('the queue empty', async () => (await queueDepth(clients.sqs, queueUrl)) === 0);
      assert.equal(consumer?.running, true);
      assert.equal(consumer?.health, 'healthy');
      await consumer?.stop();
      assert.equal(consumer?.running, false);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('a queue outage makes it unhealthy, then healthy again, and events sent meanwhile arrive', async () => {
    const { store, counts, health } = await start({
      unhealthyAfter: 3,
      backoffInitialMs: 20,
      backoffMaxMs: 100,
    });
    sim.faults.add({ operation: 'ReceiveMessage', kind: 'http500', count: 5 });
    const [task] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(task);
    await waitUntil('unhealthy, then healthy again', () => health.join(',') === 'unhealthy,healthy', {
      describe: () => JSON.stringify({ health, counts }),
    });
    assert.equal(counts.receiveErrors.length, 5);
    assert.ok(
      counts.receiveErrors.every((code) => code !== 'Unknown'),
      counts.receiveErrors.join(','),
    );
    assert.deepEqual(counts.health, ['unhealthy', 'healthy']);
    await waitUntil('the event sent during the outage', () =>
      store.tasks(prod).some((t) => t.taskArn === task.arn && t.lastStatus === 'RUNNING'),
    );
    assert.equal(consumer?.consecutiveFailures, 0);
  });

  test('a queue that does not exist makes it unhealthy with the AWS error name', async () => {
    const { counts } = await start({
      queueUrl: `${sim.endpoint}/${sim.accountId}/no-such-queue`,
      unhealthyAfter: 2,
      backoffInitialMs: 10,
      backoffMaxMs: 20,
    });
    await waitUntil('unhealthy', () => consumer?.health === 'unhealthy');
    assert.equal(counts.receiveErrors[0], 'QueueDoesNotExist');
    assert.equal((consumer?.lastError as Error | undefined)?.name, 'QueueDoesNotExist');
  });

  test('two receivers read a burst together: every message handled once, both long polls stop promptly', async () => {
    const handled = new Map<string, number>();
    const bodies = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ ...JSON.parse(taskBody({ version: i + 1 })), id: `burst-${i}` }),
    );
    await sendAll(clients.sqs, queueUrl, bodies);
    consumer = new EventConsumer({
      client: clients.sqs,
      queueUrl,
      receivers: 2,
      waitTimeSeconds: 20,
      onEvent: (event) => {
        handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
        return 'stale';
      },
    });
    consumer.start();
    await waitUntil('every message handled', () => handled.size === bodies.length);
    const queue = sim.world.accounts.get(sim.accountId)?.queues.get('ecs-events');
    await waitUntil('two long polls waiting in the queue', () => (queue?.waiters.size ?? 0) === 2);
    const t0 = Date.now();
    await consumer.stop();
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual([...new Set(handled.values())], [1], 'no message handled twice');
    assert.equal(await queueDepth(clients.sqs, queueUrl), 0, 'every handled message deleted');
    assert.throws(
      () => new EventConsumer({ client: clients.sqs, queueUrl, receivers: 0, onEvent: () => 'stale' }),
      /receivers is 0, expected an integer of at least 1/,
    );
  });

  test('stop() ends a 20 s long poll promptly', async () => {
    await start({ waitTimeSeconds: 20 });
    const queue = sim.world.accounts.get(sim.accountId)?.queues.get('ecs-events');
    await waitUntil('a long poll waiting in the queue', () => (queue?.waiters.size ?? 0) > 0);
    const t0 = Date.now();
    await consumer?.stop();
    const took = Date.now() - t0;
    assert.ok(took < 1000, `stop took ${took}ms`);
    assert.equal(consumer?.running, false);
  });

  test('events lost while the consumer was down are healed by the reconcile poll', async () => {
    const { store } = await start();
    await consumer?.stop();
    sim.setEventsQueue(undefined);
    const before = runningTruth(sim, 'prod');
    const serviceTask = sim
      .groundTruth()
      .tasks.find((t) => t.cluster === 'prod' && t.service === 'web' && t.lastStatus === 'RUNNING');
    assert.ok(serviceTask);
    sim.runTask({ cluster: 'prod', taskDefinition: 'web', count: 2, launchType: 'FARGATE' });
    sim.stopTask(serviceTask.taskArn);
    await waitUntil(
      'prod to settle',
      () => settled(sim, 'prod') && runningTruth(sim, 'prod').length === before.length + 2,
    );
    assert.notDeepEqual(storeArns(store), runningTruth(sim, 'prod'), 'no event told the store');
    const polledAt = Date.now();
    const result = store.reconcile(prod, await pollTasks(clients.ecs, 'prod'), { polledAt });
    assert.ok(result.removed >= 1 && result.updated >= 3, JSON.stringify(result));
    assert.deepEqual(storeArns(store), runningTruth(sim, 'prod'));
  });

  test('with a coalescer, a burst of events publishes within a second of the first and only a few times', async () => {
    const publishes: number[] = [];
    const coalescer = createCoalescer(() => void publishes.push(Date.now()), {
      delayMs: 100,
      maxDelayMs: 1000,
    });
    const { store } = await start({ onBatch: () => coalescer.trigger() });
    const t0 = Date.now();
    const tasks = sim.runTask({ cluster: 'prod', taskDefinition: 'web', count: 10, launchType: 'FARGATE' });
    await waitUntil('the burst applied', () =>
      tasks.every((t) => store.tasks(prod).some((s) => s.taskArn === t.arn && s.lastStatus === 'RUNNING')),
    );
    await coalescer.flush();
    assert.ok(publishes.length >= 1);
    assert.ok(publishes[0]! - t0 < 1000, `first publish after ${publishes[0]! - t0}ms`);
    // 10 tasks × 4 lifecycle steps = 40 events; bursts collapse them.
    assert.ok(publishes.length <= 10, `${publishes.length} publishes`);
    coalescer.cancel();
  });
});
