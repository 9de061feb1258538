/** resolvePoolRequest as a table: which member asks, and what a request that cannot be served answers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolConfig } from '../../src/config/types.ts';
import type { PoolAssignment } from '../../src/pools/pool-assignments.ts';
import { resolvePoolRequest } from '../../src/server/pool-request.ts';

const POOL: PoolConfig = {
  name: 'agents',
  ecs: { source: 'main', cluster: 'monitoring', service: 'agents' },
  staticMembers: ['outside'],
  replication: 1,
  targets: {},
};

const ASSIGNMENTS = new Map<string, PoolAssignment>([
  [
    'agents',
    {
      pool: POOL,
      members: [
        { id: 'a1', kind: 'ecs', taskArn: 'arn:a1', privateIpv4: '10.0.0.1' },
        { id: 'b2', kind: 'ecs', taskArn: 'arn:b2', privateIpv4: '10.0.0.2' },
        { id: 'c3', kind: 'ecs', taskArn: 'arn:c3', privateIpv4: '10.0.0.2' },
        { id: 'outside', kind: 'static' },
      ],
      byTarget: new Map([
        ['t1', ['a1']],
        ['t2', ['outside']],
      ]),
      perMember: new Map(),
      targets: 2,
      changedAtMs: 0,
    },
  ],
]);

function resolve(query: string, from?: string) {
  return resolvePoolRequest(new URLSearchParams(query), from, ASSIGNMENTS);
}

describe('resolvePoolRequest', () => {
  it("a member's share keeps only the targets assigned to it", () => {
    const share = resolve('pool=agents&member=a1');
    assert.equal(share.kind, 'share');
    if (share.kind !== 'share') return;
    assert.equal(share.keep({ key: 't1' } as never), true);
    assert.equal(share.keep({ key: 't2' } as never), false);
    assert.equal(share.keep({ key: 'not in the pool' } as never), false);
  });

  it('finds the member by source address (IPv4-mapped too) only when exactly one task has it', () => {
    const byAddress = resolve('pool=agents', '::ffff:10.0.0.1');
    assert.deepEqual(byAddress.kind === 'share' && byAddress.member, 'a1');
    const shared = resolve('pool=agents', '10.0.0.2');
    assert.deepEqual(shared, {
      kind: 'error',
      status: 400,
      message:
        'member is not given and the source address 10.0.0.2 is the private IP of 2 running member tasks of pool "agents", expected member=ID (the scraper\'s ECS task id or static name)',
    });
  });

  it('answers an empty share with the reason for a member not in the pool', () => {
    assert.deepEqual(resolve('pool=agents&member=gone'), {
      kind: 'empty',
      pool: 'agents',
      member: 'gone',
      reason:
        'member "gone" is not in pool "agents": no RUNNING task with this id of service "agents" in cluster "monitoring" (source "main") is known yet, nor is it a static member; its members are "a1", "b2", "c3", "outside"',
    });
  });

  for (const [query, status, message] of [
    ['pool=nope&member=a1', 404, 'pool "nope" is not configured, expected one of "agents"'],
    ['pool=agents&pool=agents&member=a1', 400, 'pool is given 2 times, expected it once'],
    ['pool=agents&member=a1&member=b2', 400, 'member is given 2 times, expected it once'],
    [
      'pool=agents&member=a1&shards=2&shard=0',
      400,
      'shard is given with pool, expected either pool=NAME&member=ID or shard=i&shards=n, not both (a pool shares its targets among its members itself)',
    ],
    ['pool=agents&member=', 400, 'member is empty, expected the task id or static name of a member'],
    [
      'pool=agents&member=%E2%98%83%0A',
      400,
      'member "☃\\n" is not a member id, expected a task id or static name (up to 255 printable ASCII characters)',
    ],
  ] as const) {
    it(`${query} → ${status}`, () => {
      assert.deepEqual(resolve(query), { kind: 'error', status, message });
    });
  }
});
