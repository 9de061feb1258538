/**
 * One refresh at a time: a full refresh asked for during a full one shares it, a partial one waits
 * and then runs on its own, and after a stop a waiting refresh does not start.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RefreshGate } from '../../src/daemon/refresh-gate.ts';

/** A refresh ended by hand, numbered in the order refreshes began. */
function refreshes() {
  const finishers: Array<() => void> = [];
  let began = 0;
  return {
    get began() {
      return began;
    },
    next: () =>
      new Promise<number>((resolve) => {
        const n = ++began;
        finishers.push(() => resolve(n));
      }),
    finish: (i: number) => finishers[i]!(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RefreshGate', () => {
  test('a full refresh during a full one shares it', async () => {
    const r = refreshes();
    const gate = new RefreshGate<number>(() => false);
    const a = gate.run(false, r.next);
    const b = gate.run(false, r.next);
    r.finish(0);
    assert.deepEqual(await Promise.all([a, b]), [1, 1]);
    assert.equal(r.began, 1);
  });

  test('a partial refresh waits for the one in flight, then runs by itself', async () => {
    const r = refreshes();
    const gate = new RefreshGate<number>(() => false);
    const full = gate.run(false, r.next);
    const partial = gate.run(true, r.next);
    await tick();
    assert.equal(r.began, 1, 'never two at once');
    r.finish(0);
    assert.equal(await full, 1);
    await tick();
    r.finish(1);
    assert.equal(await partial, 2);
  });

  test('a full refresh during a partial one runs after it rather than sharing it', async () => {
    const r = refreshes();
    const gate = new RefreshGate<number>(() => false);
    const partial = gate.run(true, r.next);
    const full = gate.run(false, r.next);
    r.finish(0);
    assert.equal(await partial, 1);
    await tick();
    r.finish(1);
    assert.equal(await full, 2);
  });

  test('after a stop, a waiting refresh gets the one in flight instead of starting', async () => {
    const r = refreshes();
    let stopped = false;
    const gate = new RefreshGate<number>(() => stopped);
    const first = gate.run(true, r.next);
    const waiting = gate.run(true, r.next);
    stopped = true;
    r.finish(0);
    assert.equal(await first, 1);
    assert.equal(await waiting, 1);
    assert.equal(r.began, 1);
    await gate.settled();
  });
});
