import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideTask, discoverCluster } from '../../src/discovery/index.ts';
import { type ContainerSpec, one, options, type TaskSpec, taskArn } from './fixtures.ts';

const exporter: ContainerSpec = {
  name: 'app',
  labels: { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100' },
  ports: [9100],
};

interface Row {
  name: string;
  spec: TaskSpec;
  address: string;
  labels?: Record<string, string | undefined>;
}

const rows: Row[] = [
  {
    name: 'awsvpc on FARGATE: ENI IPv4 and the container port',
    spec: { id: 'fargate1', launchType: 'FARGATE', containers: [exporter] },
    address: '10.0.2.20:9100',
    labels: {
      __meta_ecs_network_mode: 'awsvpc',
      __meta_ecs_subnet_id: 'subnet-task',
      __meta_ecs_ip_address: '10.0.2.20',
      __meta_ecs_launch_type: 'FARGATE',
      __meta_ecs_ec2_instance_id: undefined,
      instance_id: undefined,
      ecs_container_id: undefined,
    },
  },
  {
    name: 'awsvpc on EC2: ENI IPv4, host facts as labels',
    spec: { id: 'ec2vpc1', launchType: 'EC2', networkMode: 'awsvpc', containers: [exporter] },
    address: '10.0.2.20:9100',
    labels: {
      __meta_ecs_ec2_instance_id: 'i-0123456789abcdef0',
      __meta_ecs_ec2_instance_type: 'm5.large',
      __meta_ecs_ec2_instance_private_ip: '10.0.1.10',
      __meta_ecs_public_ip: undefined,
      instance_id: 'i-0123456789abcdef0',
      ecs_container_id: 'c0-uuid',
    },
  },
  {
    name: 'bridge with a dynamic host port: the binding for the container port',
    spec: { id: 'bridge1', containers: [{ ...exporter, ports: [8080, 9100] }] },
    address: '10.0.1.10:32769',
    labels: {
      __meta_ecs_network_mode: 'bridge',
      __meta_ecs_container_port: '9100',
      __meta_ecs_container_host_port: '32769',
      __meta_ecs_public_ip: '54.1.2.3',
      __meta_ecs_subnet_id: 'subnet-host',
      __meta_ecs_tag_ec2_aws_autoscaling_groupName: 'asg-1',
    },
  },
  {
    name: 'bridge with a static host port',
    spec: { id: 'bridge2', containers: [{ ...exporter, ports: [], staticPorts: [[9100, 19100]] }] },
    address: '10.0.1.10:19100',
  },
  {
    name: 'host: host private IP and the container port',
    spec: { id: 'host1', networkMode: 'host', containers: [exporter] },
    address: '10.0.1.10:9100',
    labels: { __meta_ecs_network_mode: 'host', __meta_ecs_container_host_port: '9100' },
  },
  {
    name: 'ECS Anywhere (EXTERNAL) bridge: the SSM address of the host',
    spec: { id: 'ext1', launchType: 'EXTERNAL', containers: [exporter] },
    address: '192.168.1.20:32768',
    labels: { instance_id: 'mi-0123456789abcdef0', __meta_ecs_ec2_instance_id: 'mi-0123456789abcdef0' },
  },
  {
    name: 'ECS Anywhere (EXTERNAL) host network',
    spec: { id: 'ext2', launchType: 'EXTERNAL', networkMode: 'host', containers: [exporter] },
    address: '192.168.1.20:9100',
  },
  {
    name: 'awsvpc with only an IPv6 address: in brackets',
    spec: { id: 'v6task', launchType: 'FARGATE', eni: { ipv6: '2001:db8::20' }, containers: [exporter] },
    address: '[2001:db8::20]:9100',
    labels: { __meta_ecs_ip_address: '2001:db8::20' },
  },
  {
    name: 'host network on an IPv6-only host',
    spec: { id: 'v6host', networkMode: 'host', containerInstance: 'ci-v6', containers: [exporter] },
    address: '[2001:db8::10]:9100',
  },
  {
    name: 'no networkMode in the task definition on FARGATE means awsvpc',
    spec: {
      id: 'nomode1',
      launchType: 'FARGATE',
      networkMode: null,
      eni: { ipv4: '10.0.2.30' },
      containers: [exporter],
    },
    address: '10.0.2.30:9100',
  },
  {
    name: 'no networkMode in the task definition on EC2 means bridge',
    spec: { id: 'nomode2', networkMode: null, containers: [exporter] },
    address: '10.0.1.10:32768',
  },
];

describe('where a target is', () => {
  for (const row of rows) {
    it(row.name, () => {
      const { snapshot, task } = one(row.spec);
      const decision = decideTask(task, snapshot, options());
      assert.equal(decision.skip, undefined, JSON.stringify(decision.skip));
      const targets = decision.containers.flatMap((c) => c.targets);
      assert.equal(targets.length, 1, JSON.stringify(decision));
      assert.equal(targets[0]!.address, row.address);
      for (const [name, value] of Object.entries(row.labels ?? {})) {
        assert.equal(targets[0]!.labels[name], value, name);
      }
    });
  }
});

describe('both task ARN formats', () => {
  for (const format of ['new', 'old'] as const) {
    it(`uses the real task id with the ${format} ARN format`, () => {
      const { snapshot, task } = one({ id: 'a1b2c3d4', arnFormat: format, containers: [exporter] });
      const decision = decideTask(task, snapshot, options());
      assert.equal(decision.taskId, 'a1b2c3d4');
      const target = decision.containers[0]!.targets[0]!;
      assert.equal(target.labels['ecs_task_id'], 'a1b2c3d4');
      assert.equal(target.labels['__meta_ecs_task_id'], 'a1b2c3d4');
      assert.equal(target.labels['__meta_ecs_task_arn'], taskArn('a1b2c3d4', format));
      assert.equal(target.key, `${taskArn('a1b2c3d4', format)}/app/9100/metrics`);
    });
  }
});

describe('discoverCluster', () => {
  it('decides every task and orders targets by task ARN, container, port and path', () => {
    const snapshot = (() => {
      const a = one({
        id: 'bbb',
        family: 'b',
        launchType: 'FARGATE',
        containers: [
          { name: 'z', labels: { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9200' } },
          {
            name: 'a',
            labels: {
              'ecs-sd.scrape': 'true',
              'ecs-sd.endpoints.x.port': '9300',
              'ecs-sd.endpoints.y.port': '9100',
              'ecs-sd.endpoints.y2.port': '9100',
              'ecs-sd.endpoints.y2.path': '/a',
            },
          },
        ],
      }).snapshot;
      const b = one({ id: 'aaa', family: 'a', launchType: 'FARGATE', containers: [exporter] }).snapshot;
      const c = one({ id: 'ccc', family: 'c', lastStatus: 'PENDING', containers: [exporter] }).snapshot;
      return {
        ...a,
        tasks: [...a.tasks, ...c.tasks, ...b.tasks],
        taskDefinitions: new Map([...a.taskDefinitions, ...b.taskDefinitions, ...c.taskDefinitions]),
      };
    })();
    const result = discoverCluster(snapshot, options());
    assert.deepEqual(
      result.decisions.map((d) => d.taskId),
      ['aaa', 'bbb', 'ccc'],
    );
    assert.deepEqual(
      result.targets.map((t) => t.key.replace(/^.*task\/prod\//, '')),
      [
        'aaa/app/9100/metrics',
        'bbb/a/9100/a',
        'bbb/a/9100/metrics',
        'bbb/a/9300/metrics',
        'bbb/z/9200/metrics',
      ],
    );
    assert.deepEqual(discoverCluster(snapshot, options()), result, 'same snapshot, same result');
  });
});

describe('discoverCluster with a task listed twice', () => {
  it('decides it once and makes its targets once', () => {
    const { snapshot, task } = one({ id: 'dup', launchType: 'FARGATE', containers: [exporter] });
    const result = discoverCluster({ ...snapshot, tasks: [task, task] }, options());
    assert.equal(result.decisions.length, 1);
    assert.equal(result.targets.length, 1);
  });
});
