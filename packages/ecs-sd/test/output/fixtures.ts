/** Targets and decisions shaped like the discovery core's output, for output and server tests. */
import type { Interval, Target, TaskDecision } from '../../src/discovery/types.ts';

/** A prometheus-ecs-sd style target of one task's container; labels as that convention sets them. */
export function target(options: {
  cluster?: string;
  family?: string;
  taskId: string;
  ip: string;
  port?: number;
  path?: string;
  interval?: Interval;
  revision?: number;
}): Target {
  const {
    cluster = 'prod',
    family = 'web',
    taskId,
    ip,
    port = 9100,
    path = '/metrics',
    interval = '1m',
  } = options;
  const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${taskId}`;
  return {
    key: `${taskArn}/app/${port}${path}`,
    address: `${ip}:${port}`,
    interval,
    job: family,
    clusterName: cluster,
    convention: 'prometheus-ecs-sd',
    labels: {
      job: family,
      metrics_path: path,
      ecs_task_id: taskId,
      ecs_task_version: String(options.revision ?? 1),
      ecs_cluster: cluster,
      instance: `${ip}:${port}`,
    },
  };
}

/** The decision that produced targets, or a skipped task when there are none. */
export function decision(options: {
  cluster?: string;
  taskId: string;
  targets?: Target[];
  skipReason?: 'no-container-opted-in' | 'port-not-a-number' | 'task-not-running';
}): TaskDecision {
  const { cluster = 'prod', taskId, targets = [] } = options;
  const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${taskId}`;
  const decided: TaskDecision = {
    taskArn,
    taskId,
    clusterName: cluster,
    source: 'default',
    lastStatus: 'RUNNING',
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1',
    containers: [],
    incomplete: false,
  };
  if (options.skipReason === 'task-not-running') {
    decided.skip = { reason: 'task-not-running', message: 'lastStatus is PENDING, expected RUNNING' };
    decided.lastStatus = 'PENDING';
  } else if (options.skipReason === 'port-not-a-number') {
    decided.containers.push({
      containerName: 'app',
      targets: [],
      skips: [{ reason: 'port-not-a-number', message: 'PROMETHEUS_PORT="91OO" is not a port number' }],
    });
  } else if (options.skipReason === 'no-container-opted-in') {
    decided.skip = { reason: 'no-container-opted-in', message: 'no container has PROMETHEUS=true' };
  } else {
    decided.containers.push({ containerName: 'app', targets, skips: [] });
  }
  return decided;
}
