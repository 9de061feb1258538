/**
 * The refresh loop on a fake timer: refresh now, then one interval after each refresh ends (never
 * two at once, however long a refresh takes), errors reported and the loop going on, an earlier
 * refresh on request, and nothing scheduled after stop().
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RefreshLoop } from '../../src/daemon/refresh-loop.ts';
import { FakeTimer, settle } from '../support/fake-timer.ts';

/** A refresh the test ends by hand, recording when each began and how many ran at once. */
function manualRefresh(timer: FakeTimer) {
  const started: number[] = [];
  let running = 0;
  let most = 0;
  let finish: ((error?: Error) => void) | undefined;
  return {
    started,
    get most() {
      return most;
    },
    get running() {
      return running;
    },
    refresh: () =>
      new Promise<void>((resolve, reject) => {
        started.push(timer.time);
        running++;
        most = Math.max(most, running);
        finish = (error) => {
          running--;
          finish = undefined;
          if (error === undefined) resolve();
          else reject(error);
        };
      }),
    async end(error?: Error) {
      assert.ok(finish, 'a refresh is running');
      finish(error);
      await settle();
    },
  };
}

describe('RefreshLoop', () => {
  test('refreshes at once, then one interval after each refresh ends, never two at once', async () => {
    const timer = new FakeTimer();
    const run = manualRefresh(timer);
    const loop = new RefreshLoop({
      refresh: run.refresh,
      intervalMs: () => 60_000,
      onError: () => {},
      timer,
    });
    loop.start();
    await settle();
    assert.deepEqual(run.started, [0]);
    // A refresh that takes 90 s (longer than the interval): the next waits for its end, then 60 s.
    await timer.advance(90_000);
    assert.deepEqual(run.started, [0], 'nothing started while the first runs');
    await run.end();
    assert.deepEqual(timer.pending(), [60_000]);
    await timer.advance(60_000);
    assert.deepEqual(run.started, [0, 150_000]);
    await run.end();
    await timer.advance(60_000);
    assert.deepEqual(run.started, [0, 150_000, 210_000]);
    assert.equal(run.most, 1, 'never two refreshes at once');
    loop.stop();
  });

  test('a refresh that throws is reported and the loop goes on', async () => {
    const timer = new FakeTimer();
    const run = manualRefresh(timer);
    const errors: unknown[] = [];
    const loop = new RefreshLoop({
      refresh: run.refresh,
      intervalMs: () => 1000,
      onError: (error) => errors.push(error),
      timer,
    });
    loop.start();
    await settle();
    await run.end(new Error('listing failed'));
    assert.deepEqual(
      errors.map((error) => (error as Error).message),
      ['listing failed'],
    );
    assert.equal(loop.scheduled(), true);
    await timer.advance(1000);
    assert.deepEqual(run.started, [0, 1000]);
    loop.stop();
  });

  test('an onError that throws does not end the loop', async () => {
    const timer = new FakeTimer();
    const run = manualRefresh(timer);
    const loop = new RefreshLoop({
      refresh: run.refresh,
      intervalMs: () => 1000,
      onError: () => {
        throw new Error('logger broke');
      },
      timer,
    });
    loop.start();
    await settle();
    await run.end(new Error('x'));
    await timer.advance(1000);
    assert.equal(run.started.length, 2);
    loop.stop();
  });

  test('the interval is asked after each refresh (it may change, e.g. event mode falling back to polling)', async () => {
    const timer = new FakeTimer();
    const run = manualRefresh(timer);
    const intervals = [600_000, 60_000];
    const loop = new RefreshLoop({
      refresh: run.refresh,
      intervalMs: () => intervals.shift()!,
      onError: () => {},
      timer,
    });
    loop.start();
    await settle();
    await run.end();
    assert.deepEqual(timer.pending(), [600_000]);
    await timer.advance(600_000);
    await run.end();
    assert.deepEqual(timer.pending(), [60_000]);
    loop.stop();
  });

  test('reschedule brings the next refresh forward; while a refresh runs it changes nothing', async () => {
    const timer = new FakeTimer();
    const run = manualRefresh(timer);
    const loop = new RefreshLoop({
      refresh: run.refresh,
      intervalMs: () => 600_000,
      onError: () => {},
      timer,
    });
    loop.start();
    await settle();
    loop.reschedule(1000);
    assert.deepEqual(timer.pending(), [], 'no timer while the refresh runs');
    await run.end();
    assert.deepEqual(timer.pending(), [600_000]);
    await timer.advance(5000);
    loop.reschedule(60_000);
    assert.deepEqual(timer.pending(), [60_000]);
    await timer.advance(60_000);
    assert.deepEqual(run.started, [0, 65_000]);
    loop.stop();
  });

  test('stop clears the timer; nothing is scheduled after it, even when a refresh in flight ends', async () => {
    const timer = new FakeTimer();
    const run = manualRefresh(timer);
    const loop = new RefreshLoop({ refresh: run.refresh, intervalMs: () => 1000, onError: () => {}, timer });
    assert.equal(loop.scheduled(), false, 'not before start');
    loop.start();
    await settle();
    assert.equal(loop.scheduled(), true, 'a refresh runs');
    assert.ok(loop.running, 'the refresh in flight is visible');
    loop.stop();
    assert.equal(loop.scheduled(), false);
    await run.end();
    assert.equal(loop.running, undefined);
    assert.deepEqual(timer.pending(), [], 'no timer after stop');
    await timer.advance(10_000);
    assert.deepEqual(run.started, [0]);
  });
});
