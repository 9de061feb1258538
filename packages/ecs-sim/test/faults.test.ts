import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { parseFaultSpec, type Sim, startSim } from '../src/index.ts';
import { clientConfig, clients, rejects } from './helpers.ts';

describe('faults', () => {
  let sim: Sim;
  let ecs: ECSClient;
  before(async () => {
    sim = await startSim({
      throttling: false,
      seed: 3,
      fleet: {
        taskDefinitions: [
          { family: 'b', networkMode: 'bridge', containerDefinitions: [{ name: 'c', image: 'i' }] },
        ],
        clusters: [
          { name: 'prod', instances: [{ count: 1 }], tasks: [{ taskDefinition: 'b', count: 3 }] },
          { name: 'secret', instances: [{ count: 1 }], tasks: [{ taskDefinition: 'b', count: 1 }] },
          {
            name: 'doomed',
            instances: [{ count: 1 }],
            services: [{ name: 's', taskDefinition: 'b', desiredCount: 1 }],
          },
        ],
      },
    });
    ecs = clients(sim).ecs;
  });
  after(() => sim.close());
  beforeEach(() => sim.faults.clear());

  it('fails exactly the next N calls with HTTP 500 ServerException, then recovers', async () => {
    sim.faults.add({ operation: 'ListTasks', kind: 'http500', count: 2 });
    sim.resetCounters();
    for (let i = 0; i < 2; i++) {
      const e = await rejects(() => ecs.send(new ListTasksCommand({ cluster: 'prod' })));
      assert.equal(e.name, 'ServerException');
      assert.equal(e.$metadata?.httpStatusCode, 500);
    }
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'prod' }))).taskArns?.length, 3);
    assert.equal(sim.counters()['ListTasks'], 3);
    const c = (await fetch(`${sim.endpoint}/_sim/counters`).then((r) => r.json())) as Record<
      string,
      Record<string, { faulted: number }>
    >;
    assert.equal(c['123456789012']!['ListTasks']!.faulted, 2);
  });

  it('lets the SDK retry through a 503 and a throttle fault', async () => {
    sim.faults.add({ operation: 'ListClusters', kind: 'http503', count: 1 });
    sim.faults.add({ operation: 'ListClusters', kind: 'throttle', count: 1 });
    const retrying = new ECSClient({ ...clientConfig(sim), maxAttempts: 3 });
    const r = await retrying.send(new ListClustersCommand({}));
    assert.equal(r.$metadata.attempts, 3);
    sim.faults.add({ operation: 'ListClusters', kind: 'throttle', count: 1 });
    const e = await rejects(() => ecs.send(new ListClustersCommand({})));
    assert.equal(e.name, 'ThrottlingException');
  });

  it('resets the connection, truncates and malforms bodies', async () => {
    for (const kind of ['reset', 'truncate', 'malformed'] as const) {
      sim.faults.add({ operation: 'DescribeClusters', kind, count: 1 });
      const e = await rejects(() => ecs.send(new DescribeClustersCommand({ clusters: ['prod'] })));
      assert.ok(e instanceof Error, kind);
      assert.notEqual(e.name, 'ClusterNotFoundException');
    }
    const ok = await ecs.send(new DescribeClustersCommand({ clusters: ['prod'] }));
    assert.equal(ok.clusters?.length, 1);
    sim.faults.add({ operation: 'DescribeInstances', kind: 'malformed', count: 1 });
    await rejects(() => clients(sim).ec2.send(new DescribeInstancesCommand({})));
  });

  it('adds latency to matching calls', async () => {
    sim.faults.add({ operation: 'ListClusters', kind: 'latency', latencyMs: 150, count: 1 });
    const t0 = performance.now();
    await ecs.send(new ListClustersCommand({}));
    assert.ok(performance.now() - t0 >= 140);
  });

  it('denies access to a chosen cluster with AccessDeniedException', async () => {
    sim.faults.add({ kind: 'access-denied', cluster: 'secret' });
    const e = await rejects(() => ecs.send(new ListTasksCommand({ cluster: 'secret' })));
    assert.equal(e.name, 'AccessDeniedException');
    assert.match(
      e.message,
      /not authorized to perform: ecs:ListTasks on resource: arn:aws:ecs:us-east-1:123456789012:cluster\/secret/,
    );
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'prod' }))).taskArns?.length, 3);
  });

  it('applies a rate from the seeded PRNG: about the given fraction of calls fail', async () => {
    sim.faults.add({ operation: 'DescribeClusters', kind: 'http500', rate: 0.3 });
    let failed = 0;
    for (let i = 0; i < 100; i++) {
      await ecs.send(new DescribeClustersCommand({ clusters: ['prod'] })).catch(() => failed++);
    }
    assert.ok(failed > 15 && failed < 45, `failed ${failed} of 100`);
  });

  it('deletes a cluster between List and Describe', async () => {
    sim.faults.add({
      operation: 'ListServices',
      kind: 'delete-between-list-and-describe',
      cluster: 'doomed',
    });
    const listed = await ecs.send(new ListServicesCommand({ cluster: 'doomed' }));
    assert.equal(listed.serviceArns?.length, 1);
    const e = await rejects(() =>
      ecs.send(new DescribeServicesCommand({ cluster: 'doomed', services: listed.serviceArns! })),
    );
    assert.equal(e.name, 'ClusterNotFoundException');
    const d = await ecs.send(new DescribeClustersCommand({ clusters: ['doomed'] }));
    assert.equal(d.clusters?.[0]?.status, 'INACTIVE');
  });

  it('is driven over the admin API and by CLI-style specs', async () => {
    const add = await fetch(`${sim.endpoint}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ spec: 'op=DescribeTasks,kind=http500,count=1' }),
    });
    const { id } = (await add.json()) as { id: string };
    assert.ok(id);
    const list = (await fetch(`${sim.endpoint}/_sim/faults`).then((r) => r.json())) as {
      faults: { id: string }[];
    };
    assert.deepEqual(
      list.faults.map((f) => f.id),
      [id],
    );
    const e = await rejects(() => ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: ['x'] })));
    assert.equal(e.name, 'ServerException');
    const bad = await fetch(`${sim.endpoint}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ spec: 'kind=explode' }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(parseFaultSpec('op=ListTasks,rate=0.5,kind=http503'), {
      operation: 'ListTasks',
      rate: 0.5,
      kind: 'http503',
    });
    assert.ok(Array.isArray(parseFaultSpec('kind=access-denied')), 'access-denied needs a cluster');
    await fetch(`${sim.endpoint}/_sim/faults`, { method: 'DELETE' });
    assert.deepEqual(sim.faults.list(), []);
  });

  it('exposes Prometheus metrics and ground truth on the admin endpoint', async () => {
    await ecs.send(new ListClustersCommand({}));
    const text = await fetch(`${sim.endpoint}/_sim/metrics`).then((r) => r.text());
    assert.match(
      text,
      /ecs_sim_requests_total\{account="123456789012",service="ecs",operation="ListClusters",outcome="ok"\} \d+/,
    );
    assert.match(text, /ecs_sim_tasks\{account="123456789012",last_status="RUNNING"\} \d+/);
    const state = (await fetch(`${sim.endpoint}/_sim/state`).then((r) => r.json())) as {
      tasks: { cluster: string; networkMode: string; containers: { address: string }[] }[];
    };
    const prod = state.tasks.filter((t) => t.cluster === 'prod');
    assert.equal(prod.length, 3);
    assert.match(prod[0]!.containers[0]!.address, /^127\./);
    await fetch(`${sim.endpoint}/_sim/counters/reset`, { method: 'POST' });
    assert.deepEqual(sim.counters(), {});
  });
});
