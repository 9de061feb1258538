/**
 * The client-side rate budget: buckets at half of AWS's, calls spread over time instead of bursting,
 * backoff on throttles and gradual recovery, abort and close; then the SDK middleware with a real
 * ECS client against ecs-sim (one token per attempt, throttles back the bucket off).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { type Sim, startSim } from 'ecs-sim';
import { Registry } from 'prom-client';
import {
  BUDGET_MIDDLEWARE_NAME,
  budgetKey,
  budgetMiddleware,
  RateBudgets,
  registerRateBudgetMetrics,
} from '../../src/aws/budget-plugin.ts';
import { type Clock, RateBudget } from '../../src/aws/rate-budget.ts';
import { AWS_BUCKETS, budgetSpecs, categoryOf, RATE_CATEGORIES } from '../../src/lib/aws-limits.ts';

/** A clock whose time moves only when the test says so; due timers fire in time order. */
class FakeClock implements Clock {
  time = 0;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers (and the promise reactions they cause) in order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, timer]) => timer.at <= end)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
      await flush();
    }
    this.time = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let index = 0; index < 5; index++) await Promise.resolve();
}

/** Starts `count` acquisitions and records, for each, the fake time at which it was granted. */
function acquireMany(budget: RateBudget, clock: FakeClock, operation: string, count: number): number[] {
  const grantedAt: number[] = [];
  for (let index = 0; index < count; index++) {
    void budget.acquire(operation).then(() => grantedAt.push(clock.now()));
  }
  return grantedAt;
}

