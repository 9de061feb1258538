import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scheduler } from '../src/state/scheduler.ts';

describe('scheduler', () => {
  it('runs steps in due order on advance, replaces and cancels by key, and settle skips background steps', () => {
    const s = new Scheduler();
    const ran: string[] = [];
    const a = {};
    const b = {};
    const c = {};
    const bg = {};
    s.schedule(a, 300, () => ran.push('a'));
    s.schedule(b, 100, () => ran.push('b'));
    s.schedule(c, 200, () => ran.push('c'));
    s.schedule(bg, 50, () => ran.push('bg'), true);
    s.schedule(b, 250, () => ran.push('b2'));
    assert.equal(s.pending, 3);
    s.cancel(c);
    s.settle();
    assert.deepEqual(ran, ['b2', 'a']);
    assert.equal(s.pending, 0);
    s.advance(0);
    assert.deepEqual(
      ran,
      ['b2', 'a', 'bg'],
      'the background step was due long ago and runs on the next advance',
    );
    const chain = {};
    s.schedule(chain, 10, () => {
      ran.push('1');
      s.schedule(chain, 10, () => ran.push('2'));
    });
    s.advance(10);
    assert.deepEqual(ran.slice(-1), ['1']);
    s.advance(10);
    assert.deepEqual(ran.slice(-1), ['2']);
    s.close();
    s.schedule({}, 0, () => ran.push('after close'));
    s.settle();
    assert.equal(ran.includes('after close'), false);
  });
});
