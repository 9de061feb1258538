import { renderContainerInstance, renderTask } from '../api/ecs-shapes.ts';
import type { Task } from '../state/model.ts';
import { createQueue } from '../state/queues.ts';
import type { World } from '../state/world.ts';
import type { ChangeListener } from '../state/world-core.ts';
import type { EventDelivery } from './delivery.ts';

/** Builds the EventBridge envelope of an ECS event (`source: aws.ecs`), as delivered to an SQS target. */
export function eventEnvelope(
  world: World,
  account: string,
  detailType: 'ECS Task State Change' | 'ECS Container Instance State Change',
  resources: string[],
  detail: Record<string, unknown>,
): Record<string, unknown> {
  return {
    version: '0',
    id: world.prng.uuid(),
    'detail-type': detailType,
    source: 'aws.ecs',
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: world.region,
    resources,
    detail,
  };
}

const TASK_DATES = [
  'createdAt',
  'startedAt',
  'stoppedAt',
  'stoppingAt',
  'pullStartedAt',
  'pullStoppedAt',
  'connectivityAt',
  'executionStoppedAt',
];

/** The `detail` of an ECS Task State Change: the DescribeTasks task without tags (events carry none), ISO dates. */
export function taskEventDetail(task: Task, updatedAt: string): Record<string, unknown> {
  const { tags: _tags, ...detail } = renderTask(task, false);
  for (const k of TASK_DATES) {
    if (typeof detail[k] === 'number') detail[k] = new Date((detail[k] as number) * 1000).toISOString();
  }
  return { ...detail, updatedAt };
}

/**
 * A change listener that publishes ECS Task / Container Instance State Change events to each account's events queue
 * through `delivery`; the first RUNNING event of a task that becomes receivable sets the task's `announcedAt`.
 */
export function eventPublisher(
  world: World,
  endpoint: () => string,
  delivery: EventDelivery,
): ChangeListener {
  return (change) => {
    const account = change.kind === 'task' ? change.task.cluster.account : change.ci.cluster.account;
    if (!account.eventsQueue) return;
    const q = createQueue(world, account, account.eventsQueue, endpoint());
    const updatedAt = new Date().toISOString();
    if (change.kind === 'task') {
      const task = change.task;
      const env = eventEnvelope(
        world,
        account.id,
        'ECS Task State Change',
        [task.arn],
        taskEventDetail(task, updatedAt),
      );
      const running = task.lastStatus === 'RUNNING';
      delivery.deliver(q, world, JSON.stringify(env), (at) => {
        if (running && task.announcedAt === undefined) task.announcedAt = at;
      });
      return;
    }
    const { tags: _tags, ...detail } = renderContainerInstance(change.ci, false);
    if (typeof detail['registeredAt'] === 'number')
      detail['registeredAt'] = new Date((detail['registeredAt'] as number) * 1000).toISOString();
    const env = eventEnvelope(world, account.id, 'ECS Container Instance State Change', [change.ci.arn], {
      ...detail,
      clusterArn: change.ci.cluster.arn,
      updatedAt,
    });
    delivery.deliver(q, world, JSON.stringify(env), () => {});
  };
}
