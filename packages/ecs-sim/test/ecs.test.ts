import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeregisterContainerInstanceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  paginateListClusters,
  paginateListContainerInstances,
  paginateListServices,
  paginateListTasks,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { loadFleetFile, type Sim, startSim } from '../src/index.ts';
import { clients, rawJson, rejects } from './helpers.ts';

const FLEET = new URL('./fixtures/fleet.yaml', import.meta.url).pathname;

async function listAll(
  ecs: ECSClient,
  input: {
    cluster: string;
    desiredStatus?: 'RUNNING' | 'STOPPED';
    serviceName?: string;
    family?: string;
    launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
    containerInstance?: string;
  },
  pageSize?: number,
): Promise<string[]> {
  const out: string[] = [];
  for await (const p of paginateListTasks({ client: ecs, ...(pageSize ? { pageSize } : {}) }, input))
    out.push(...(p.taskArns ?? []));
  return out;
}

async function describeAll(ecs: ECSClient, cluster: string, arns: string[]): Promise<Task[]> {
  const out: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const r = await ecs.send(
      new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100), include: ['TAGS'] }),
    );
    out.push(...(r.tasks ?? []));
  }
  return out;
}

describe('ecs', () => {
  let sim: Sim;
  let ecs: ECSClient;
  before(async () => {
    sim = await startSim({
      fleet: loadFleetFile(FLEET),
      throttling: false,
      // Long delays: only sim.advance() and sim.settle() move tasks, never the wall clock.
      lifecycle: { provisioningMs: 60_000, pendingMs: 60_000, stoppingMs: 60_000, deprovisioningMs: 60_000 },
    });
    ecs = clients(sim).ecs;
  });
  after(() => sim.close());

  it('lists and describes clusters with tags, unknown ones in failures', async () => {
    const arns: string[] = [];
    for await (const p of paginateListClusters({ client: ecs, pageSize: 2 }, {}))
      arns.push(...(p.clusterArns ?? []));
    assert.deepEqual(
      arns.map((a) => a.split('/')[1]),
      ['prod', 'legacy', 'many'],
    );
    const r = await ecs.send(new DescribeClustersCommand({ clusters: ['prod', 'nope'], include: ['TAGS'] }));
    assert.equal(r.clusters?.[0]?.clusterArn, 'arn:aws:ecs:us-east-1:123456789012:cluster/prod');
    assert.deepEqual(r.clusters?.[0]?.tags, [{ key: 'env', value: 'prod' }]);
    assert.equal(r.clusters?.[0]?.registeredContainerInstancesCount, 4);
    assert.deepEqual(r.failures, [
      { arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/nope', reason: 'MISSING' },
    ]);
  });

  it('pages ListTasks 100 at a time and DescribeTasks shows bridge bindings from 32768 per instance', async () => {
    sim.resetCounters();
    const arns = await listAll(ecs, { cluster: 'prod', family: 'api' });
    assert.equal(arns.length, 204);
    assert.equal(new Set(arns).size, 204);
    assert.equal(sim.counters()['ListTasks'], 3);
    const tasks = await describeAll(ecs, 'prod', arns);
    const perInstance = new Map<string, number[]>();
    for (const t of tasks) {
      assert.match(t.taskArn!, /^arn:aws:ecs:us-east-1:123456789012:task\/prod\/[0-9a-f]{32}$/);
      assert.equal(t.lastStatus, 'RUNNING');
      assert.equal(t.launchType, 'EC2');
      assert.ok(t.containerInstanceArn?.includes(':container-instance/prod/'));
      if (t.group === 'chaos') {
        assert.deepEqual(t.containers?.[0]?.networkBindings, []);
        continue;
      }
      assert.equal(t.group, 'family:api');
      assert.deepEqual(t.tags, [{ key: 'kind', value: 'standalone' }]);
      const c = t.containers![0]!;
      assert.equal(c.lastStatus, 'RUNNING');
      assert.ok(c.runtimeId);
      assert.equal(c.networkBindings?.length, 2);
      assert.deepEqual(t.overrides?.containerOverrides, [
        { name: 'api', environment: [{ name: 'PROMETHEUS_PORT', value: '9999' }] },
      ]);
      const ports = perInstance.get(t.containerInstanceArn!) ?? [];
      for (const b of c.networkBindings!) {
        assert.equal(b.bindIP, '0.0.0.0');
        assert.ok(b.hostPort! >= 32768 && b.hostPort! <= 60999, `host port ${b.hostPort}`);
        ports.push(b.hostPort!);
      }
      perInstance.set(t.containerInstanceArn!, ports);
    }
    for (const ports of perInstance.values()) {
      assert.equal(new Set(ports).size, ports.length, 'host ports are unique per container instance');
      assert.equal(Math.min(...ports), 32768);
    }
    assert.equal(sim.counters()['DescribeTasks'], 3);
  });

  it('shows awsvpc ENI attachments with subnet addresses and IPv6 when asked', async () => {
    const arns = await listAll(ecs, { cluster: 'prod', serviceName: 'vpc' });
    const tasks = await describeAll(ecs, 'prod', arns);
    assert.equal(tasks.length, 2);
    for (const t of tasks) {
      assert.equal(t.group, 'service:vpc');
      assert.match(t.startedBy!, /^ecs-svc\/\d{19}$/);
      const att = t.attachments![0]!;
      assert.equal(att.type, 'ElasticNetworkInterface');
      assert.equal(att.status, 'ATTACHED');
      const d = Object.fromEntries(att.details!.map((x) => [x.name, x.value]));
      assert.match(d['privateIPv4Address']!, /^127\.1[01]\.\d+\.\d+$/);
      assert.match(d['networkInterfaceId']!, /^eni-[0-9a-f]{17}$/);
      assert.equal(t.containers![0]!.networkInterfaces![0]!.privateIpv4Address, d['privateIPv4Address']);
      if (d['subnetId'] === 'subnet-a') assert.match(d['privateIPv6Address']!, /^fd00:10::[0-9a-f]+$/);
    }
    const fargate = await describeAll(
      ecs,
      'prod',
      await listAll(ecs, { cluster: 'prod', launchType: 'FARGATE' }),
    );
    assert.equal(fargate.length, 3);
    assert.equal(fargate[0]!.platformVersion, '1.4.0');
    assert.equal(fargate[0]!.platformFamily, 'Linux');
    assert.equal(fargate[0]!.containerInstanceArn, undefined);
  });

  it('keeps a pinned PENDING awsvpc task without an IP... and host mode binds the container port', async () => {
    const all = await describeAll(ecs, 'prod', await listAll(ecs, { cluster: 'prod', family: 'vpcapp' }));
    const pending = all.find((t) => t.lastStatus === 'PENDING');
    assert.ok(pending);
    const d = pending.attachments![0]!.details!.map((x) => x.name);
    assert.ok(d.includes('privateIPv4Address'), 'the ENI is attached from PENDING on');
    assert.equal(pending.containers![0]!.runtimeId, undefined);
    const host = await describeAll(ecs, 'prod', await listAll(ecs, { cluster: 'prod', family: 'node' }));
    assert.equal(host.length, 3);
    assert.equal(
      new Set(host.map((t) => t.containerInstanceArn)).size,
      3,
      'host-mode port 9100 forces one task per instance',
    );
    for (const t of host)
      assert.deepEqual(t.containers![0]!.networkBindings, [
        { bindIP: '0.0.0.0', containerPort: 9100, hostPort: 9100, protocol: 'tcp' },
      ]);
  });

  it('accepts bare ids, long and short ARNs and puts unknown tasks in failures', async () => {
    const legacy = await listAll(ecs, { cluster: 'legacy' });
    assert.equal(legacy.length, 5);
    assert.match(legacy[0]!, /^arn:aws:ecs:us-east-1:123456789012:task\/[0-9a-f]{32}$/);
    const id = legacy[0]!.split('/').pop()!;
    const r = await ecs.send(
      new DescribeTasksCommand({
        cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/legacy',
        tasks: [
          id,
          legacy[1]!,
          `arn:aws:ecs:us-east-1:123456789012:task/legacy/${legacy[2]!.split('/').pop()}`,
          'ffffffffffffffffffffffffffffffff',
        ],
      }),
    );
    assert.equal(r.tasks?.length, 3);
    assert.match(r.tasks![0]!.containerInstanceArn!, /:container-instance\/[0-9a-f]{32}$/);
    assert.deepEqual(r.failures, [
      {
        arn: 'arn:aws:ecs:us-east-1:123456789012:task/ffffffffffffffffffffffffffffffff',
        reason: 'MISSING',
      },
    ]);
  });

  it('rejects more than 100 tasks, 100 container instances and 10 services with InvalidParameterException', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0'));
    const e1 = await rejects(() => ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: ids })));
    assert.equal(e1.name, 'InvalidParameterException');
    assert.equal(e1.$metadata?.httpStatusCode, 400);
    const e2 = await rejects(() =>
      ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: ids })),
    );
    assert.equal(e2.name, 'InvalidParameterException');
    const e3 = await rejects(() =>
      ecs.send(new DescribeServicesCommand({ cluster: 'many', services: ids.slice(0, 11) })),
    );
    assert.equal(e3.name, 'InvalidParameterException');
    const e4 = await rejects(() => ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [] })));
    assert.equal(e4.name, 'InvalidParameterException');
    const e5 = await rejects(() => ecs.send(new ListTasksCommand({ cluster: 'prod', maxResults: 101 })));
    assert.equal(e5.name, 'InvalidParameterException');
    const e6 = await rejects(() => ecs.send(new ListTasksCommand({ cluster: 'nope' })));
    assert.equal(e6.name, 'ClusterNotFoundException');
    assert.equal(e6.message, 'Cluster not found.');
  });

  it('pages ListServices 10 by default and up to 100, and describes services with tags', async () => {
    sim.resetCounters();
    const names: string[] = [];
    for await (const p of paginateListServices({ client: ecs }, { cluster: 'many' }))
      names.push(...(p.serviceArns ?? []));
    assert.equal(names.length, 101);
    assert.equal(sim.counters()['ListServices'], 11);
    const big: string[] = [];
    for await (const p of paginateListServices({ client: ecs, pageSize: 100 }, { cluster: 'many' }))
      big.push(...(p.serviceArns ?? []));
    assert.deepEqual(big, names);
    const r = await ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['web', 'missing'], include: ['TAGS'] }),
    );
    const web = r.services![0]!;
    assert.equal(web.serviceArn, 'arn:aws:ecs:us-east-1:123456789012:service/prod/web');
    assert.equal(web.desiredCount, 3);
    assert.equal(web.runningCount, 3);
    assert.equal(web.launchType, 'FARGATE');
    assert.deepEqual(web.tags, [{ key: 'tier', value: 'front' }]);
    assert.deepEqual(web.networkConfiguration?.awsvpcConfiguration?.subnets, ['subnet-a']);
    assert.equal(r.failures?.[0]?.reason, 'MISSING');
  });

  it('describes container instances with EC2 and SSM managed instance ids', async () => {
    const arns: string[] = [];
    for await (const p of paginateListContainerInstances({ client: ecs, pageSize: 3 }, { cluster: 'prod' }))
      arns.push(...(p.containerInstanceArns ?? []));
    assert.equal(arns.length, 4);
    const r = await ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'prod',
        containerInstances: [...arns, 'nope'],
        include: ['TAGS'],
      }),
    );
    const ids = r.containerInstances!.map((c) => c.ec2InstanceId!);
    assert.equal(ids.filter((i) => /^i-[0-9a-f]{17}$/.test(i)).length, 3);
    assert.equal(ids.filter((i) => /^mi-[0-9a-f]{17}$/.test(i)).length, 1);
    const ec2ci = r.containerInstances!.find((c) => c.ec2InstanceId!.startsWith('i-'))!;
    assert.equal(ec2ci.status, 'ACTIVE');
    assert.equal(ec2ci.agentConnected, true);
    assert.deepEqual(ec2ci.tags, [{ key: 'role', value: 'app' }]);
    assert.ok((ec2ci.runningTasksCount ?? 0) > 0);
    assert.equal(r.failures?.[0]?.reason, 'MISSING');
  });

  it('describes task definitions by family, family:revision and ARN', async () => {
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
    assert.equal(latest.taskDefinition?.revision, 2);
    const one = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api:1' }));
    assert.equal(one.taskDefinition?.containerDefinitions?.[0]?.portMappings?.[0]?.hostPort, 0);
    assert.deepEqual(one.taskDefinition?.containerDefinitions?.[0]?.environment, [
      { name: 'PROMETHEUS', value: 'true' },
    ]);
    const byArn = await ecs.send(
      new DescribeTaskDefinitionCommand({
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
        include: ['TAGS'],
      }),
    );
    assert.equal(byArn.taskDefinition?.networkMode, 'awsvpc');
    assert.deepEqual(byArn.taskDefinition?.containerDefinitions?.[0]?.dockerLabels, {
      PROMETHEUS_EXPORTER_PORT: '8080',
    });
    assert.deepEqual(byArn.tags, [{ key: 'team', value: 'web' }]);
    const err = await rejects(() =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope:3' })),
    );
    assert.equal(err.name, 'ClientException');
  });

  it('walks a RunTask awsvpc task through the lifecycle: no IP while PROVISIONING, no runtimeId before RUNNING', async () => {
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'prod',
        taskDefinition: 'vpcapp',
        launchType: 'EC2',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-b'] } },
        overrides: { containerOverrides: [{ name: 'app', environment: [{ name: 'X', value: '1' }] }] },
      }),
    );
    const t = run.tasks![0]!;
    assert.equal(t.lastStatus, 'PROVISIONING');
    assert.equal(t.desiredStatus, 'RUNNING');
    assert.deepEqual(
      t.attachments![0]!.details!.map((d) => d.name),
      ['subnetId'],
    );
    assert.equal(t.version, 1);
    const get = async (): Promise<Task> =>
      (await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [t.taskArn!] }))).tasks![0]!;
    sim.advance(60_000);
    const pending = await get();
    assert.equal(pending.lastStatus, 'PENDING');
    assert.ok(
      pending.attachments![0]!.details!.some(
        (d) => d.name === 'privateIPv4Address' && d.value!.startsWith('127.11.'),
      ),
    );
    assert.equal(pending.containers![0]!.runtimeId, undefined);
    sim.advance(60_000);
    const running = await get();
    assert.equal(running.lastStatus, 'RUNNING');
    assert.ok(running.containers![0]!.runtimeId);
    assert.ok(running.startedAt instanceof Date);
    assert.equal(running.version, 3);
    assert.deepEqual(running.overrides?.containerOverrides?.[0]?.environment, [{ name: 'X', value: '1' }]);
    await ecs.send(new StopTaskCommand({ cluster: 'prod', task: t.taskArn!, reason: 'test' }));
    const stopping = await get();
    assert.equal(stopping.lastStatus, 'STOPPING');
    assert.equal(stopping.desiredStatus, 'STOPPED');
    sim.advance(60_000);
    assert.equal((await get()).lastStatus, 'DEPROVISIONING');
    sim.advance(60_000);
    const stopped = await get();
    assert.equal(stopped.lastStatus, 'STOPPED');
    assert.equal(stopped.stoppedReason, 'test');
    assert.equal(stopped.attachments![0]!.status, 'DETACHED');
    assert.ok((await listAll(ecs, { cluster: 'prod', desiredStatus: 'STOPPED' })).includes(t.taskArn!));
  });

  it('requires a network configuration for awsvpc and rejects more than 10 tasks per RunTask', async () => {
    const e = await rejects(() =>
      ecs.send(new RunTaskCommand({ cluster: 'prod', taskDefinition: 'vpcapp', launchType: 'EC2' })),
    );
    assert.equal(e.name, 'InvalidParameterException');
    const e2 = await rejects(() =>
      ecs.send(new RunTaskCommand({ cluster: 'prod', taskDefinition: 'api', count: 11 })),
    );
    assert.equal(e2.name, 'InvalidParameterException');
  });

  it('assigns a dynamic bridge port only once the container runs', async () => {
    const run = await ecs.send(new RunTaskCommand({ cluster: 'legacy', taskDefinition: 'api:2' }));
    const t = run.tasks![0]!;
    assert.equal(t.lastStatus, 'PENDING');
    assert.deepEqual(t.containers![0]!.networkBindings, []);
    sim.advance(60_000);
    const r = await ecs.send(new DescribeTasksCommand({ cluster: 'legacy', tasks: [t.taskArn!] }));
    const b = r.tasks![0]!.containers![0]!.networkBindings!;
    assert.equal(b.length, 1);
    assert.equal(b[0]!.containerPort, 9000);
    assert.ok(b[0]!.hostPort! >= 32768);
  });

  it('replaces a stopped service task so the service keeps its desired count', async () => {
    const before = await listAll(ecs, { cluster: 'prod', serviceName: 'web' });
    assert.equal(before.length, 3);
    await ecs.send(new StopTaskCommand({ cluster: 'prod', task: before[0]! }));
    const now = await listAll(ecs, { cluster: 'prod', serviceName: 'web' });
    assert.equal(now.length, 3, 'a replacement was started');
    assert.ok(!now.includes(before[0]!));
    sim.settle();
    const tasks = await describeAll(ecs, 'prod', now);
    assert.equal(tasks.length, 3);
    assert.ok(tasks.every((t) => t.lastStatus === 'RUNNING'));
  });

  it('creates, scales, updates and deletes a service', async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: 'tmp', tags: [{ key: 'a', value: 'b' }] }));
    await ecs.send(new RegisterContainerInstanceCommand({ cluster: 'tmp' }));
    const created = await ecs.send(
      new CreateServiceCommand({
        cluster: 'tmp',
        serviceName: 'svc',
        taskDefinition: 'api:2',
        desiredCount: 2,
      }),
    );
    assert.equal(created.service?.status, 'ACTIVE');
    const dup = await rejects(() =>
      ecs.send(
        new CreateServiceCommand({
          cluster: 'tmp',
          serviceName: 'svc',
          taskDefinition: 'api:2',
          desiredCount: 2,
        }),
      ),
    );
    assert.equal(dup.name, 'InvalidParameterException');
    sim.settle();
    assert.equal((await listAll(ecs, { cluster: 'tmp', serviceName: 'svc' })).length, 2);
    await ecs.send(new UpdateServiceCommand({ cluster: 'tmp', service: 'svc', desiredCount: 4 }));
    sim.settle();
    assert.equal((await listAll(ecs, { cluster: 'tmp', serviceName: 'svc' })).length, 4);
    await ecs.send(new UpdateServiceCommand({ cluster: 'tmp', service: 'svc', taskDefinition: 'api:1' }));
    sim.settle();
    const tasks = await describeAll(ecs, 'tmp', await listAll(ecs, { cluster: 'tmp', serviceName: 'svc' }));
    assert.equal(tasks.length, 4);
    assert.ok(tasks.every((t) => t.taskDefinitionArn!.endsWith('api:1')));
    const busy = await rejects(() => ecs.send(new DeleteClusterCommand({ cluster: 'tmp' })));
    assert.equal(busy.name, 'ClusterContainsServicesException');
    const scaled = await rejects(() =>
      ecs.send(new DeleteServiceCommand({ cluster: 'tmp', service: 'svc' })),
    );
    assert.equal(scaled.name, 'InvalidParameterException');
    await ecs.send(new DeleteServiceCommand({ cluster: 'tmp', service: 'svc', force: true }));
    sim.settle();
    assert.equal((await ecs.send(new ListServicesCommand({ cluster: 'tmp' }))).serviceArns?.length, 0);
    const ci = (await ecs.send(new ListContainerInstancesCommand({ cluster: 'tmp' }))).containerInstanceArns!;
    await ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'tmp', containerInstance: ci[0]! }));
    await ecs.send(new DeleteClusterCommand({ cluster: 'tmp' }));
    const d = await ecs.send(new DescribeClustersCommand({ clusters: ['tmp'] }));
    assert.equal(d.clusters?.[0]?.status, 'INACTIVE');
    assert.ok(!(await ecs.send(new ListClustersCommand({}))).clusterArns!.some((a) => a.endsWith('/tmp')));
  });

  it('registers and deregisters task definitions and starts tasks on chosen instances', async () => {
    const reg = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'fresh',
        networkMode: 'bridge',
        containerDefinitions: [
          { name: 'c', image: 'x', memory: 64, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
        ],
        tags: [{ key: 'k', value: 'v' }],
      }),
    );
    assert.equal(
      reg.taskDefinition?.taskDefinitionArn,
      'arn:aws:ecs:us-east-1:123456789012:task-definition/fresh:1',
    );
    const ci = (await ecs.send(new ListContainerInstancesCommand({ cluster: 'prod' })))
      .containerInstanceArns![0]!;
    const st = await ecs.send(
      new StartTaskCommand({ cluster: 'prod', taskDefinition: 'fresh', containerInstances: [ci] }),
    );
    assert.equal(st.tasks?.[0]?.containerInstanceArn, ci);
    const again = await ecs.send(
      new StartTaskCommand({ cluster: 'prod', taskDefinition: 'fresh', containerInstances: [ci] }),
    );
    assert.equal(
      again.failures?.[0]?.reason,
      'RESOURCE:PORTS',
      'static host port 8080 is taken on that instance',
    );
    const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'fresh:1' }));
    assert.equal(dereg.taskDefinition?.status, 'INACTIVE');
    const err = await rejects(() =>
      ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: [] })),
    );
    assert.equal(err.name, 'ClientException');
  });

  it('tags resources and lists their tags', async () => {
    const arn = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod';
    await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'owner', value: 'me' }] }));
    const r = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(r.tags, [
      { key: 'env', value: 'prod' },
      { key: 'owner', value: 'me' },
    ]);
    const task = (await listAll(ecs, { cluster: 'prod', family: 'node' }))[0]!;
    await ecs.send(new TagResourceCommand({ resourceArn: task, tags: [{ key: 't', value: '1' }] }));
    assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: task }))).tags, [
      { key: 't', value: '1' },
    ]);
    const err = await rejects(() =>
      ecs.send(
        new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/none' }),
      ),
    );
    assert.equal(err.name, 'InvalidParameterException');
  });

  it('answers malformed requests with SerializationException, never a crash', async () => {
    const target = 'AmazonEC2ContainerServiceV20141113.DescribeTasks';
    const bad = await rawJson(sim, target, '{"cluster": "prod", "tasks": [');
    assert.equal(bad.status, 400);
    assert.equal(bad.json['__type'], 'SerializationException');
    assert.equal(bad.headers.get('x-amzn-errortype'), 'SerializationException');
    const wrongType = await rawJson(sim, target, '{"cluster": "prod", "tasks": "abc"}');
    assert.equal(wrongType.json['__type'], 'SerializationException');
    const notObject = await rawJson(sim, target, '[1,2]');
    assert.equal(notObject.json['__type'], 'SerializationException');
    const unknown = await rawJson(sim, 'AmazonEC2ContainerServiceV20141113.Explode', '{}');
    assert.equal(unknown.json['__type'], 'UnknownOperationException');
    const badToken = await rawJson(
      sim,
      'AmazonEC2ContainerServiceV20141113.ListTasks',
      '{"cluster":"prod","nextToken":"garbage"}',
    );
    assert.equal(badToken.json['__type'], 'InvalidParameterException');
  });

  it('hides chaos fields: a task without containers or task definition', async () => {
    const arn = (await listAll(ecs, { cluster: 'prod', family: 'node' }))[1]!;
    sim.setTaskChaos(arn, { missing: ['containers', 'taskDefinitionArn'] });
    const t = (await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [arn] }))).tasks![0]!;
    assert.equal(t.containers, undefined);
    assert.equal(t.taskDefinitionArn, undefined);
    assert.equal(t.lastStatus, 'RUNNING');
  });
});

