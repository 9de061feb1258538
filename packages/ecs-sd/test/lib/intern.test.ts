import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { intern, MAX_INTERNED_LENGTH } from '../../src/lib/intern.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes that `hold` keeps reachable: what the strings it returns cost. */
function retained(hold: () => string[]): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = hold();
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  assert.ok(kept.length > 0);
  return bytes;
}

/** A new string object with the same text each time (as each DescribeTasks response gives). */
const copyOf = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

test('10,000 copies of a shared value, interned, are held as one string', () => {
  const arn = `arn:aws:ecs:us-east-1:123456789012:container-instance/prod/${'0123456789abcdef'.repeat(60)}`;
  assert.ok(arn.length <= MAX_INTERNED_LENGTH);
  const copies = retained(() => Array.from({ length: 10_000 }, () => copyOf(arn)));
  const interned = retained(() => Array.from({ length: 10_000 }, () => intern(copyOf(arn))));
  assert.ok(copies > 8_000_000, `the copies alone hold ${copies} bytes`);
  assert.ok(
    interned < 200_000,
    `interned they hold ${interned} bytes (the array of references and one string)`,
  );
  assert.equal(intern(copyOf(arn)), arn, 'the same text comes back');
});

test('a value longer than the bound is returned as it is, and distinct values past the bound do not grow the table', () => {
  const long = 'x'.repeat(MAX_INTERNED_LENGTH + 1);
  assert.equal(intern(long), long);
  // 200,000 distinct values (four times the bound) are let go once nothing else holds them.
  const growth = retained(() => {
    for (let i = 0; i < 200_000; i++) intern(`value-${i}-${'y'.repeat(100)}`);
    return ['done'];
  });
  assert.ok(growth < 12_000_000, `the table holds ${growth} bytes after 200,000 distinct values`);
});
