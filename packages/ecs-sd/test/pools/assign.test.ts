import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { assignAll, assignTarget, prepareMembers, stableHash } from '../../src/pools/assign.ts';

const keys = (count: number): string[] =>
  Array.from(
    { length: count },
    (_, i) =>
      `arn:aws:ecs:eu-west-1:111111111111:task/web/${i.toString(16).padStart(32, '0')}/app/9100/metrics`,
  );
const members = (count: number): string[] => Array.from({ length: count }, (_, i) => `member-${i}`);

function moved(before: Map<string, string[]>, after: Map<string, string[]>): number {
  let count = 0;
  for (const [key, owners] of before) if (owners.join() !== after.get(key)?.join()) count++;
  return count;
}

describe('pool assignment (rendezvous hashing)', () => {
  it('hashes stably: fixed values, whatever the process', () => {
    assert.equal(stableHash(''), 0x811c9dc5);
    assert.equal(stableHash('a'), stableHash('a'));
    assert.notEqual(stableHash('ab'), stableHash('ba'));
  });

  it('is deterministic: the same answer whatever the order members are given in', () => {
    const ids = members(7);
    const a = assignAll(keys(2000), ids, 1);
    const b = assignAll(keys(2000), [...ids].reverse(), 1);
    assert.deepEqual(a, b);
    // A child process (another ecs-sd replica) computes the same.
    const sample = keys(50);
    const here = sample.map((key) => assignTarget(key, prepareMembers(ids), 2).join(','));
    const there = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { assignTarget, prepareMembers } from ${JSON.stringify(new URL('../../src/pools/assign.ts', import.meta.url).href)};
         const ids = ${JSON.stringify(ids)}; const keys = ${JSON.stringify(sample)};
         console.log(JSON.stringify(keys.map((k) => assignTarget(k, prepareMembers(ids), 2).join(','))));`,
      ],
      { encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(there), here);
  });

  it('balances: every member of 10 gets within 15% of an equal share of 10,000 targets', () => {
    const counts = new Map<string, number>();
    for (const [, [owner]] of assignAll(keys(10_000), members(10), 1))
      counts.set(owner!, (counts.get(owner!) ?? 0) + 1);
    assert.equal(counts.size, 10);
    for (const [member, count] of counts) assert.ok(count > 850 && count < 1150, `${member} has ${count}`);
  });

  it('moves about 1/N when one member of N joins or leaves, and only to or from that member', () => {
    const all = keys(10_000);
    const ten = assignAll(all, members(10), 1);
    const eleven = assignAll(all, [...members(10), 'newcomer'], 1);
    const joined = moved(ten, eleven);
    assert.ok(joined > 10_000 / 11 - 250 && joined < 10_000 / 11 + 250, `moved ${joined}`);
    for (const [key, owners] of eleven)
      if (owners[0] !== ten.get(key)![0]) assert.equal(owners[0], 'newcomer');
    const nine = assignAll(
      all,
      members(10).filter((id) => id !== 'member-3'),
      1,
    );
    const left = moved(ten, nine);
    assert.equal(left, [...ten.values()].filter(([owner]) => owner === 'member-3').length);
  });

  it('replicates: r distinct members per target, the first being the replication-1 owner; every member when fewer', () => {
    const ids = members(5);
    const one = assignAll(keys(1000), ids, 1);
    for (const [key, owners] of assignAll(keys(1000), ids, 2)) {
      assert.equal(owners.length, 2);
      assert.notEqual(owners[0], owners[1]);
      assert.equal(owners[0], one.get(key)![0]);
    }
    assert.deepEqual(assignTarget('x', prepareMembers(['b', 'a']), 3).sort(), ['a', 'b']);
    assert.deepEqual(assignTarget('x', prepareMembers([]), 1), []);
  });
});
