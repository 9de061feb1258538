import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '@aws-sdk/client-ecs';
import { decideTask, discoverCluster, type SkipReason } from '../../src/discovery/index.ts';
import {
  type ContainerSpec,
  containerInstanceArn,
  type FleetExtras,
  fleet,
  options,
  rule,
  type TaskSpec,
  taskArn,
  taskDefinitionArn,
} from './fixtures.ts';
import { decisionOf } from './helpers.ts';

const env = (e: Record<string, string>, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'app',
  env: e,
  ...extra,
});
const labels = (l: Record<string, string>, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'app',
  labels: l,
  ...extra,
});
const on = { PROMETHEUS: 'true' };
const fargate = (c: ContainerSpec, more: Partial<TaskSpec> = {}): TaskSpec => ({
  id: 't',
  launchType: 'FARGATE',
  containers: [c],
  ...more,
});

interface Row {
  name: string;
  spec: TaskSpec;
  extras?: FleetExtras;
  /** Where the skip lands: the task or its (only) container. */
  on: 'task' | 'container';
  reason: SkipReason;
  message: string;
  incomplete: boolean;
}

const rows: Row[] = [
  {
    name: 'a task on the way up',
    spec: { id: 't', lastStatus: 'PENDING', containers: [env(on, { ports: [9100] })] },
    on: 'task',
    reason: 'task-not-running',
    message: 'lastStatus "PENDING" is not RUNNING',
    incomplete: false,
  },
  {
    name: 'a task on the way down',
    spec: { id: 't', lastStatus: 'DEACTIVATING', containers: [env(on, { ports: [9100] })] },
    on: 'task',
    reason: 'task-not-running',
    message: 'lastStatus "DEACTIVATING" is not RUNNING',
    incomplete: false,
  },
  {
    name: 'a task definition the snapshot lacks',
    spec: { id: 't', family: 'gone', containers: [env(on, { ports: [9100] })] },
    extras: { omitTaskDefinitions: ['gone'] },
    on: 'task',
    reason: 'task-definition-missing',
    message: `task definition "${taskDefinitionArn('gone', 7)}" is not in the snapshot`,
    incomplete: true,
  },
  {
    name: 'nothing opted in',
    spec: { id: 't', containers: [{ name: 'app', ports: [9100] }] },
    on: 'task',
    reason: 'no-container-opted-in',
    message: 'no container opted in',
    incomplete: false,
  },
  {
    name: 'a stopped container',
    spec: { id: 't', containers: [env(on, { ports: [9100], lastStatus: 'STOPPED' })] },
    on: 'container',
    reason: 'container-not-running',
    message: 'container lastStatus "STOPPED" is not RUNNING',
    incomplete: false,
  },
  {
    name: 'a container still starting',
    spec: { id: 't', containers: [env(on, { ports: [9100], lastStatus: 'PENDING' })] },
    on: 'container',
    reason: 'container-not-running',
    message: 'container lastStatus "PENDING" is not RUNNING',
    incomplete: true,
  },
  {
    name: 'PROMETHEUS_PORT with a letter O',
    spec: fargate(env({ ...on, PROMETHEUS_PORT: '91OO' })),
    on: 'container',
    reason: 'port-not-a-number',
    message: 'PROMETHEUS_PORT="91OO" is not a port number',
    incomplete: false,
  },
  {
    name: 'PROMETHEUS_CONTAINER_PORT out of range',
    spec: fargate(env({ ...on, PROMETHEUS_CONTAINER_PORT: '70000' })),
    on: 'container',
    reason: 'port-not-a-number',
    message: 'PROMETHEUS_CONTAINER_PORT="70000" is not a port number',
    incomplete: false,
  },
  {
    name: 'PROMETHEUS_EXPORTER_PORT not a number',
    spec: fargate(labels({ PROMETHEUS_EXPORTER_PORT: 'http' })),
    on: 'container',
    reason: 'port-not-a-number',
    message: 'PROMETHEUS_EXPORTER_PORT="http" is not a port number',
    incomplete: false,
  },
  {
    name: 'ecs-sd.port not a number',
    spec: fargate(labels({ 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100/tcp' })),
    on: 'container',
    reason: 'port-not-a-number',
    message: 'ecs-sd.port="9100/tcp" is not a port number',
    incomplete: false,
  },
  {
    name: 'an ecs-sd endpoint port not a number',
    spec: fargate(labels({ 'ecs-sd.scrape': 'true', 'ecs-sd.endpoints.jvm.port': 'x' })),
    on: 'container',
    reason: 'port-not-a-number',
    message: 'ecs-sd.endpoints.jvm.port="x" is not a port number',
    incomplete: false,
  },
  {
    name: 'PROMETHEUS=true in bridge mode without any port',
    spec: { id: 't', containers: [env(on)] },
    on: 'container',
    reason: 'port-missing',
    message:
      'PROMETHEUS=true but no PROMETHEUS_PORT, PROMETHEUS_CONTAINER_PORT or port mapping to take the port from',
    incomplete: false,
  },
  {
    name: 'ecs-sd labels without a port and two mappings',
    spec: fargate(labels({ 'ecs-sd.scrape': 'true' }, { ports: [8080, 9100] })),
    on: 'container',
    reason: 'port-missing',
    message:
      'ecs-sd.port is not set and the container has 2 tcp port mappings (expected exactly 1 to pick from)',
    incomplete: false,
  },
  {
    name: 'a bridge container port without a port mapping',
    spec: { id: 't', containers: [labels({ PROMETHEUS_EXPORTER_PORT: '9100' }, { ports: [8080] })] },
    on: 'container',
    reason: 'port-missing',
    message:
      'PROMETHEUS_EXPORTER_PORT=9100: container port 9100 has no port mapping (bridge network mode reaches mapped ports only)',
    incomplete: false,
  },
  {
    name: 'a PROMETHEUS_ENDPOINT interval that is not a duration',
    spec: fargate(env({ ...on, PROMETHEUS_ENDPOINT: 'often:/metrics' })),
    on: 'container',
    reason: 'invalid-endpoint',
    message:
      'PROMETHEUS_ENDPOINT entry "often:/metrics" has interval "often", expected a duration such as 15s, 30s, 1m or 5m',
    incomplete: false,
  },
  {
    name: 'a PROMETHEUS_ENDPOINT path without a slash',
    spec: fargate(env({ ...on, PROMETHEUS_ENDPOINT: '30s:metrics' })),
    on: 'container',
    reason: 'invalid-endpoint',
    message: 'PROMETHEUS_ENDPOINT entry "30s:metrics" has path "metrics", expected a path starting with /',
    incomplete: false,
  },
  {
    name: 'an ecs-sd timeout longer than the interval',
    spec: fargate(
      labels({
        'ecs-sd.scrape': 'true',
        'ecs-sd.port': '9100',
        'ecs-sd.interval': '10s',
        'ecs-sd.timeout': '20s',
      }),
    ),
    on: 'container',
    reason: 'invalid-endpoint',
    message:
      'ecs-sd.timeout="20s" is longer than ecs-sd.interval="10s" (prometheus needs timeout <= interval)',
    incomplete: false,
  },
  {
    name: 'an ecs-sd interval that is not a duration',
    spec: fargate(labels({ 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.interval': '1 minute' })),
    on: 'container',
    reason: 'invalid-endpoint',
    message: 'ecs-sd.interval="1 minute" is not a duration (expected e.g. 30s or 1m)',
    incomplete: false,
  },
  {
    name: 'an ecs-sd timeout longer than the default bucket interval, without an interval',
    spec: fargate(labels({ 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.timeout': '90s' })),
    on: 'container',
    reason: 'invalid-endpoint',
    message:
      'ecs-sd.timeout="90s" is longer than the scrape interval 1m of the 1m bucket it lands in (no ecs-sd.interval is set), expected at most 1m or an ecs-sd.interval at least as long (prometheus needs timeout <= interval)',
    incomplete: false,
  },
  {
    name: 'an ecs-sd interval past what prometheus can hold',
    spec: fargate(labels({ 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.interval': '300000y' })),
    on: 'container',
    reason: 'invalid-endpoint',
    message: 'ecs-sd.interval="300000y" is out of range (prometheus holds durations up to 292y)',
    incomplete: false,
  },
  {
    name: 'an ecs-sd endpoint timeout of zero',
    spec: fargate(
      labels({
        'ecs-sd.scrape': 'true',
        'ecs-sd.endpoints.a.port': '9100',
        'ecs-sd.endpoints.a.timeout': '0s',
      }),
    ),
    on: 'container',
    reason: 'invalid-endpoint',
    message: 'ecs-sd.endpoints.a.timeout="0s" is not a duration (expected e.g. 10s)',
    incomplete: false,
  },
  {
    name: 'a PROMETHEUS_ENDPOINT interval past what prometheus can hold',
    spec: fargate(
      env({ ...on, PROMETHEUS_PORT: '9100', PROMETHEUS_ENDPOINT: '99999999999999999999s:/metrics' }),
    ),
    on: 'container',
    reason: 'invalid-endpoint',
    message:
      'PROMETHEUS_ENDPOINT entry "99999999999999999999s:/metrics" has interval "99999999999999999999s", which is out of range (prometheus holds durations up to 292y)',
    incomplete: false,
  },
  {
    name: 'PROMETHEUS_EXPORTER_SERVER_NAME with a scheme',
    spec: fargate(
      labels({
        PROMETHEUS_EXPORTER_PORT: '9100',
        PROMETHEUS_EXPORTER_SERVER_NAME: 'http://metrics.internal',
      }),
    ),
    on: 'container',
    reason: 'invalid-address',
    message:
      'PROMETHEUS_EXPORTER_SERVER_NAME="http://metrics.internal" is not a host name (expected a name or IP without scheme or path, such as metrics.internal; prometheus drops an address containing "/")',
    incomplete: false,
  },
  {
    name: 'PROMETHEUS_EXPORTER_SCHEME that is not http or https',
    spec: fargate(labels({ PROMETHEUS_EXPORTER_PORT: '9100', PROMETHEUS_EXPORTER_SCHEME: 'ftp' })),
    on: 'container',
    reason: 'invalid-label-value',
    message: 'PROMETHEUS_EXPORTER_SCHEME="ftp" is not a scheme (expected http or https)',
    incomplete: false,
  },
  {
    name: 'ecs-sd.scrape that is not a boolean',
    spec: fargate(labels({ 'ecs-sd.scrape': 'maybe' })),
    on: 'container',
    reason: 'invalid-label-value',
    message: 'ecs-sd.scrape="maybe" is not a boolean (expected true or false)',
    incomplete: false,
  },
  {
    name: 'an ecs-sd label name Prometheus would reject',
    spec: fargate(
      labels({ 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.label.__address__': 'x' }),
    ),
    on: 'container',
    reason: 'invalid-label-value',
    message:
      'label name "__address__" from ecs-sd labels is not valid (expected [a-zA-Z_][a-zA-Z0-9_]* without a __ prefix)',
    incomplete: false,
  },
  {
    name: 'PROMETHEUS that is not a boolean',
    spec: fargate(env({ PROMETHEUS: 'enabled' })),
    on: 'container',
    reason: 'invalid-env-value',
    message: 'PROMETHEUS="enabled" is not a boolean (expected true or false)',
    incomplete: false,
  },
  {
    name: 'a dynamic bridge binding not assigned yet',
    spec: {
      id: 't',
      containers: [env({ ...on, PROMETHEUS_CONTAINER_PORT: '9100' }, { ports: [9100], bindings: [] })],
    },
    on: 'container',
    reason: 'binding-not-assigned-yet',
    message: 'bridge binding for container port 9100 not assigned yet',
    incomplete: true,
  },
  {
    name: 'a container instance the snapshot lacks',
    spec: { id: 't', containers: [env(on, { ports: [9100] })] },
    extras: { omitContainerInstances: ['ci-ec2'] },
    on: 'task',
    reason: 'container-instance-missing',
    message:
      'container instance "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/ci-ec2" is not in the snapshot',
    incomplete: true,
  },
  {
    name: 'a host the snapshot lacks',
    spec: { id: 't', containers: [env(on, { ports: [9100] })] },
    extras: { omitHosts: ['ci-ec2'] },
    on: 'task',
    reason: 'host-missing',
    message:
      'host "i-0123456789abcdef0" of container instance "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/ci-ec2" is not in the snapshot',
    incomplete: true,
  },
  {
    name: 'an ECS Anywhere host the snapshot lacks',
    spec: { id: 't', launchType: 'EXTERNAL', containers: [env(on, { ports: [9100] })] },
    extras: { omitHosts: ['ci-ext'] },
    on: 'task',
    reason: 'host-missing',
    message:
      'host "mi-0123456789abcdef0" of container instance "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/ci-ext" is not in the snapshot',
    incomplete: true,
  },
  {
    name: 'a host without an IP address',
    spec: {
      id: 't',
      networkMode: 'host',
      containerInstance: 'ci-noip',
      containers: [env(on, { ports: [9100] })],
    },
    on: 'task',
    reason: 'no-address',
    message: 'host "i-0noip00000000000000" has no private IP address',
    incomplete: true,
  },
  {
    name: 'an ECS Anywhere host without its SSM address',
    spec: {
      id: 't',
      launchType: 'EXTERNAL',
      containerInstance: 'ci-ext-noip',
      containers: [env(on, { ports: [9100] })],
    },
    on: 'task',
    reason: 'no-address',
    message: 'host "mi-0noip000000000000" has no SSM IPAddress',
    incomplete: true,
  },
  {
    name: 'an awsvpc task without attachments',
    spec: fargate(env({ ...on, PROMETHEUS_PORT: '9100' }), { eni: null }),
    on: 'task',
    reason: 'task-missing-fields',
    message: 'awsvpc task has no ElasticNetworkInterface attachment and no container networkInterfaces',
    incomplete: true,
  },
  {
    name: 'an awsvpc task whose ENI has no address yet (attached, no IP)',
    spec: fargate(env({ ...on, PROMETHEUS_PORT: '9100' }), { eni: { subnetId: 'subnet-1' } }),
    on: 'task',
    reason: 'no-address',
    message: 'awsvpc task has no privateIPv4Address or IPv6 address on its ENI yet',
    incomplete: true,
  },
  {
    name: 'network mode none',
    spec: { id: 't', networkMode: 'none', containers: [env({ ...on, PROMETHEUS_PORT: '9100' })] },
    on: 'task',
    reason: 'network-mode-none',
    message: 'network mode "none" gives the task no address to scrape',
    incomplete: false,
  },
  {
    name: 'a network mode ecs-sd does not know',
    spec: { id: 't', networkMode: 'nat', containers: [env({ ...on, PROMETHEUS_PORT: '9100' })] },
    on: 'task',
    reason: 'unknown-network-mode',
    message: 'network mode "nat" is not one of awsvpc, bridge, host, none',
    incomplete: false,
  },
  {
    name: 'an EC2 bridge task without containerInstanceArn',
    spec: { id: 't', containerInstance: null, containers: [env(on, { ports: [9100] })] },
    on: 'task',
    reason: 'task-missing-fields',
    message: 'task has no containerInstanceArn (expected one on EC2 and EXTERNAL)',
    incomplete: false,
  },
];

describe('skip reasons and their messages', () => {
  for (const row of rows) {
    it(`skips ${row.name} as ${row.reason}`, () => {
      const d = decisionOf(row.spec, {}, row.extras);
      const all = d.containers.flatMap((c) => c.targets);
      assert.equal(all.length, 0, 'no target');
      if (row.on === 'task') {
        assert.deepEqual(d.skip, { reason: row.reason, message: row.message });
      } else {
        assert.equal(d.skip, undefined);
        assert.deepEqual(d.containers[0]!.skips, [{ reason: row.reason, message: row.message }]);
      }
      assert.equal(d.incomplete, row.incomplete, 'incomplete');
    });
  }
});

describe('tasks with missing fields', () => {
  const base = fleet([]);
  const raw: [string, Task, string][] = [
    ['no taskArn', { lastStatus: 'RUNNING' }, 'task has no taskArn'],
    ['no lastStatus', { taskArn: taskArn('x') }, 'task has no lastStatus'],
    [
      'no taskDefinitionArn',
      { taskArn: taskArn('x'), lastStatus: 'RUNNING', containers: [{ name: 'a' }] },
      'task has no taskDefinitionArn',
    ],
    [
      'no containers',
      { taskArn: taskArn('x'), lastStatus: 'RUNNING', taskDefinitionArn: taskDefinitionArn('api', 1) },
      'task has no containers',
    ],
    [
      'an empty container list',
      {
        taskArn: taskArn('x'),
        lastStatus: 'RUNNING',
        taskDefinitionArn: taskDefinitionArn('api', 1),
        containers: [],
      },
      'task has no containers',
    ],
  ];
  for (const [name, task, message] of raw) {
    it(`skips a task with ${name} without throwing`, () => {
      const d = decideTask(task, base, options());
      assert.deepEqual(d.skip, { reason: 'task-missing-fields', message });
      assert.equal(d.containers.length, 0);
    });
  }

  it('skips only the broken container and keeps the good one', () => {
    const d = decisionOf({
      id: 't',
      launchType: 'FARGATE',
      containers: [
        { name: 'bad', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: 'abc' } },
        { name: 'good', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' } },
      ],
    });
    assert.equal(d.skip, undefined);
    assert.deepEqual(
      d.containers.map((c) => [c.containerName, c.targets.length, c.skips.map((s) => s.reason)]),
      [
        ['bad', 0, ['port-not-a-number']],
        ['good', 1, []],
      ],
    );
  });

  it('keeps the valid PROMETHEUS_ENDPOINT entries when one is malformed', () => {
    const d = decisionOf(fargate(env({ ...on, PROMETHEUS_ENDPOINT: '30s:/a,bad,/b' })));
    assert.deepEqual(
      d.containers[0]!.targets.map((t) => t.labels['__metrics_path__']),
      ['/a', '/b'],
    );
    assert.deepEqual(
      d.containers[0]!.skips.map((s) => s.message),
      ['PROMETHEUS_ENDPOINT entry "bad" has path "bad", expected a path starting with /'],
    );
  });

  it('treats a container the task definition does not list (an ECS-managed sidecar) as not opted in', () => {
    const snapshot = fleet([
      { id: 't', launchType: 'FARGATE', containers: [env({ ...on, PROMETHEUS_PORT: '9100' })] },
    ]);
    const task = snapshot.tasks[0]!;
    const withSidecar: Task = {
      ...task,
      containers: [...(task.containers ?? []), { name: 'ecs-service-connect-x' }],
    };
    const d = decideTask(withSidecar, snapshot, options());
    const sidecar = d.containers.find((c) => c.containerName === 'ecs-service-connect-x')!;
    assert.deepEqual(sidecar.notes, ['container is not in the task definition: not opted in']);
    assert.equal(d.containers.find((c) => c.containerName === 'app')!.targets.length, 1);
  });
});

describe('more skip messages', () => {
  it('skips a task whose container instance has no ec2InstanceId as host-missing', () => {
    const snapshot = fleet([{ id: 't', containers: [env(on, { ports: [9100] })] }]);
    const arn = containerInstanceArn('ci-ec2');
    const containerInstances = new Map(snapshot.containerInstances);
    containerInstances.set(arn, { containerInstanceArn: arn });
    const d = decideTask(snapshot.tasks[0]!, { ...snapshot, containerInstances }, options());
    assert.deepEqual(d.skip, {
      reason: 'host-missing',
      message: `container instance "${arn}" has no ec2InstanceId`,
    });
    assert.equal(d.incomplete, true);
  });

  it('skips an ecs-sd path without a leading slash as invalid-label-value', () => {
    const d = decisionOf(
      fargate(labels({ 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.path': 'metrics' })),
    );
    assert.deepEqual(d.containers[0]!.skips, [
      {
        reason: 'invalid-label-value',
        message: 'ecs-sd.path="metrics" is not a path (expected one starting with /)',
      },
    ]);
  });

  it('skips a rule that names the container but declares no ports as port-missing', () => {
    const d = decisionOf(fargate({ name: 'app' }), {
      rules: [rule({ name: 'empty', container: /^app$/, ports: [] })],
    });
    assert.deepEqual(d.containers[0]!.skips, [
      { reason: 'port-missing', message: 'rule "empty" matches but declares no ports' },
    ]);
  });
});

describe('robustness', () => {
  it('never throws on tasks with any combination of fields removed', () => {
    const snapshot = fleet([
      {
        id: 'full',
        family: 'full',
        tags: { a: 'b' },
        containers: [
          {
            name: 'app',
            ports: [9100],
            env: { PROMETHEUS: 'true', PROMETHEUS_ENDPOINT: '30s:/a' },
            labels: { 'ecs-sd.scrape': 'true', PROMETHEUS_EXPORTER_PORT: '9100' },
          },
        ],
        envOverrides: { app: { PROMETHEUS_PORT: '9100' } },
      },
      {
        id: 'vpc',
        family: 'vpc',
        launchType: 'FARGATE',
        containers: [{ name: 'app', env: { PROMETHEUS: 'true' } }],
      },
    ]);
    // A deterministic walk: drop every single top-level field, then every pair, of each task and its containers.
    for (const base of snapshot.tasks) {
      const keys = Object.keys(base) as (keyof Task)[];
      for (const a of keys) {
        for (const b of keys) {
          const task: Task = { ...base };
          delete task[a];
          delete task[b];
          task.containers = base.containers?.map((c) => {
            const copy = { ...c };
            delete (copy as Record<string, unknown>)[a === 'containers' ? 'name' : 'networkBindings'];
            return copy;
          });
          assert.doesNotThrow(() =>
            discoverCluster(
              { ...snapshot, tasks: [task] },
              options({ rules: [rule({ name: 'r', ports: [9100] })] }),
            ),
          );
        }
      }
    }
  });
});