describe('ecs service scheduler', () => {
  it('places a host-mode replacement once the stopped task has released its port', async () => {
    const sim = await startSim({
      throttling: false,
      lifecycle: { stoppingMs: 60_000 },
      fleet: {
        taskDefinitions: [
          {
            family: 'node',
            networkMode: 'host',
            containerDefinitions: [{ name: 'e', image: 'i', portMappings: [{ containerPort: 9100 }] }],
          },
        ],
        clusters: [
          {
            name: 'c',
            instances: [{ count: 1 }],
            services: [{ name: 's', taskDefinition: 'node', desiredCount: 1 }],
          },
        ],
      },
    });
    try {
      const { ecs } = clients(sim);
      const [old] = (await ecs.send(new ListTasksCommand({ cluster: 'c' }))).taskArns!;
      await ecs.send(new StopTaskCommand({ cluster: 'c', task: old! }));
      assert.deepEqual(
        (await ecs.send(new ListTasksCommand({ cluster: 'c' }))).taskArns,
        [],
        'port 9100 is still held',
      );
      sim.settle();
      const now = (await ecs.send(new ListTasksCommand({ cluster: 'c' }))).taskArns!;
      assert.equal(now.length, 1);
      assert.notEqual(now[0], old);
      const t = (await ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: now }))).tasks![0]!;
      assert.equal(t.lastStatus, 'RUNNING');
      assert.equal(t.containers![0]!.networkBindings![0]!.hostPort, 9100);
    } finally {
      await sim.close();
    }
  });
});

