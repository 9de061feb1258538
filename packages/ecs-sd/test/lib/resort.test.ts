import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resort } from '../../src/lib/resort.ts';

const byValue = (a: { value: number }, b: { value: number }) => a.value - b.value;

test('a list sorted from the last order equals one sorted from scratch, and only the new items are compared among themselves', () => {
  let seed = 5;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let items = Array.from({ length: 200 }, () => ({ value: next(1000) }));
  let last = resort(items, undefined, byValue);
  for (let round = 0; round < 5; round++) {
    items = [
      ...items.filter(() => next(10) !== 0),
      ...Array.from({ length: 20 }, () => ({ value: next(1000) })),
    ];
    let comparisons = 0;
    const counted = (a: { value: number }, b: { value: number }) => {
      comparisons++;
      return byValue(a, b);
    };
    const again = resort(items.slice().reverse(), last, counted);
    assert.deepEqual(
      again.map(({ value }) => value),
      [...items].sort(byValue).map(({ value }) => value),
    );
    assert.equal(new Set(again).size, items.length, 'every item once');
    assert.ok(
      comparisons < 20 * 8 + items.length,
      `${comparisons} comparisons for 20 new of ${items.length}`,
    );
    last = again;
  }
});

test('a list holding one item twice is sorted from scratch, the item kept twice', () => {
  const a = { value: 2 };
  const b = { value: 1 };
  const sorted = resort([a, b, a], [a, b], byValue);
  assert.deepEqual(sorted, [b, a, a]);
});
