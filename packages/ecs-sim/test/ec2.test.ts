import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
  paginateDescribeInstances,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
} from '@aws-sdk/client-ecs';
import { type Sim, startSim } from '../src/index.ts';
import { clients, rejects } from './helpers.ts';

describe('ec2', () => {
  let sim: Sim;
  let ec2: EC2Client;
  let ecs: ECSClient;
  before(async () => {
    sim = await startSim({
      throttling: false,
      fleet: {
        taskDefinitions: [
          {
            family: 'b',
            networkMode: 'bridge',
            containerDefinitions: [{ name: 'c', image: 'i', portMappings: [{ containerPort: 80 }] }],
          },
        ],
        clusters: [
          {
            name: 'c1',
            instances: [{ count: 13, ec2Tags: { team: 'infra' } }],
            services: [{ name: 's', taskDefinition: 'b', desiredCount: 13 }],
          },
        ],
      },
    });
    ({ ec2, ecs } = clients(sim));
  });
  after(() => sim.close());

  it('describes the container instances hosts by InstanceId.N with private IPs in 127.0.0.0/8', async () => {
    const cis = (await ecs.send(new ListContainerInstancesCommand({ cluster: 'c1' }))).containerInstanceArns!;
    const d = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'c1', containerInstances: cis }),
    );
    const ids = d.containerInstances!.map((c) => c.ec2InstanceId!);
    const r = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const insts = r.Reservations!.flatMap((x) => x.Instances ?? []);
    assert.equal(insts.length, 13);
    const i = insts[0]!;
    assert.match(i.PrivateIpAddress!, /^127\.[1-3]\.\d+\.\d+$/);
    assert.equal(i.State?.Name, 'running');
    assert.equal(i.State?.Code, 16);
    assert.equal(i.InstanceType, 'm5.large');
    assert.match(i.Placement!.AvailabilityZone!, /^us-east-1[abc]$/);
    assert.ok(i.Tags!.some((t) => t.Key === 'team' && t.Value === 'infra'));
    assert.ok(i.LaunchTime instanceof Date);
    assert.equal(i.NetworkInterfaces?.[0]?.PrivateIpAddress, i.PrivateIpAddress);
  });

  it('filters and paginates DescribeInstances', async () => {
    const seen: string[] = [];
    let pages = 0;
    for await (const p of paginateDescribeInstances(
      { client: ec2, pageSize: 5 },
      {
        Filters: [
          { Name: 'tag:team', Values: ['infra'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      },
    )) {
      pages++;
      seen.push(...p.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
    }
    assert.equal(seen.length, 13);
    assert.equal(pages, 3);
    const none = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:team', Values: ['nobody'] }] }),
    );
    assert.deepEqual(none.Reservations, []);
  });

  it('returns InvalidInstanceID.NotFound, Malformed and a ValidationError-style code for bad parameters', async () => {
    const e = await rejects(() =>
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })),
    );
    assert.equal(e.name, 'InvalidInstanceID.NotFound');
    assert.equal(e.$metadata?.httpStatusCode, 400);
    const m = await rejects(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: ['nope'] })));
    assert.equal(m.name, 'InvalidInstanceID.Malformed');
    const combo = await rejects(() =>
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'], MaxResults: 5 })),
    );
    assert.equal(combo.name, 'InvalidParameterCombination');
    const f = await rejects(() =>
      ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] })),
    );
    assert.equal(f.name, 'InvalidParameterValue');
    const res = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=Frobnicate&Version=2016-11-15',
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>InvalidAction<\/Code>/);
    const post = (body: string) =>
      fetch(sim.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const notInt = await post('Action=DescribeInstances&Version=2016-11-15&MaxResults=lots');
    assert.equal(notInt.status, 400);
    assert.match(notInt.text, /<Code>ValidationError<\/Code>/);
    const noAction = await post('Version=2016-11-15&Action=');
    assert.equal(noAction.status, 400);
    assert.match(noAction.text, /<Code>MissingAction<\/Code>/);
  });

  it('creates a VPC and subnet, runs instances in it and registers one as a container instance', async () => {
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '127.64.0.0/16' }));
    const sub = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc!.VpcId!,
        CidrBlock: '127.64.1.0/24',
        AvailabilityZone: 'us-east-1b',
      }),
    );
    assert.equal(sub.Subnet?.CidrBlock, '127.64.1.0/24');
    const clash = await rejects(() =>
      ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '127.64.1.0/25' })),
    );
    assert.equal(clash.name, 'InvalidSubnet.Conflict');
    const run = await ec2.send(
      new RunInstancesCommand({
        MinCount: 2,
        MaxCount: 2,
        ImageId: 'ami-1',
        InstanceType: 't3.micro',
        SubnetId: sub.Subnet!.SubnetId!,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'host' }] }],
      }),
    );
    const insts = run.Instances!;
    assert.equal(insts.length, 2);
    assert.deepEqual(
      insts.map((i) => i.PrivateIpAddress),
      ['127.64.1.4', '127.64.1.5'],
    );
    const reg = await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: 'c1',
        instanceIdentityDocument: JSON.stringify({ instanceId: insts[0]!.InstanceId }),
      }),
    );
    assert.equal(reg.containerInstance?.ec2InstanceId, insts[0]!.InstanceId);
    const enis = await ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: 'subnet-id', Values: [sub.Subnet!.SubnetId!] }],
      }),
    );
    assert.equal(enis.NetworkInterfaces?.length, 2);
    assert.equal(enis.NetworkInterfaces?.[0]?.Attachment?.InstanceId, insts[0]!.InstanceId);
  });

  it('terminating a host stops its tasks and the service places replacements elsewhere', async () => {
    const cis = (await ecs.send(new ListContainerInstancesCommand({ cluster: 'c1' }))).containerInstanceArns!;
    const d = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'c1', containerInstances: cis }),
    );
    const victim = d.containerInstances!.find((c) => (c.runningTasksCount ?? 0) > 0)!;
    const onVictim = (
      await ecs.send(new ListTasksCommand({ cluster: 'c1', containerInstance: victim.containerInstanceArn! }))
    ).taskArns!;
    const t = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [victim.ec2InstanceId!] }));
    assert.equal(t.TerminatingInstances?.[0]?.CurrentState?.Name, 'shutting-down');
    sim.settle();
    const stopped = await ecs.send(new DescribeTasksCommand({ cluster: 'c1', tasks: onVictim }));
    assert.equal(stopped.tasks?.length, onVictim.length);
    assert.ok(onVictim.length > 0);
    assert.ok(stopped.tasks!.every((x) => x.lastStatus === 'STOPPED'));
    assert.ok(
      stopped.tasks!.every(
        (x) => x.stoppedReason === `Host EC2 (instance ${victim.ec2InstanceId}) terminated.`,
      ),
    );
    const running = (await ecs.send(new ListTasksCommand({ cluster: 'c1', serviceName: 's' }))).taskArns!;
    assert.equal(running.length, 13);
    const after = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [victim.ec2InstanceId!] }));
    assert.equal(after.Reservations?.[0]?.Instances?.[0]?.State?.Name, 'terminated');
  });
});
