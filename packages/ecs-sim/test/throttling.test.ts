import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { startSim, Throttler } from '../src/index.ts';
import { clientConfig, clients, rejects } from './helpers.ts';

describe('throttling', () => {
  it('throttles DescribeClusters after its burst of 50 with ThrottlingException "Rate exceeded"', async () => {
    const sim = await startSim({ fleet: { clusters: [{ name: 'c' }] } });
    try {
      const { ecs } = clients(sim);
      let calls = 0;
      let err: (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
      while (!err && calls < 500) {
        calls++;
        err = await ecs.send(new DescribeClustersCommand({ clusters: ['c'] })).then(
          () => undefined,
          (e: Error) => e,
        );
      }
      assert.ok(err, 'throttled within 500 calls');
      assert.ok(calls > 50, `first throttle after the burst of 50, got it at call ${calls}`);
      assert.equal(err.name, 'ThrottlingException');
      assert.equal(err.message, 'Rate exceeded');
      assert.equal(err.$metadata?.httpStatusCode, 400);
      const c = (await fetch(`${sim.endpoint}/_sim/counters`).then((r) => r.json())) as Record<
        string,
        Record<string, { throttled: number; ok: number }>
      >;
      assert.equal(c['123456789012']!['DescribeClusters']!.throttled, 1);
      assert.equal(c['123456789012']!['DescribeClusters']!.ok, calls - 1);
      // Another category has its own bucket.
      await ecs.send(new ListTasksCommand({ cluster: 'c' }));
    } finally {
      await sim.close();
    }
  });

  it('retries throttled calls with the SDK standard strategy and succeeds once tokens refill', async () => {
    // scale 0.05: DescribeClusters has a burst of 2.5 tokens and refills 1 per second.
    const sim = await startSim({ throttling: { scale: 0.05 }, fleet: { clusters: [{ name: 'c' }] } });
    try {
      const ecs = new ECSClient({ ...clientConfig(sim), maxAttempts: 10 });
      await ecs.send(new DescribeClustersCommand({ clusters: ['c'] }));
      await ecs.send(new DescribeClustersCommand({ clusters: ['c'] }));
      const r = await ecs.send(new DescribeClustersCommand({ clusters: ['c'] }));
      assert.ok(r.$metadata.attempts! >= 2, 'the third call was throttled, then retried');
      assert.equal(r.clusters?.[0]?.clusterName, 'c');
    } finally {
      await sim.close();
    }
  });

  it('throttles EC2 with RequestLimitExceeded (503) and can be switched off at runtime', async () => {
    const sim = await startSim({ throttling: { scale: 0.02 } });
    try {
      const { ec2 } = clients(sim);
      await ec2.send(new DescribeInstancesCommand({}));
      const e = await rejects(() => ec2.send(new DescribeInstancesCommand({})));
      assert.equal(e.name, 'RequestLimitExceeded');
      assert.equal(e.message, 'Request limit exceeded.');
      assert.equal(e.$metadata?.httpStatusCode, 503);
      const res = await fetch(`${sim.endpoint}/_sim/throttle`, {
        method: 'POST',
        body: JSON.stringify({ enabled: false }),
      });
      assert.equal(res.status, 200);
      for (let i = 0; i < 5; i++) await ec2.send(new DescribeInstancesCommand({}));
    } finally {
      await sim.close();
    }
  });

  it('refills tokens at the published rate on a monotonic clock', () => {
    let now = 0;
    const t = new Throttler({ enabled: true, scale: 1 }, () => now);
    let ok = 0;
    while (t.take('a', 'ecs-cluster-resource-read')) ok++;
    assert.equal(ok, 100);
    assert.equal(t.take('b', 'ecs-cluster-resource-read'), true, 'buckets are per account');
    now += 1000;
    ok = 0;
    while (t.take('a', 'ecs-cluster-resource-read')) ok++;
    assert.equal(ok, 20);
    const off = new Throttler({ enabled: false, scale: 1 }, () => now);
    for (let i = 0; i < 500; i++) assert.equal(off.take('a', 'ecs-cluster-read'), true);
  });
});
