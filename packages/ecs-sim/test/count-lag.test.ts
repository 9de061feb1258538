/**
 * DescribeClusters and DescribeServices counts follow the model with a configurable lag, through
 * the real ECS client: a change shows in the counts only once the lag has passed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeClustersCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { type Sim, startSim } from '../src/index.ts';
import { clients } from './helpers.ts';

const LAG_MS = 400;
const FLEET = {
  subnets: [{ id: 'subnet-a', cidr: '10.0.0.0/16', availabilityZone: 'us-east-1a' }],
  taskDefinitions: [
    { family: 'web', networkMode: 'awsvpc', containerDefinitions: [{ name: 'app', image: 'web:1' }] },
  ],
  clusters: [
    {
      name: 'prod',
      instances: [{ count: 2, launchType: 'EC2', subnet: 'subnet-a' }],
      services: [
        { name: 'web', taskDefinition: 'web', desiredCount: 2, launchType: 'FARGATE', subnet: 'subnet-a' },
      ],
    },
  ],
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('count lag', () => {
  let sim: Sim;
  let ecs: ReturnType<typeof clients>['ecs'];
  before(async () => {
    sim = await startSim({
      fleet: FLEET as never,
      throttling: false,
      countLagMs: LAG_MS,
      lifecycle: { provisioningMs: 0, pendingMs: 0, activatingMs: 0, deactivatingMs: 0, stoppingMs: 0 },
    });
    ecs = clients(sim).ecs;
  });
  after(() => sim.close());

  const counts = async () => {
    const [cluster] = (await ecs.send(new DescribeClustersCommand({ clusters: ['prod'] }))).clusters!;
    const [service] = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] })))
      .services!;
    return {
      running: cluster!.runningTasksCount,
      pending: cluster!.pendingTasksCount,
      instances: cluster!.registeredContainerInstancesCount,
      serviceRunning: service!.runningCount,
    };
  };

  it('serves the counts as they were LAG_MS ago, then the new ones', async () => {
    await sleep(LAG_MS);
    const before = await counts();
    assert.deepEqual(before, { running: 2, pending: 0, instances: 2, serviceRunning: 2 });
    sim.runTask({ cluster: 'prod', taskDefinition: 'web', count: 3, launchType: 'FARGATE' });
    sim.settle();
    assert.equal(
      sim.world.accounts.get(sim.accountId)!.clusters.get('prod')!.tasks.size,
      5,
      'the model has the new tasks',
    );
    assert.deepEqual(await counts(), before, 'within the lag the counts are the old ones');
    await sleep(LAG_MS + 50);
    assert.deepEqual(await counts(), { running: 5, pending: 0, instances: 2, serviceRunning: 2 });
  });

  it('with lag 0 the counts are live', async () => {
    sim.setCountLag(0);
    sim.runTask({ cluster: 'prod', taskDefinition: 'web', count: 1, launchType: 'FARGATE' });
    sim.settle();
    assert.equal((await counts()).running, 6);
  });
});
