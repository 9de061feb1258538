/**
 * Timeouts that really abort, with the real SDK clients: an attempt that gets no answer fails with
 * TimeoutError and is retried (each attempt counted as `timeout`, nothing printed on the console),
 * a call's abortSignal ends it at once, also while it waits for a rate-budget token, and a
 * deadline's reason is recognised through the SDK's wrapping.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListClustersCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { budgetMiddleware } from '../../src/aws/budget-plugin.ts';
import { createSourceClients } from '../../src/aws/clients.ts';
import { failureOutcome } from '../../src/aws/middleware.ts';
import { RateBudget } from '../../src/aws/rate-budget.ts';
import { abortable, deadline, timeoutOf } from '../../src/aws/timeouts.ts';
import { AwsReadError, DeadlineError } from '../../src/errors.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { metricValue, useTestCredentials } from '../integration/helpers.ts';
import {
  type BlackHole,
  type HangingProxy,
  startBlackHole,
  startHangingProxy,
} from '../support/hanging-proxy.ts';

/** Runs `fn` with console.warn/error/log recorded instead of printed. */
async function capturingConsole<T>(fn: () => Promise<T>): Promise<{ value: T; printed: string[] }> {
  const printed: string[] = [];
  const saved = { warn: console.warn, error: console.error, log: console.log };
  const record = (...parts: unknown[]) => void printed.push(parts.map(String).join(' '));
  console.warn = record;
  console.error = record;
  console.log = record;
  try {
    return { value: await fn(), printed };
  } finally {
    Object.assign(console, saved);
  }
}

function clientsAt(endpoint: string, metrics: Metrics, requestTimeoutMs: number) {
  return createSourceClients({ name: 'hung', region: 'us-east-1', endpoint }, metrics, [], {
    requestTimeoutMs,
  });
}

describe('AWS calls that never answer', () => {
  let hole: BlackHole;
  let sim: Sim;
  let proxy: HangingProxy;

  before(async () => {
    useTestCredentials();
    hole = await startBlackHole();
    sim = await startSim({ port: 0, throttling: false, generate: { clusters: 2, tasks: 4, seed: 3 } });
    proxy = await startHangingProxy(sim.endpoint);
  });

  after(async () => {
    await proxy.close();
    await sim.close();
    await hole.close();
  });

  test('an endpoint that accepts and never answers fails each attempt with TimeoutError, retried, counted, never printed', {
    timeout: 15_000,
  }, async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const clients = clientsAt(hole.endpoint, metrics, 200);
    try {
      const { value: error, printed } = await capturingConsole(() =>
        clients.ecs.send(new ListClustersCommand({})).then(
          () => undefined,
          (caught: unknown) => caught,
        ),
      );
      assert.ok(error instanceof Error, 'the call failed');
      assert.equal(error.name, 'TimeoutError');
      assert.deepEqual(timeoutOf(error), { kind: 'request' });
      assert.equal(failureOutcome(error), 'timeout');
      // The SDK's standard retry strategy: 3 attempts, each aborted after the request timeout.
      assert.equal(
        await metricValue(metrics, 'ecs_sd_aws_requests_total', {
          operation: 'ListClusters',
          outcome: 'timeout',
        }),
        3,
      );
      assert.ok(hole.accepted() >= 1, 'the client reached the listener');
      assert.deepEqual(printed, [], 'the SDK printed nothing on the console');
    } finally {
      clients.destroy();
    }
  });

  test('a held call is aborted at once by its abortSignal and counted as aborted, not as a timeout', {
    timeout: 15_000,
  }, async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const clients = clientsAt(proxy.endpoint, metrics, 60_000);
    const cluster = [...sim.world.account(sim.accountId).clusters.keys()][0]!;
    proxy.hold = (call) => call.operation === 'ListTasks';
    try {
      const controller = new AbortController();
      const call = clients.ecs
        .send(new ListTasksCommand({ cluster }), { abortSignal: controller.signal })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      await waitUntil('the proxy to hold the call open', () => proxy.open() === 1);
      controller.abort(new Error('stopping'));
      const error = await call;
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'AbortError');
      assert.equal(failureOutcome(error), 'aborted');
      await waitUntil('the held connection to be closed by the client', () => proxy.open() === 0);
      assert.equal(
        await metricValue(metrics, 'ecs_sd_aws_requests_total', {
          operation: 'ListTasks',
          outcome: 'aborted',
        }),
        1,
      );
    } finally {
      proxy.release();
      clients.destroy();
    }
  });

  test('a call waiting for a rate-budget token ends when its deadline passes, and the wait is not counted as a request', {
    timeout: 15_000,
  }, async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // One token, then one every 100 s: the second call waits for a token far longer than its deadline.
    const budget = new RateBudget('tiny', {
      overrides: { ecs_cluster_read: { burst: 1, refillPerSecond: 0.01 } },
    });
    const clients = createSourceClients(
      { name: 'budget', region: 'us-east-1', endpoint: sim.endpoint },
      metrics,
      [budgetMiddleware(budget)],
    );
    try {
      await clients.ecs.send(new ListClustersCommand({}));
      const limit = deadline(300, 'listing clusters', 'timeouts.cluster_refresh');
      const error = await clients.ecs.send(new ListClustersCommand({}), { abortSignal: limit.signal }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      limit.clear();
      // The SDK's retry loop rethrows its own AbortError once the signal aborted; the reason is on the signal.
      assert.ok(error instanceof Error && error.name === 'AbortError', `got ${String(error)}`);
      const reason: unknown = limit.signal.reason;
      assert.ok(reason instanceof DeadlineError);
      assert.equal(
        reason.message,
        'listing clusters did not finish within 300 ms (timeouts.cluster_refresh)',
      );
      assert.equal(budget.state('ecs_cluster_read').waiting, 0, 'the waiter left the queue');
      assert.equal(
        await metricValue(metrics, 'ecs_sd_aws_requests_total', {
          operation: 'ListClusters',
          outcome: 'success',
        }),
        1,
      );
    } finally {
      budget.close();
      clients.destroy();
    }
  });
});

