import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterTargets, fnv1a32, parseTargetFilter, shardOf } from '../../src/output/target-filter.ts';
import { target } from './fixtures.ts';

const parse = (query: string) => parseTargetFilter(new URLSearchParams(query));

const fleet = [
  target({ cluster: 'prod', family: 'web', taskId: 'a', ip: '10.0.0.1', interval: '15s' }),
  target({ cluster: 'prod', family: 'api', taskId: 'b', ip: '10.0.0.2', interval: '1m' }),
  target({ cluster: 'staging', family: 'web', taskId: 'c', ip: '10.0.0.3', interval: '1m' }),
  target({ cluster: 'staging', family: 'worker', taskId: 'd', ip: '10.0.0.4', interval: '5m' }),
];

function select(query: string): string[] {
  const parsed = parse(query);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return filterTargets(fleet, parsed.filter).map((t) => t.labels['ecs_task_id']!);
}

test('no query selects every target', () => {
  assert.deepEqual(select(''), ['a', 'b', 'c', 'd']);
});

test('filters by job, interval and cluster, ANDed across parameters and ORed within one', () => {
  assert.deepEqual(select('job=web'), ['a', 'c']);
  assert.deepEqual(select('interval=1m'), ['b', 'c']);
  assert.deepEqual(select('cluster=staging'), ['c', 'd']);
  assert.deepEqual(select('cluster=staging&job=web'), ['c']);
  assert.deepEqual(select('job=web&job=worker'), ['a', 'c', 'd']);
  assert.deepEqual(select('interval=15s&interval=5m'), ['a', 'd']);
  assert.deepEqual(select('cluster=nope'), []);
});

test('rejects bad values with a one-line error naming the parameter, the value and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['interval=2m', /^interval "2m" is not a known interval, expected one of 15s, 30s, 1m, 5m$/],
    ['shard=3&shards=3', /^shard "3" is not a shard index, expected an integer from 0 to 2 \(shards=3\)$/],
    ['shard=-1&shards=3', /^shard "-1" .* expected an integer from 0 to 2/],
    ['shard=x&shards=3', /^shard "x" /],
    ['shard=1.0&shards=3', /^shard "1.0" /],
    ['shard=0&shards=0', /^shards "0" is not a shard count, expected an integer from 1 to 1000000$/],
    ['shard=0&shards=abc', /^shards "abc" /],
    ['shard=0&shards=', /^shards "" /],
    ['shard=0', /^shard "0" is given without shards/],
    ['shards=2', /^shards "2" is given without shard/],
    ['shard=0&shard=1&shards=2', /^shard is given 2 times, expected it once$/],
    [
      'clustr=prod',
      /^unknown query parameter "clustr", expected one of job, interval, cluster, shard, shards$/,
    ],
  ];
  for (const [query, expected] of cases) {
    const parsed = parse(query);
    assert.equal(parsed.ok, false, query);
    if (!parsed.ok) {
      assert.match(parsed.error, expected, query);
      assert.ok(!parsed.error.includes('\n'), query);
    }
  }
});

test('fnv1a32 matches the published FNV-1a test vectors', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
});

test('every target belongs to exactly one shard, and the shards are roughly even', () => {
  const many = Array.from({ length: 2003 }, (_, i) =>
    target({ taskId: `task-${i}`, ip: `10.1.${i >> 8}.${i & 255}` }),
  );
  for (const count of [1, 2, 3, 7]) {
    const seen = new Map<string, number>();
    const sizes: number[] = [];
    for (let index = 0; index < count; index++) {
      const parsed = parse(`shard=${index}&shards=${count}`);
      assert.ok(parsed.ok);
      const selected = filterTargets(many, parsed.filter);
      sizes.push(selected.length);
      for (const t of selected) seen.set(t.key, (seen.get(t.key) ?? 0) + 1);
    }
    assert.equal(seen.size, many.length, `shards=${count} covers every target`);
    assert.ok(
      [...seen.values()].every((n) => n === 1),
      `shards=${count} never selects a target twice`,
    );
    const expected = many.length / count;
    assert.ok(
      sizes.every((size) => Math.abs(size - expected) < expected * 0.2),
      `shards=${count} sizes ${sizes.join(',')} within 20% of ${expected.toFixed(0)}`,
    );
  }
});

test('a target keeps its shard when the rest of the fleet changes', () => {
  const t = target({ taskId: 'stable', ip: '10.0.0.1' });
  const before = shardOf(t, 5);
  const moved = { ...t, address: '10.9.9.9:9100', labels: { ...t.labels, ecs_task_version: '7' } };
  assert.equal(shardOf(moved, 5), before);
});