describe('rate budget buckets', () => {
  test('defaults to half of every AWS bucket, burst and refill', () => {
    const budget = new RateBudget('test', { clock: new FakeClock() });
    for (const category of RATE_CATEGORIES) {
      const state = budget.state(category);
      assert.equal(state.burst, AWS_BUCKETS[category].burst / 2, category);
      assert.equal(state.refillPerSecond, AWS_BUCKETS[category].refillPerSecond / 2, category);
      assert.equal(state.tokens, state.burst, category);
    }
    assert.deepEqual(budget.state('ecs_cluster_resource_read'), {
      category: 'ecs_cluster_resource_read',
      tokens: 50,
      burst: 50,
      refillPerSecond: 10,
      configuredRefillPerSecond: 10,
      waiting: 0,
      waitSeconds: 0,
      granted: 0,
      throttles: 0,
    });
  });

  test('scale and absolute overrides change the buckets; invalid values are refused with the value', () => {
    const specs = budgetSpecs({
      scale: 0.25,
      overrides: { ecs_task_definition_read: { refillPerSecond: 2 } },
    });
    assert.deepEqual(specs.ecs_cluster_read, { burst: 12.5, refillPerSecond: 5 });
    assert.deepEqual(specs.ecs_task_definition_read, { burst: 12.5, refillPerSecond: 2 });
    assert.throws(() => budgetSpecs({ scale: 0 }), /rate budget scale: got 0, expected a number > 0/);
    assert.throws(
      () => budgetSpecs({ overrides: { sts: { burst: 0.5 } } }),
      /rate budget sts\.burst: got 0\.5, expected a number >= 1/,
    );
    assert.throws(
      () => new RateBudgets({ overrides: { ecs_service_read: { refillPerSecond: -1 } } }),
      /ecs_service_read\.refill_per_second: got -1/,
    );
  });

  test('maps each operation ecs-sd calls to its AWS throttling category', () => {
    assert.equal(categoryOf('ListClusters'), 'ecs_cluster_read');
    assert.equal(categoryOf('DescribeClusters'), 'ecs_cluster_read');
    assert.equal(categoryOf('DescribeTaskDefinition'), 'ecs_task_definition_read');
    assert.equal(categoryOf('ListTasks'), 'ecs_cluster_resource_read');
    assert.equal(categoryOf('DescribeTasks'), 'ecs_cluster_resource_read');
    assert.equal(categoryOf('DescribeContainerInstances'), 'ecs_cluster_resource_read');
    assert.equal(categoryOf('ListServices'), 'ecs_service_read');
    assert.equal(categoryOf('DescribeServices'), 'ecs_service_read');
    assert.equal(categoryOf('ListTagsForResource'), 'ecs_tag_read');
    assert.equal(categoryOf('DescribeInstances', { InstanceIds: ['i-1'] }), 'ec2_non_mutating');
    assert.equal(categoryOf('DescribeInstances', { Filters: [{ Name: 'x' }] }), 'ec2_non_mutating');
    assert.equal(categoryOf('DescribeInstances', {}), 'ec2_unfiltered_unpaginated');
    assert.equal(categoryOf('DescribeInstances', { InstanceIds: [] }), 'ec2_unfiltered_unpaginated');
    assert.equal(categoryOf('DescribeInstanceInformation'), 'ssm_read');
    assert.equal(categoryOf('AssumeRole'), 'sts');
    assert.equal(categoryOf('ReceiveMessage'), undefined);
  });

  test('a cold start spreads its calls at the refill rate once the burst is spent', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', { clock });
    const grantedAt = acquireMany(budget, clock, 'DescribeTasks', 70);
    await flush();
    assert.equal(grantedAt.length, 50, 'the burst (half of 100) is granted at once');
    assert.equal(budget.state('ecs_cluster_resource_read').waiting, 20);
    await clock.advance(99);
    assert.equal(grantedAt.length, 50, 'no token before 1/10 s');
    await clock.advance(1);
    assert.equal(grantedAt.length, 51);
    await clock.advance(1900);
    assert.equal(grantedAt.length, 70, '20 more tokens in 2 s at 10 per second');
    assert.deepEqual(grantedAt.slice(50, 53), [100, 200, 300]);
    const state = budget.state('ecs_cluster_resource_read');
    assert.equal(state.waiting, 0);
    assert.equal(state.granted, 70);
    // The i-th waiter (1..20) waited i/10 s: 21 s in total.
    assert.ok(Math.abs(state.waitSeconds - 21) < 1e-9, `waited ${state.waitSeconds}`);
    assert.equal(clock.pendingTimers, 0, 'no timer left once nobody waits');
  });

  test('categories are independent: a drained task definition bucket does not slow ListTasks', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', { clock });
    const definitions = acquireMany(budget, clock, 'DescribeTaskDefinition', 30);
    const lists = acquireMany(budget, clock, 'ListTasks', 10);
    await flush();
    assert.equal(definitions.length, 25);
    assert.equal(lists.length, 10);
  });

  test('waiters are served first come, first served, even when a token frees up for a newcomer', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', {
      clock,
      overrides: { ecs_cluster_read: { burst: 1, refillPerSecond: 1 } },
    });
    const order: string[] = [];
    await budget.acquire('ListClusters');
    void budget.acquire('ListClusters').then(() => order.push('first'));
    await clock.advance(500);
    void budget.acquire('ListClusters').then(() => order.push('second'));
    await clock.advance(500);
    assert.deepEqual(order, ['first']);
    await clock.advance(1000);
    assert.deepEqual(order, ['first', 'second']);
  });

  test('a throttle empties the bucket and halves its refill, once per second, down to a floor', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', { clock });
    budget.onThrottle('ecs_cluster_resource_read');
    budget.onThrottle('ecs_cluster_resource_read');
    let state = budget.state('ecs_cluster_resource_read');
    assert.equal(state.tokens, 0);
    assert.equal(state.refillPerSecond, 5, 'a volley of throttles halves once');
    assert.equal(state.throttles, 2);
    const grantedAt = acquireMany(budget, clock, 'ListTasks', 2);
    await clock.advance(200);
    assert.equal(grantedAt.length, 1, 'one token per 1/5 s while backing off');
    for (let index = 0; index < 10; index++) {
      await clock.advance(1000);
      budget.onThrottle('ecs_cluster_resource_read');
    }
    state = budget.state('ecs_cluster_resource_read');
    assert.equal(state.refillPerSecond, 10 / 16, 'floored at 1/16 of the configured refill');
    assert.equal(grantedAt.length, 2);
  });

  test('successes recover the refill gradually, never above the configured rate', () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', { clock });
    budget.onThrottle('ecs_task_definition_read');
    assert.equal(budget.state('ecs_task_definition_read').refillPerSecond, 5);
    for (let index = 0; index < 10; index++) budget.onSuccess('ecs_task_definition_read');
    const partial = budget.state('ecs_task_definition_read').refillPerSecond;
    assert.ok(Math.abs(partial - 6) < 1e-9, `10 successes regain 10% of 10/s: ${partial}`);
    for (let index = 0; index < 100; index++) budget.onSuccess('ecs_task_definition_read');
    assert.equal(budget.state('ecs_task_definition_read').refillPerSecond, 10);
  });

  test('the refill recovers with time as calls keep succeeding: 10% of the configured rate per second', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', { clock });
    budget.onThrottle('ecs_cluster_resource_read');
    await clock.advance(2000);
    assert.equal(
      budget.state('ecs_cluster_resource_read').refillPerSecond,
      5,
      'no recovery without a success',
    );
    budget.onSuccess('ecs_cluster_resource_read');
    assert.equal(budget.state('ecs_cluster_resource_read').refillPerSecond, 7);
    await clock.advance(3000);
    budget.onSuccess('ecs_cluster_resource_read');
    assert.equal(budget.state('ecs_cluster_resource_read').refillPerSecond, 10);
  });

  test('an aborted wait gives its place up and rejects with the abort reason', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', {
      clock,
      overrides: { ecs_cluster_read: { burst: 1, refillPerSecond: 1 } },
    });
    await budget.acquire('ListClusters');
    const controller = new AbortController();
    const aborted = budget.acquire('ListClusters', controller.signal);
    let next = false;
    void budget.acquire('ListClusters').then(() => {
      next = true;
    });
    controller.abort(new Error('refresh cancelled'));
    await assert.rejects(aborted, /refresh cancelled/);
    await clock.advance(1000);
    assert.equal(next, true, 'the next waiter got the token');
    const already = new AbortController();
    already.abort(new Error('already'));
    await assert.rejects(budget.acquire('ListClusters', already.signal), /already/);
  });

  test('close rejects every waiting call and leaves no timer behind', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('test', { clock });
    const waiting = Array.from({ length: 30 }, () => budget.acquire('DescribeTaskDefinition'));
    await flush();
    assert.equal(clock.pendingTimers, 1);
    budget.close();
    const results = await Promise.allSettled(waiting);
    assert.equal(results.filter((result) => result.status === 'rejected').length, 5);
    assert.equal(clock.pendingTimers, 0);
    await assert.rejects(budget.acquire('ListTasks'), /rate budget "test" is closed/);
  });

  test('sources with the same account or role and Region share one budget', () => {
    const budgets = new RateBudgets({ clock: new FakeClock() });
    const a = budgets.get(budgetKey({ region: 'us-east-1' }));
    const b = budgets.get(budgetKey({ region: 'us-east-1' }));
    const c = budgets.get(budgetKey({ region: 'eu-west-1' }));
    const d = budgets.get(budgetKey({ region: 'us-east-1', roleArn: 'arn:aws:iam::1:role/r' }));
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.notEqual(a, d);
    assert.equal(d.name, 'arn:aws:iam::1:role/r@us-east-1');
    assert.equal(budgets.all().length, 3);
  });

  test('metrics show tokens, refill (falling while backing off) and wait seconds per category', async () => {
    const clock = new FakeClock();
    const budget = new RateBudget('us-east-1', { clock });
    const registry = new Registry();
    registerRateBudgetMetrics(registry, () => [budget]);
    acquireMany(budget, clock, 'DescribeTaskDefinition', 26);
    await clock.advance(100);
    budget.onThrottle('ecs_cluster_resource_read');
    const text = await registry.metrics();
    assert.match(text, /ecs_sd_rate_budget_tokens\{budget="us-east-1",category="ecs_cluster_read"\} 25\n/);
    assert.match(
      text,
      /ecs_sd_rate_budget_refill_per_second\{budget="us-east-1",category="ecs_cluster_resource_read"\} 5\n/,
    );
    assert.match(
      text,
      /ecs_sd_rate_budget_wait_seconds_total\{budget="us-east-1",category="ecs_task_definition_read"\} 0\.1\n/,
    );
  });
});

