/** One poll or event apply of a cluster at a time; other clusters and sources go on; a failure frees the cluster. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterLocks } from '../../src/daemon/cluster-locks.ts';
import { settle } from '../support/fake-timer.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

test('work on one cluster runs in order, one at a time; other clusters and sources do not wait', async () => {
  const locks = new ClusterLocks();
  const events: string[] = [];
  const first = gate();
  const poll = locks.run('main', 'prod', async () => {
    events.push('poll starts');
    await first.opened;
    events.push('poll ends');
    return 'polled';
  });
  const apply = locks.run('main', 'prod', async () => {
    events.push('apply runs');
    return 'applied';
  });
  const other = locks.run('main', 'staging', async () => {
    events.push('other cluster runs');
  });
  const otherSource = locks.run('second', 'prod', async () => {
    events.push('same cluster of another source runs');
  });
  await Promise.all([other, otherSource]);
  assert.deepEqual(events, ['poll starts', 'other cluster runs', 'same cluster of another source runs']);
  first.open();
  assert.equal(await poll, 'polled');
  assert.equal(await apply, 'applied');
  assert.deepEqual(events.slice(3), ['poll ends', 'apply runs']);
  await settle();
  assert.equal(locks.size, 0, 'no entry is kept once nothing waits');
});

test('a failure reaches only its caller and frees the cluster for the next', async () => {
  const locks = new ClusterLocks();
  const failed = locks.run('main', 'prod', async () => {
    throw new Error('describe tasks failed');
  });
  const next = locks.run('main', 'prod', async () => 'next ran');
  await assert.rejects(failed, /describe tasks failed/);
  assert.equal(await next, 'next ran');
});
