import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeContainerInstancesCommand, ListContainerInstancesCommand } from '@aws-sdk/client-ecs';
import { DescribeInstanceInformationCommand, paginateDescribeInstanceInformation } from '@aws-sdk/client-ssm';
import { type Sim, startSim } from '../src/index.ts';
import { clients, rejects } from './helpers.ts';

describe('ssm', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim({
      throttling: false,
      fleet: {
        clusters: [{ name: 'edge', instances: [{ count: 53, launchType: 'EXTERNAL' }, { count: 1 }] }],
      },
    });
  });
  after(() => sim.close());

  it('describes ECS Anywhere hosts (mi-…) with their IPAddress, 50 per page at most', async () => {
    const { ssm, ecs } = clients(sim);
    const all: string[] = [];
    let pages = 0;
    for await (const p of paginateDescribeInstanceInformation({ client: ssm, pageSize: 50 }, {})) {
      pages++;
      all.push(...p.InstanceInformationList!.map((i) => i.InstanceId!));
    }
    assert.equal(all.length, 53);
    assert.equal(pages, 2);
    const cis = (await ecs.send(new ListContainerInstancesCommand({ cluster: 'edge' })))
      .containerInstanceArns!;
    const d = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'edge', containerInstances: cis.slice(0, 3) }),
    );
    const ids = d.containerInstances!.map((c) => c.ec2InstanceId!).filter((i) => i.startsWith('mi-'));
    const r = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ids }] }),
    );
    assert.deepEqual(r.InstanceInformationList!.map((i) => i.InstanceId).sort(), [...ids].sort());
    const info = r.InstanceInformationList![0]!;
    assert.match(info.IPAddress!, /^127\.\d+\.\d+\.\d+$/);
    assert.equal(info.PingStatus, 'Online');
    assert.equal(info.ResourceType, 'ManagedInstance');
    const old = await ssm.send(
      new DescribeInstanceInformationCommand({
        InstanceInformationFilterList: [{ key: 'InstanceIds', valueSet: [ids[0]!] }],
      }),
    );
    assert.equal(old.InstanceInformationList?.length, 1);
  });

  it('rejects a page size above 50 and unknown filter keys', async () => {
    const { ssm } = clients(sim);
    const e = await rejects(() => ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 51 })));
    assert.equal(e.name, 'ValidationException');
    const f = await rejects(() =>
      ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'Nope', Values: ['x'] }] })),
    );
    assert.equal(f.name, 'InvalidFilterKey');
  });
});