describe('deadlines and timeout classification', () => {
  test('deadline() aborts with a DeadlineError naming what, the timeout key and the milliseconds', async () => {
    const limit = deadline(20, 'the read of cluster "a"', 'timeouts.cluster_refresh');
    await waitUntil('the deadline to pass', () => limit.signal.aborted);
    const reason: unknown = limit.signal.reason;
    assert.ok(reason instanceof DeadlineError);
    assert.equal(reason.code, 'ECS_SD_DEADLINE_EXCEEDED');
    assert.equal(
      reason.message,
      'the read of cluster "a" did not finish within 20 ms (timeouts.cluster_refresh)',
    );
  });

  test("a parent signal's abort reaches the deadline's signal, and clear() keeps it from firing", async () => {
    const parent = new AbortController();
    const limit = deadline(60_000, 'x', 'timeouts.cluster_refresh', parent.signal);
    parent.abort(new Error('stopping'));
    assert.equal(limit.signal.aborted, true);
    assert.equal((limit.signal.reason as Error).message, 'stopping');
    limit.clear();
    const cleared = deadline(10, 'y', 'timeouts.cluster_refresh');
    cleared.clear();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(cleared.signal.aborted, false);
  });

  test('abortable() rejects with the reason when the signal aborts first, else settles as the promise', async () => {
    const controller = new AbortController();
    const never = new Promise<number>(() => {});
    const waiting = abortable(never, controller.signal);
    controller.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
    assert.equal(await abortable(Promise.resolve(3), new AbortController().signal), 3);
    await assert.rejects(abortable(Promise.reject(new Error('no')), undefined), /no/);
  });

  test('timeoutOf finds a TimeoutError or a DeadlineError through causes, and nothing else', () => {
    const sdkTimeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    assert.deepEqual(timeoutOf(new AwsReadError('list tasks failed', sdkTimeout, 'ListTasks')), {
      kind: 'request',
    });
    const passed = new DeadlineError('the read', 'timeouts.cluster_refresh', 1000);
    const aborted = Object.assign(new Error('Request aborted', { cause: passed }), { name: 'AbortError' });
    assert.deepEqual(timeoutOf(new AwsReadError('describe tasks failed', aborted)), {
      kind: 'deadline',
      error: passed,
    });
    assert.equal(failureOutcome(aborted), 'timeout');
    assert.equal(timeoutOf(new AwsReadError('x', new Error('AccessDeniedException'))), undefined);
    assert.equal(timeoutOf('not an error'), undefined);
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    assert.equal(failureOutcome(throttled), 'throttled');
    assert.equal(failureOutcome(new Error('boom')), 'error');
  });
});