describe('rate budget middleware with a real ECS client', () => {
  let sim: Sim;

  before(async () => {
    sim = await startSim({ port: 0, throttling: false, generate: { clusters: 2, tasks: 4, seed: 3 } });
  });

  after(async () => {
    await sim.close();
  });

  function client(budget: RateBudget): ECSClient {
    const ecs = new ECSClient({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      retryStrategy: new ConfiguredRetryStrategy(3, 1),
    });
    ecs.middlewareStack.use(budgetMiddleware(budget));
    return ecs;
  }

  test('waits for its token inside the retry loop and before the request is signed', () => {
    const ecs = client(new RateBudget('test'));
    const command = new ListClustersCommand({});
    const stack = ecs.middlewareStack.clone().concat(command.middlewareStack).identify();
    const position = (name: string) => stack.findIndex((entry) => entry.startsWith(name));
    assert.ok(position('retryMiddleware') < position(BUDGET_MIDDLEWARE_NAME), stack.join('\n'));
    assert.ok(position(BUDGET_MIDDLEWARE_NAME) < position('httpSigningMiddleware'), stack.join('\n'));
    ecs.destroy();
  });

  test('every attempt takes a token, and ThrottlingException answers back the bucket off', async () => {
    const budget = new RateBudget('test');
    const ecs = client(budget);
    sim.faults.add({ kind: 'throttle', operation: 'ListClusters', count: 2 });
    sim.resetCounters();
    const output = await ecs.send(new ListClustersCommand({}));
    assert.equal(output.clusterArns?.length, 2);
    assert.equal(sim.counters().ListClusters, 3, 'two throttled attempts and one success');
    const state = budget.state('ecs_cluster_read');
    assert.equal(state.granted, 3, 'one token per attempt');
    assert.equal(state.throttles, 2);
    assert.ok(
      state.refillPerSecond > 5 && state.refillPerSecond < 10,
      `halved once, then recovering: ${state.refillPerSecond}`,
    );
    ecs.destroy();
    budget.close();
  });

  test('calls beyond the burst wait for tokens instead of reaching AWS at once', async () => {
    const budget = new RateBudget('test', {
      overrides: { ecs_cluster_read: { burst: 2, refillPerSecond: 20 } },
    });
    const ecs = client(budget);
    const started = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => ecs.send(new ListClustersCommand({}))));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190, `4 calls beyond the burst at 20/s take at least 0.2 s, took ${elapsed} ms`);
    assert.ok(budget.state('ecs_cluster_read').waitSeconds > 0.4);
    ecs.destroy();
    budget.close();
  });
});
