import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type Sim, startSim } from '../src/index.ts';
import { clients, rejects } from './helpers.ts';

describe('sqs', () => {
  let sim: Sim;
  let sqs: SQSClient;
  before(async () => {
    sim = await startSim({ throttling: false });
    sqs = clients(sim).sqs;
  });
  after(() => sim.close());

  it('creates a queue, sends, receives with a receipt handle and deletes', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'q1', Attributes: { VisibilityTimeout: '1' } }),
    );
    assert.equal(QueueUrl, `${sim.endpoint}/123456789012/q1`);
    assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'q1' }))).QueueUrl, QueueUrl);
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    assert.ok(sent.MessageId);
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    );
    assert.equal(got.Messages?.length, 1);
    assert.equal(got.Messages![0]!.Body, 'hello');
    assert.equal(got.Messages![0]!.Attributes?.ApproximateReceiveCount, '1');
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    assert.equal(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible, '1');
    assert.equal(attrs.Attributes?.QueueArn, 'arn:aws:sqs:us-east-1:123456789012:q1');
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    assert.equal(again.Messages, undefined, 'invisible during the visibility timeout');
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }));
    const e = await rejects(() => sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'bogus' })));
    assert.equal(e.name, 'ReceiptHandleIsInvalid');
  });

  it('long polling wakes up early when a message arrives', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q2' }));
    const started = Date.now();
    const pending = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' })), 100);
    const got = await pending;
    assert.equal(got.Messages?.[0]?.Body, 'late');
    assert.ok(Date.now() - started < 5000);
  });

  it('reports a missing queue as QueueDoesNotExist with the query-compatible code', async () => {
    const e = await rejects(() => sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })));
    assert.equal(e.name, 'QueueDoesNotExist');
    const res = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.GetQueueUrl', 'content-type': 'application/x-amz-json-1.0' },
      body: '{"QueueName":"nope"}',
    });
    assert.equal(res.headers.get('x-amzn-query-error'), 'AWS.SimpleQueueService.NonExistentQueue;Sender');
    const w = await rejects(() =>
      sqs.send(
        new ReceiveMessageCommand({ QueueUrl: `${sim.endpoint}/123456789012/q2`, WaitTimeSeconds: 21 }),
      ),
    );
    assert.equal(w.name, 'InvalidParameterValue');
  });

  it('close() ends a pending long poll', async () => {
    const other = await startSim({ throttling: false });
    const c = clients(other).sqs;
    const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: 'w' }));
    const pending = c
      .send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }))
      .catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    const t0 = Date.now();
    await other.close();
    await pending;
    assert.ok(Date.now() - t0 < 3000);
  });
});

describe('events', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({
      throttling: false,
      eventsQueue: 'ecs-events',
      lifecycle: { provisioningMs: 0, pendingMs: 0, stoppingMs: 0, deprovisioningMs: 0 },
      fleet: {
        taskDefinitions: [
          {
            family: 'b',
            networkMode: 'bridge',
            containerDefinitions: [{ name: 'c', image: 'i', portMappings: [{ containerPort: 80 }] }],
          },
        ],
        clusters: [{ name: 'ev', instances: [{ count: 1 }] }],
      },
    });
  });
  after(() => sim.close());

  it('publishes ECS Task State Change events with increasing detail.version', async () => {
    const { ecs, sqs } = clients(sim);
    const QueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-events' }))).QueueUrl!;
    const run = await ecs.send(new RunTaskCommand({ cluster: 'ev', taskDefinition: 'b' }));
    const arn = run.tasks![0]!.taskArn!;
    await ecs.send(new StopTaskCommand({ cluster: 'ev', task: arn }));
    const events: Record<string, unknown>[] = [];
    for (
      let i = 0;
      i < 10 && !events.some((e) => (e['detail'] as { lastStatus: string }).lastStatus === 'STOPPED');
      i++
    ) {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of r.Messages ?? []) {
        events.push(JSON.parse(m.Body!) as Record<string, unknown>);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    const task = events.filter((e) => e['detail-type'] === 'ECS Task State Change');
    assert.deepEqual(
      task.map((e) => (e['detail'] as { lastStatus: string }).lastStatus),
      ['PENDING', 'RUNNING', 'STOPPING', 'STOPPED'],
    );
    const versions = task.map((e) => (e['detail'] as { version: number }).version);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
    assert.equal(new Set(versions).size, versions.length);
    const first = task[0]!;
    assert.equal(first['source'], 'aws.ecs');
    assert.equal(first['account'], '123456789012');
    assert.deepEqual(first['resources'], [arn]);
    const running = task[1]!['detail'] as {
      containers: { networkBindings: { hostPort: number }[] }[];
      updatedAt: string;
    };
    assert.ok(running.containers[0]!.networkBindings[0]!.hostPort >= 32768);
    assert.ok(running.updatedAt);
  });

  it('publishes Container Instance State Change events', async () => {
    const { ecs, sqs } = clients(sim);
    const QueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-events' }))).QueueUrl!;
    const { RegisterContainerInstanceCommand } = await import('@aws-sdk/client-ecs');
    await ecs.send(new RegisterContainerInstanceCommand({ cluster: 'ev' }));
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    const ev = (r.Messages ?? []).map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
    const ci = ev.find((e) => e['detail-type'] === 'ECS Container Instance State Change');
    assert.ok(ci);
    assert.match((ci['detail'] as { ec2InstanceId: string }).ec2InstanceId, /^i-/);
  });
});
