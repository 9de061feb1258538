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

/** A poison message body: what it is, the body, and the reason it must be rejected with. */
export interface PoisonBody {
  name: string;
  body: string;
  reason: string;
  /** What the rejection message must say. */
  message: RegExp;
}

/** Nested lists `depth` deep, as JSON text (JSON.stringify itself overflows the stack on such a value). */
export function deepArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** Nested objects `depth` deep, as JSON text. */
export function deepObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
}

/** A task body with the JSON text `raw` in place of detail member `key` (a value JSON.stringify could not write). */
export function taskBodyWithRaw(key: string, raw: string, overrides: Record<string, unknown> = {}): string {
  const body = taskBody({ ...overrides, [key]: '@@RAW@@' });
  return body.replace('"@@RAW@@"', raw);
}

/** A task body whose first container has `overrides` merged in. */
function containerBody(clusterArn: string, overrides: Record<string, unknown>): string {
  const detail = taskDetail({ clusterArn });
  const [container] = detail['containers'] as Record<string, unknown>[];
  return JSON.stringify(
    envelope('ECS Task State Change', { ...detail, containers: [{ ...container, ...overrides }] }),
  );
}

/** An SNS notification around a message. */
export function snsBody(message: string, extra = ''): string {
  return `{"Type":"Notification","MessageId":"x","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":${JSON.stringify(message)}${extra}}`;
}

/**
 * Bodies under SQS's default 256 KiB limit that are valid to SQS and hostile to a consumer: deep
 * nesting, huge strings and lists, wrong types in fields discovery reads, prototype pollution keys,
 * lone surrogates, and SNS-wrapped variants. Each must be rejected, and none may throw.
 */
