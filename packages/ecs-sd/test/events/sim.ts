/**
 * Helpers of the event-mode integration tests: an ecs-sim fleet, real SDK clients pointed at it,
 * a poll of one cluster as the daemon's reconcile would do it, and counting metrics.
 */
import { DescribeTasksCommand, ECSClient, paginateListTasks, type Task } from '@aws-sdk/client-ecs';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Sim } from 'ecs-sim';
import type { ConsumerHealth, DropReason, EventMetrics } from '../../src/events/consumer.ts';

/** Two clusters: `prod` (selected in the tests) with a FARGATE service and a bridge task, `other` (not selected). */
export const FLEET = {
  subnets: [{ id: 'subnet-a', cidr: '127.1.0.0/16', availabilityZone: 'us-east-1a' }],
  taskDefinitions: [
    {
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE', 'EC2'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'app',
          image: 'example/web:1',
          portMappings: [{ containerPort: 8080 }],
          environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: '8080' },
        },
      ],
    },
    {
      family: 'api',
      networkMode: 'bridge',
      containerDefinitions: [
        {
          name: 'api',
          image: 'example/api:3',
          portMappings: [{ containerPort: 8080 }],
          dockerLabels: { PROMETHEUS_EXPORTER_PORT: '8080' },
        },
      ],
    },
  ],
  clusters: [
    {
      name: 'prod',
      tags: { env: 'prod' },
      instances: [{ count: 2, launchType: 'EC2', instanceType: 'm5.large', subnet: 'subnet-a' }],
      services: [
        {
          name: 'web',
          taskDefinition: 'web',
          desiredCount: 3,
          launchType: 'FARGATE',
          subnet: 'subnet-a',
          tags: { team: 'web' },
        },
      ],
      tasks: [{ taskDefinition: 'api', count: 2, launchType: 'EC2' }],
    },
    {
      name: 'other',
      instances: [{ count: 1, launchType: 'EC2', subnet: 'subnet-a' }],
      tasks: [{ taskDefinition: 'api', count: 1, launchType: 'EC2' }],
    },
  ],
};

/** Short lifecycle steps so started and stopped tasks settle in well under a second. */
export const LIFECYCLE = {
  provisioningMs: 10,
  pendingMs: 20,
  activatingMs: 0,
  deactivatingMs: 0,
  stoppingMs: 20,
  deprovisioningMs: 10,
};

const credentials = { accessKeyId: 'AKIDECSSDTEST', secretAccessKey: 'ecs-sd-test-secret' };

/** Real SDK clients at the simulator; SQS with maxAttempts 1, so the consumer's own backoff is what is tested. */
export function simClients(sim: Sim): { ecs: ECSClient; sqs: SQSClient; destroy(): void } {
  const base = { endpoint: sim.endpoint, region: sim.region, credentials };
  const ecs = new ECSClient(base);
  const sqs = new SQSClient({ ...base, maxAttempts: 1 });
  return {
    ecs,
    sqs,
    destroy() {
      ecs.destroy();
      sqs.destroy();
    },
  };
}

/** The cluster ARN of a cluster name in the simulator's default account. */
export function clusterArn(sim: Sim, name: string): string {
  return `arn:aws:ecs:${sim.region}:${sim.accountId}:cluster/${name}`;
}

/** Lists and describes the RUNNING-desired tasks of a cluster, like a polling refresh (DescribeTasks takes 100). */
export async function pollTasks(ecs: ECSClient, cluster: string): Promise<Task[]> {
  const arns: string[] = [];
  for await (const page of paginateListTasks({ client: ecs }, { cluster }))
    arns.push(...(page.taskArns ?? []));
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100), include: ['TAGS'] }),
    );
    tasks.push(...(out.tasks ?? []));
  }
  return tasks;
}

/** taskArns of the simulator's RUNNING tasks in a cluster (its ground truth), sorted. */
export function runningTruth(sim: Sim, cluster: string): string[] {
  return sim
    .groundTruth()
    .tasks.filter((t) => t.cluster === cluster && t.lastStatus === 'RUNNING')
    .map((t) => t.taskArn)
    .sort();
}

/** True when no task of the cluster is between states (every one RUNNING or STOPPED). */
export function settled(sim: Sim, cluster: string): boolean {
  return sim
    .groundTruth()
    .tasks.filter((t) => t.cluster === cluster)
    .every((t) => t.lastStatus === 'RUNNING' || t.lastStatus === 'STOPPED');
}

/** Metrics callbacks that count into plain fields. */
export function countingMetrics() {
  const counts = {
    received: 0,
    deleted: 0,
    deleteFailed: 0,
    malformed: {} as Partial<Record<DropReason, number>>,
    applied: { upsert: 0, remove: 0 },
    stale: 0,
    ignored: 0,
    handlerFailed: 0,
    receiveErrors: [] as string[],
    lags: [] as number[],
    health: [] as ConsumerHealth[],
  };
  const metrics: Required<EventMetrics> = {
    received(n) {
      counts.received += n;
    },
    deleted(n) {
      counts.deleted += n;
    },
    deleteFailed(n) {
      counts.deleteFailed += n;
    },
    malformed(reason) {
      counts.malformed[reason] = (counts.malformed[reason] ?? 0) + 1;
    },
    applied(change) {
      counts.applied[change]++;
    },
    stale() {
      counts.stale++;
    },
    ignored() {
      counts.ignored++;
    },
    handlerFailed() {
      counts.handlerFailed++;
    },
    receiveError(code) {
      counts.receiveErrors.push(code);
    },
    lag(seconds) {
      counts.lags.push(seconds);
    },
    health(h) {
      counts.health.push(h);
    },
  };
  return { counts, metrics };
}

/** Empties a queue while no consumer reads it: every visible message body, in receive order. */
export async function drain(sqs: SQSClient, QueueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages: Message[] = out.Messages ?? [];
    if (messages.length === 0) return bodies;
    bodies.push(...messages.map((m) => m.Body ?? ''));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

/** Sends bodies one by one, in order. */
export async function sendAll(sqs: SQSClient, QueueUrl: string, bodies: readonly string[]): Promise<void> {
  for (const MessageBody of bodies) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));
}

/** Messages still in the queue, visible or in flight. */
export async function queueDepth(sqs: SQSClient, QueueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
