import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { createCoalescer } from '../../src/events/coalesce.ts';

/** Lets promise continuations run after a mocked timer fired. */
const flushMicrotasks = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('createCoalescer', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  test('a burst of triggers runs fn once, after the quiet delay', async () => {
    const runs: number[] = [];
    const c = createCoalescer(() => runs.push(Date.now()), { delayMs: 100, maxDelayMs: 1000 });
    for (let i = 0; i < 10; i++) {
      c.trigger();
      mock.timers.tick(10);
    }
    assert.deepEqual(runs, []);
    // The last trigger was at 90 ms: the run is due at 190 ms, not before.
    mock.timers.tick(89);
    await flushMicrotasks();
    assert.deepEqual(runs, []);
    mock.timers.tick(1);
    await flushMicrotasks();
    assert.deepEqual(runs, [190]);
    assert.equal(c.pending, false);
  });

  test('a steady stream still runs within maxDelayMs of the first trigger', async () => {
    const runs: number[] = [];
    const c = createCoalescer(() => runs.push(Date.now()), { delayMs: 100, maxDelayMs: 1000 });
    for (let i = 0; i < 150; i++) {
      c.trigger();
      mock.timers.tick(50);
      await flushMicrotasks();
    }
    assert.ok(runs.length >= 7, `runs at ${runs.join(',')}`);
    assert.ok(runs[0]! <= 1000, `first run at ${runs[0]}`);
    for (let i = 1; i < runs.length; i++)
      assert.ok(runs[i]! - runs[i - 1]! <= 1050, `runs at ${runs.join(',')}`);
  });

  test('runs never overlap; a trigger during a run gives exactly one more run', async () => {
    let active = 0;
    let maxActive = 0;
    const releases: (() => void)[] = [];
    const c = createCoalescer(
      () =>
        new Promise<void>((resolve) => {
          active++;
          maxActive = Math.max(maxActive, active);
          releases.push(() => {
            active--;
            resolve();
          });
        }),
      { delayMs: 100, maxDelayMs: 1000 },
    );
    c.trigger();
    mock.timers.tick(100);
    await flushMicrotasks();
    assert.equal(releases.length, 1);
    c.trigger();
    c.trigger();
    mock.timers.tick(500);
    await flushMicrotasks();
    assert.equal(releases.length, 1, 'no second run while the first is in progress');
    releases[0]!();
    await flushMicrotasks();
    mock.timers.tick(100);
    await flushMicrotasks();
    assert.equal(releases.length, 2);
    releases[1]!();
    await flushMicrotasks();
    mock.timers.tick(5000);
    await flushMicrotasks();
    assert.equal(releases.length, 2);
    assert.equal(maxActive, 1);
  });

  test('an error in fn goes to onError and later bursts still run', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const c = createCoalescer(
      () => {
        calls++;
        if (calls === 1) throw new Error('write failed');
      },
      { onError: (err) => errors.push(err) },
    );
    c.trigger();
    mock.timers.tick(100);
    await flushMicrotasks();
    c.trigger();
    mock.timers.tick(100);
    await flushMicrotasks();
    assert.equal(calls, 2);
    assert.equal(errors.length, 1);
  });

  test('flush runs a pending burst now; cancel drops it', async () => {
    let calls = 0;
    const c = createCoalescer(() => {
      calls++;
    });
    c.trigger();
    await c.flush();
    assert.equal(calls, 1);
    assert.equal(c.pending, false);
    c.trigger();
    c.cancel();
    c.trigger();
    await c.flush();
    assert.equal(calls, 1);
  });
});

test('createCoalescer with real timers publishes within a second of the first event', async () => {
  const started = Date.now();
  let ranAt = 0;
  const c = createCoalescer(
    () => {
      ranAt = Date.now();
    },
    { delayMs: 20, maxDelayMs: 200 },
  );
  c.trigger();
  const deadline = Date.now() + 2000;
  while (ranAt === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ranAt > 0 && ranAt - started < 1000, `ran after ${ranAt - started}ms`);
});