export function poisonBodies(clusterArn = CLUSTER): PoisonBody[] {
  const task = (overrides: Record<string, unknown>) => taskBody({ clusterArn, ...overrides });
  const raw = (key: string, text: string) => taskBodyWithRaw(key, text, { clusterArn });
  const bridgeBinding = (binding: Record<string, unknown>) =>
    containerBody(clusterArn, {
      networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, protocol: 'tcp', ...binding }],
    });
  const deep = deepArrays(100_000);
  return [
    { name: 'lists nested 100,000 deep', body: deep, reason: 'too-deep', message: /deeper than 32/ },
    {
      name: 'objects nested 40,000 deep',
      body: deepObjects(40_000),
      reason: 'too-deep',
      message: /deeper than 32/,
    },
    {
      name: 'lists nested 100,000 deep inside detail.containers',
      body: raw('containers', `[${deep}]`),
      reason: 'too-deep',
      message: /message body nests/,
    },
    {
      name: 'objects nested 10,000 deep inside detail.overrides',
      body: raw('overrides', deepObjects(10_000)),
      reason: 'too-deep',
      message: /deeper than 32/,
    },
    {
      name: 'lists nested 40 deep in a member ecs-sd does not read',
      body: raw('somethingNew', deepArrays(40)),
      reason: 'too-deep',
      message: /deeper than 32/,
    },
    {
      name: 'an SNS notification whose Message nests lists 100,000 deep',
      body: snsBody(deep),
      reason: 'too-deep',
      message: /sns Message nests/,
    },
    {
      name: 'an SNS notification with lists 100,000 deep beside its Message',
      body: snsBody(task({}), `,"x":${deep}`),
      reason: 'too-deep',
      message: /message body nests/,
    },
    {
      name: 'a 250,000-character detail.group',
      body: task({ group: 'g'.repeat(250_000) }),
      reason: 'too-large',
      message: /detail\.group is 250000 characters long, expected at most 8192/,
    },
    {
      name: 'a 200,000-character container name inside an SNS notification',
      body: snsBody(containerBody(clusterArn, { name: 'n'.repeat(200_000) })),
      reason: 'too-large',
      message: /detail\.containers\[0\]\.name is 200000 characters long/,
    },
    {
      name: '101 containers',
      body: task({ containers: Array.from({ length: 101 }, (_, i) => ({ name: `c${i}` })) }),
      reason: 'too-large',
      message: /detail\.containers has 101 items, expected at most 100/,
    },
    {
      name: '5,000 network bindings',
      body: bridgeBinding({ hostPort: 1 }).replace(
        /"networkBindings":\[[^\]]*\]/,
        `"networkBindings":[${Array(5000).fill('{"hostPort":1}').join(',')}]`,
      ),
      reason: 'too-large',
      message: /networkBindings has 5000 items, expected at most 1000/,
    },
    {
      name: '2,400 list items in all',
      body: task({
        attributes: Array.from({ length: 800 }, () => ({ name: 'a' })),
        tags: Array.from({ length: 800 }, () => ({ key: 'k' })),
        attachments: [{ id: 'x', details: Array.from({ length: 800 }, () => ({ name: 'd' })) }],
      }),
      reason: 'too-large',
      message: /lists hold more than 2000 items/,
    },
    {
      name: '80,000 characters of strings in all',
      body: task({
        containers: Array.from({ length: 10 }, (_, i) => ({ name: `c${i}`, reason: 'r'.repeat(8000) })),
      }),
      reason: 'too-large',
      message: /strings hold more than 65536 characters/,
    },
    {
      name: 'detail.containers a string',
      body: task({ containers: 'x' }),
      reason: 'invalid-fields',
      message: /detail\.containers is "x", expected a list/,
    },
    {
      name: 'a container that is a number',
      body: task({ containers: [5] }),
      reason: 'invalid-fields',
      message: /detail\.containers\[0\] is 5, expected an object/,
    },
    {
      name: 'networkBindings a number',
      body: containerBody(clusterArn, { networkBindings: 5 }),
      reason: 'invalid-fields',
      message: /detail\.containers\[0\]\.networkBindings is 5, expected a list/,
    },
    {
      name: 'a hostPort that is a string',
      body: bridgeBinding({ hostPort: '8080' }),
      reason: 'invalid-fields',
      message: /networkBindings\[0\]\.hostPort is "8080", expected an integer from 0 to 65535/,
    },
    {
      name: 'a hostPort of 70000',
      body: bridgeBinding({ hostPort: 70_000 }),
      reason: 'invalid-fields',
      message: /hostPort is 70000, expected an integer from 0 to 65535/,
    },
    {
      name: 'a containerPort of 80.5',
      body: bridgeBinding({ hostPort: 80, containerPort: 80.5 }),
      reason: 'invalid-fields',
      message: /containerPort is 80.5/,
    },
    {
      name: 'version "1e400"',
      body: task({ version: '1e400' }),
      reason: 'invalid-fields',
      message: /detail\.version is "1e400", expected a non-negative integer/,
    },
    {
      name: 'version 1e400 (a JSON number beyond a double)',
      body: raw('version', '1e400'),
      reason: 'invalid-fields',
      message: /detail\.version is Infinity/,
    },
    {
      name: 'an exitCode that is a string',
      body: containerBody(clusterArn, { exitCode: '0' }),
      reason: 'invalid-fields',
      message: /exitCode is "0", expected an integer/,
    },
    {
      name: 'enableExecuteCommand "true"',
      body: task({ enableExecuteCommand: 'true' }),
      reason: 'invalid-fields',
      message: /enableExecuteCommand is "true", expected true or false/,
    },
    {
      name: 'a null container',
      body: task({ containers: [null] }),
      reason: 'invalid-fields',
      message: /detail\.containers\[0\] is null, expected an object/,
    },
    {
      name: 'a null attachment detail',
      body: task({ attachments: [{ id: 'x', type: 'eni', details: [null] }] }),
      reason: 'invalid-fields',
      message: /detail\.attachments\[0\]\.details\[0\] is null/,
    },
    {
      name: 'an environment override value that is a number',
      body: task({
        overrides: { containerOverrides: [{ name: 'app', environment: [{ name: 'A', value: 1 }] }] },
      }),
      reason: 'invalid-fields',
      message: /detail\.overrides\.containerOverrides\[0\]\.environment\[0\]\.value is 1, expected a string/,
    },
    {
      name: 'createdAt an object',
      body: task({ createdAt: {} }),
      reason: 'invalid-fields',
      message: /detail\.createdAt is an object, expected an ISO 8601 timestamp/,
    },
    {
      name: 'a container instance whose runningTasksCount is a string',
      body: JSON.stringify(
        envelope(
          'ECS Container Instance State Change',
          instanceDetail({ clusterArn, runningTasksCount: '3' }),
        ),
      ),
      reason: 'invalid-fields',
      message: /detail\.runningTasksCount is "3", expected an integer/,
    },
    {
      name: 'a registered resource whose integerValue is a string',
      body: JSON.stringify(
        envelope(
          'ECS Container Instance State Change',
          instanceDetail({ clusterArn, registeredResources: [{ name: 'CPU', integerValue: '1024' }] }),
        ),
      ),
      reason: 'invalid-fields',
      message: /registeredResources\[0\]\.integerValue is "1024"/,
    },
    {
      name: 'a "__proto__" key in detail',
      body: raw('somethingNew', '{"__proto__":{"polluted":true}}'),
      reason: 'invalid-fields',
      message: /has a key "__proto__"/,
    },
    {
      name: 'a "__proto__" key in a container',
      body: containerBody(clusterArn, {}).replace(
        '{"containerArn"',
        '{"__proto__":{"polluted":true},"containerArn"',
      ),
      reason: 'invalid-fields',
      message: /has a key "__proto__"/,
    },
    {
      name: 'a "constructor" key in the envelope',
      body: task({}).replace(
        '{"version":"0"',
        '{"constructor":{"prototype":{"polluted":true}},"version":"0"',
      ),
      reason: 'invalid-fields',
      message: /has a key "constructor"/,
    },
    {
      name: 'a "__proto__" key inside an SNS Message',
      body: snsBody(raw('somethingNew', '{"__proto__":{"polluted":true}}')),
      reason: 'invalid-fields',
      message: /sns Message has a key "__proto__"/,
    },
    {
      name: 'a lone surrogate in detail.group',
      body: raw('group', '"web\\ud800"'),
      reason: 'invalid-fields',
      message: /detail\.group .* lone surrogate, expected well-formed UTF-16/,
    },
    {
      name: 'a lone low surrogate in a container name',
      body: containerBody(clusterArn, { name: '\udc00app' }),
      reason: 'invalid-fields',
      message: /detail\.containers\[0\]\.name .* lone surrogate/,
    },
    {
      name: 'a lone surrogate in the event id',
      body: task({}).replace('"id":"9bcdac79', '"id":"\\udbff9bcdac79'),
      reason: 'invalid-fields',
      message: /^id .* lone surrogate/,
    },
    {
      name: 'an SNS notification around a task whose hostPort is a string',
      body: snsBody(bridgeBinding({ hostPort: '8080' })),
      reason: 'invalid-fields',
      message: /hostPort is "8080"/,
    },
  ];
}
