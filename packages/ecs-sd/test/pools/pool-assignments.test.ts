/** PoolAssignments and poolMembers from fixed decisions: members, caching, moves counted, age. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolConfig } from '../../src/config/types.ts';
import type { Target, TaskDecision } from '../../src/discovery/types.ts';
import { poolMembers } from '../../src/pools/members.ts';
import { PoolAssignments } from '../../src/pools/pool-assignments.ts';

const TD = 'arn:aws:ecs:eu-west-1:111111111111:task-definition';

function agent(id: string, overrides: Partial<TaskDecision> = {}): TaskDecision {
  return {
    taskArn: `arn:aws:ecs:eu-west-1:111111111111:task/monitoring/${id}`,
    taskId: id,
    clusterName: 'monitoring',
    source: 'main',
    lastStatus: 'RUNNING',
    taskDefinitionArn: `${TD}/prometheus-agent:3`,
    group: 'service:agents',
    privateIpv4: `10.0.0.${id.length}`,
    containers: [],
    incomplete: false,
    ...overrides,
  };
}

function targets(count: number, job = 'web'): Target[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `arn:aws:ecs:eu-west-1:111111111111:task/web/${String(i).padStart(8, '0')}/app/9100/metrics`,
    address: `10.1.${i >> 8}.${i & 255}:9100`,
    interval: '1m',
    job,
    clusterName: 'web',
    convention: 'prometheus-ecs-sd',
    labels: {},
  }));
}

const POOL: PoolConfig = {
  name: 'agents',
  ecs: { source: 'main', cluster: 'monitoring', family: 'prometheus-agent' },
  staticMembers: [],
  replication: 1,
  targets: { jobs: ['web'] },
};

describe('pool members', () => {
  it('are the RUNNING tasks of the family (or service) in the cluster of the source, and the static names', () => {
    const decisions = [
      agent('a'),
      agent('b', { lastStatus: 'PENDING' }),
      agent('c', { taskDefinitionArn: `${TD}/other:1` }),
      agent('d', { clusterName: 'web' }),
      agent('e', { source: 'prod' }),
      agent('f', { group: 'service:other' }),
    ];
    assert.deepEqual(
      poolMembers({ ...POOL, staticMembers: ['z', 'a'] }, decisions).map((m) => [m.id, m.kind]),
      [
        ['a', 'ecs'],
        ['f', 'ecs'],
        ['z', 'static'],
      ],
    );
    const byService = { ...POOL, ecs: { source: 'main', cluster: 'monitoring', service: 'agents' } };
    assert.deepEqual(
      poolMembers(byService, decisions).map((m) => m.id),
      ['a', 'c'],
    );
  });
});

describe('PoolAssignments', () => {
  it('assigns once per change, counts the targets that moved, and dates the last change', () => {
    let now = 1000;
    const moved: number[] = [];
    const pools = new PoolAssignments({ now: () => now, onMoved: (_, count) => moved.push(count) });
    const all = [...targets(1000), ...targets(5, 'other')];
    const three = [agent('a'), agent('bb'), agent('ccc')];
    const first = pools.current({ pools: [POOL], targets: all, decisions: three }).get('agents')!;
    assert.equal(first.targets, 1000, 'only the jobs the pool takes');
    assert.equal(
      [...first.perMember.values()].reduce((a, b) => a + b, 0),
      1000,
    );
    assert.equal(first.changedAtMs, 1000);
    now = 2000;
    assert.equal(
      pools.current({ pools: [POOL], targets: all, decisions: three }).get('agents'),
      first,
      'unchanged inputs: the same',
    );
    // New decisions array, same members: nothing moves, the age stands.
    const same = pools.current({ pools: [POOL], targets: all, decisions: [...three] }).get('agents')!;
    assert.equal(same.changedAtMs, 1000);
    assert.deepEqual(moved, []);
    // A member stops: exactly its targets move.
    const held = first.perMember.get('bb')!;
    now = 3000;
    const two = pools
      .current({ pools: [POOL], targets: all, decisions: [agent('a'), agent('ccc')] })
      .get('agents')!;
    assert.deepEqual(moved, [held]);
    assert.equal(two.changedAtMs, 3000);
    assert.equal(two.perMember.get('a')! + two.perMember.get('ccc')!, 1000);
    for (const [key, members] of two.byTarget) {
      const before = first.byTarget.get(key)![0];
      if (before !== 'bb') assert.deepEqual(members, [before], 'the others stay put');
    }
  });

  it('a pool without members assigns nobody; replication above the members gives everyone everything', () => {
    const pools = new PoolAssignments();
    const none = pools.current({ pools: [POOL], targets: targets(10), decisions: [] }).get('agents')!;
    assert.equal(none.members.length, 0);
    assert.deepEqual([...none.byTarget.values()].flat(), []);
    const wide = { ...POOL, replication: 3 };
    const two = pools
      .current({ pools: [wide], targets: targets(10), decisions: [agent('a'), agent('bb')] })
      .get('agents')!;
    assert.deepEqual(
      [...two.perMember],
      [
        ['a', 10],
        ['bb', 10],
      ],
    );
  });
});