describe('ecs daemon scheduler', () => {
  it('runs one DAEMON task per container instance, also on a host that joins later, and rejects FARGATE', async () => {
    const sim = await startSim({
      throttling: false,
      lifecycle: { provisioningMs: 60_000, pendingMs: 60_000, stoppingMs: 60_000, deprovisioningMs: 60_000 },
      fleet: {
        taskDefinitions: [
          {
            family: 'node-exporter',
            networkMode: 'host',
            containerDefinitions: [{ name: 'e', image: 'i', portMappings: [{ containerPort: 9100 }] }],
          },
        ],
        clusters: [
          {
            name: 'c',
            instances: [{ count: 3 }],
            services: [
              { name: 'node-exporter', taskDefinition: 'node-exporter', schedulingStrategy: 'DAEMON' },
            ],
          },
        ],
      },
    });
    try {
      const { ecs } = clients(sim);
      const onHosts = async () => {
        const arns = (await ecs.send(new ListTasksCommand({ cluster: 'c' }))).taskArns!;
        const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: 'c', tasks: arns }))).tasks!;
        return tasks.map((t) => t.containerInstanceArn).sort();
      };
      const instances = (await ecs.send(new ListContainerInstancesCommand({ cluster: 'c' })))
        .containerInstanceArns!;
      assert.deepEqual(await onHosts(), [...instances].sort(), 'one task on each of the 3 hosts');
      assert.ok(
        sim.groundTruth().tasks.every((t) => t.lastStatus === 'RUNNING'),
        'a loaded fleet starts its daemon tasks RUNNING',
      );
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster: 'c', services: ['node-exporter'] })))
        .services![0]!;
      assert.equal(svc.schedulingStrategy, 'DAEMON');
      assert.equal(svc.desiredCount, 3);

      const cluster = sim.world.account(sim.accountId).clusters.get('c')!;
      const inst = sim.world.runInstance(sim.world.account(sim.accountId), {});
      sim.world.registerContainerInstance(cluster, { kind: 'EC2', instance: inst });
      sim.settle();
      assert.equal((await onHosts()).length, 4, 'a host that joins gets its daemon task');

      const err = await rejects(() =>
        ecs.send(
          new CreateServiceCommand({
            cluster: 'c',
            serviceName: 'nope',
            taskDefinition: 'node-exporter',
            schedulingStrategy: 'DAEMON',
            launchType: 'FARGATE',
          }),
        ),
      );
      assert.equal(err.name, 'InvalidParameterException');
    } finally {
      await sim.close();
    }
  });
});
