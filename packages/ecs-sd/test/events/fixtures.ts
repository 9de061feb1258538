/** EventBridge envelopes of ECS events, shaped like the examples in the ECS developer guide. */
import type { EcsEvent, TaskStateChange } from '../../src/events/parse.ts';

export const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod';
export const OTHER_CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/other';
export const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const TASK_DEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3';
export const CI =
  'arn:aws:ecs:us-east-1:123456789012:container-instance/prod/8f7e6d5c4b3a29180706f5e4d3c2b1a0';

/** The `detail` of an ECS Task State Change of an awsvpc task, as EventBridge delivers it. */
export function taskDetail(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    attachments: [
      {
        id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
        type: 'eni',
        status: 'ATTACHED',
        details: [
          { name: 'subnetId', value: 'subnet-abcd1234' },
          { name: 'networkInterfaceId', value: 'eni-abcd1234' },
          { name: 'macAddress', value: '0a:98:eb:a7:29:ba' },
          { name: 'privateIPv4Address', value: '10.0.0.139' },
        ],
      },
    ],
    availabilityZone: 'us-east-1b',
    clusterArn: CLUSTER,
    containers: [
      {
        containerArn: 'arn:aws:ecs:us-east-1:123456789012:container/prod/0a1b2c3d/cf159fd6',
        lastStatus: 'RUNNING',
        name: 'app',
        image: 'example/web:1',
        runtimeId: '0a1b2c3d-1234',
        taskArn: TASK,
        networkInterfaces: [{ attachmentId: '1789bcae', privateIpv4Address: '10.0.0.139' }],
        cpu: '0',
        managedAgents: [
          { name: 'ExecuteCommandAgent', lastStatus: 'RUNNING', lastStartedAt: '2020-01-23T17:57:35.000Z' },
        ],
      },
    ],
    createdAt: '2020-01-23T17:57:34.402Z',
    launchType: 'FARGATE',
    cpu: '256',
    memory: '512',
    desiredStatus: 'RUNNING',
    group: 'service:web',
    lastStatus: 'RUNNING',
    overrides: { containerOverrides: [{ name: 'app' }] },
    connectivity: 'CONNECTED',
    connectivityAt: '2020-01-23T17:57:38.453Z',
    pullStartedAt: '2020-01-23T17:57:52.103Z',
    startedAt: '2020-01-23T17:57:58.103Z',
    startedBy: 'ecs-svc/9223370556150183303',
    pullStoppedAt: '2020-01-23T17:57:55.103Z',
    updatedAt: '2020-01-23T17:57:58.103Z',
    taskArn: TASK,
    taskDefinitionArn: TASK_DEF,
    version: 3,
    platformVersion: '1.3.0',
    ...overrides,
  };
}

/** An EventBridge envelope around a detail. */
export function envelope(
  detailType: string,
  detail: unknown,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: '0',
    id: '9bcdac79-b31f-4d3d-9410-fbd727c29fab',
    'detail-type': detailType,
    source: 'aws.ecs',
    account: '123456789012',
    time: '2020-01-23T17:57:58Z',
    region: 'us-east-1',
    resources: [TASK],
    detail,
    ...overrides,
  };
}

/** The message body of a task event. */
export function taskBody(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(envelope('ECS Task State Change', taskDetail(overrides)));
}

/** The `detail` of an ECS Container Instance State Change. */
export function instanceDetail(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    agentConnected: true,
    attributes: [{ name: 'ecs.instance-type', value: 't2.micro' }],
    clusterArn: CLUSTER,
    containerInstanceArn: CI,
    ec2InstanceId: 'i-0c3f7aa6a0b0f5a1b',
    registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }],
    remainingResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }],
    status: 'ACTIVE',
    version: 14801,
    versionInfo: { agentHash: '4023248', agentVersion: '1.16.0', dockerVersion: 'DockerVersion: 1.12.6' },
    registeredAt: '2017-04-26T17:01:49.112Z',
    updatedAt: '2017-04-26T17:01:49.112Z',
    ...overrides,
  };
}

/** A parsed task event without going through JSON: for store tests. */
export function taskEvent(
  version: number,
  lastStatus = 'RUNNING',
  options: {
    taskArn?: string;
    clusterArn?: string;
    desiredStatus?: string;
    tags?: { key: string; value: string }[];
  } = {},
): TaskStateChange {
  const taskArn = options.taskArn ?? TASK;
  const clusterArn = options.clusterArn ?? CLUSTER;
  return {
    kind: 'task',
    id: `event-${taskArn}-${version}`,
    time: new Date('2020-01-23T17:57:58Z'),
    account: '123456789012',
    region: 'us-east-1',
    clusterArn,
    version,
    updatedAt: undefined,
    viaSns: false,
    taskArn,
    task: {
      taskArn,
      clusterArn,
      version,
      lastStatus,
      desiredStatus:
        options.desiredStatus ??
        (lastStatus === 'RUNNING' || lastStatus === 'PENDING' ? 'RUNNING' : 'STOPPED'),
      taskDefinitionArn: TASK_DEF,
      ...(options.tags ? { tags: options.tags } : {}),
    },
  };
}

/** A parsed container instance event. */
export function instanceEvent(version: number, status = 'ACTIVE', containerInstanceArn = CI): EcsEvent {
  return {
    kind: 'container-instance',
    id: `event-${containerInstanceArn}-${version}`,
    time: undefined,
    account: '123456789012',
    region: 'us-east-1',
    clusterArn: CLUSTER,
    version,
    updatedAt: undefined,
    viaSns: false,
    containerInstanceArn,
    containerInstance: { containerInstanceArn, ec2InstanceId: 'i-0c3f7aa6a0b0f5a1b', status, version },
  };
}
