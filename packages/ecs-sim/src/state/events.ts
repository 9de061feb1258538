import { renderContainerInstance, renderTask } from '../api/ecs-shapes.ts';
import { createQueue, sendToQueue } from '../api/sqs.ts';
import type { ChangeListener, World } from './world.ts';

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

/** A change listener that publishes ECS Task / Container Instance State Change events to each account's events queue. */
export function eventPublisher(world: World, endpoint: () => string): ChangeListener {
  return (change) => {
    const account = change.kind === 'task' ? change.task.cluster.account : change.ci.cluster.account;
    if (!account.eventsQueue) return;
    const q = createQueue(world, account, account.eventsQueue, endpoint());
    const updatedAt = new Date().toISOString();
    let env: Record<string, unknown>;
    if (change.kind === 'task') {
      const detail = { ...renderTask(change.task, true) };
      const iso = (k: string): void => {
        if (typeof detail[k] === 'number') detail[k] = new Date((detail[k] as number) * 1000).toISOString();
      };
      for (const k of [
        'createdAt',
        'startedAt',
        'stoppedAt',
        'stoppingAt',
        'pullStartedAt',
        'pullStoppedAt',
        'connectivityAt',
        'executionStoppedAt',
      ])
        iso(k);
      env = eventEnvelope(world, account.id, 'ECS Task State Change', [change.task.arn], {
        ...detail,
        updatedAt,
      });
    } else {
      const detail = { ...renderContainerInstance(change.ci, true) };
      if (typeof detail['registeredAt'] === 'number')
        detail['registeredAt'] = new Date((detail['registeredAt'] as number) * 1000).toISOString();
      env = eventEnvelope(world, account.id, 'ECS Container Instance State Change', [change.ci.arn], {
        ...detail,
        clusterArn: change.ci.cluster.arn,
        updatedAt,
      });
    }
    sendToQueue(world, q, JSON.stringify(env));
  };
}
