/**
 * One host read for the clusters of a source, on a fake timer: the read waits until every cluster
 * read has asked for its hosts or said it needs none, merges their ids, and hands each cluster its
 * own; a slow cluster holds the others back at most the batch's wait.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostBatch } from '../../src/aws/host-batch.ts';
import type { HostInfo } from '../../src/discovery/types.ts';
import { FakeTimer, settle } from '../support/fake-timer.ts';

const host = (id: string): HostInfo => ({
  ec2InstanceId: id,
  source: 'ec2',
  tags: {},
  privateIpAddress: '10.0.0.1',
});

/** A host read that records each call and finds every id except those starting with `gone-`. */
function recordingRead() {
  const calls: { ids: string[]; clusters: string[] }[] = [];
  return {
    calls,
    read: async (ids: readonly string[], clusters: readonly string[]) => {
      calls.push({ ids: [...ids].sort(), clusters: [...clusters].sort() });
      return new Map(ids.filter((id) => !id.startsWith('gone-')).map((id) => [id, host(id)]));
    },
  };
}

describe('HostBatch', () => {
  test('four cluster reads make one read: it waits for each to ask for its hosts or leave', async () => {
    const timer = new FakeTimer();
    const { calls, read } = recordingRead();
    const batch = new HostBatch(read, { maxWaitMs: 1000, timer });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => batch.join(name));
    const loads = [a!.load(['i-1', 'i-2']), b!.load(['i-3', 'gone-4'])];
    await settle();
    assert.equal(calls.length, 0, 'c and d have not asked yet');
    d!.leave();
    loads.push(c!.load(['i-5']));
    const [forA, forB, forC] = await Promise.all(loads);
    assert.deepEqual(calls, [{ ids: ['gone-4', 'i-1', 'i-2', 'i-3', 'i-5'], clusters: ['a', 'b', 'c'] }]);
    assert.deepEqual([...forA!.keys()], ['i-1', 'i-2']);
    assert.deepEqual([...forB!.keys()], ['i-3'], 'an id EC2 does not know is absent');
    assert.deepEqual([...forC!.keys()], ['i-5']);
    assert.deepEqual(timer.pending(), [], 'no timer left');
  });

  test('a slow cluster holds the others back at most maxWaitMs, then asks on its own', async () => {
    const timer = new FakeTimer();
    const { calls, read } = recordingRead();
    const batch = new HostBatch(read, { maxWaitMs: 1000, timer });
    const fast = batch.join('fast');
    const slow = batch.join('slow');
    let done = false;
    const first = fast.load(['i-1']).then((hosts) => {
      done = true;
      return hosts;
    });
    await timer.advance(999);
    assert.equal(done, false);
    await timer.advance(1);
    assert.deepEqual([...(await first).keys()], ['i-1']);
    assert.deepEqual(calls, [{ ids: ['i-1'], clusters: ['fast'] }]);
    const late = await slow.load(['i-9']);
    assert.deepEqual([...late.keys()], ['i-9']);
    assert.deepEqual(calls[1], { ids: ['i-9'], clusters: ['slow'] }, 'read at once: nobody else is open');
  });

  test('a failed read fails every cluster that waited for it', async () => {
    const batch = new HostBatch(
      async () => {
        throw new Error('describe instances failed');
      },
      { maxWaitMs: 1000, timer: new FakeTimer() },
    );
    const a = batch.join('a');
    const b = batch.join('b');
    const results = await Promise.allSettled([a.load(['i-1']), b.load(['i-2'])]);
    assert.deepEqual(
      results.map((result) => (result.status === 'rejected' ? (result.reason as Error).message : 'ok')),
      ['describe instances failed', 'describe instances failed'],
    );
  });

  test("one cluster's deadline ends only its own wait; the read goes on for the others", async () => {
    const timer = new FakeTimer();
    const { calls, read } = recordingRead();
    const batch = new HostBatch(read, { maxWaitMs: 1000, timer });
    const a = batch.join('a');
    const b = batch.join('b');
    const c = batch.join('c');
    const deadline = new AbortController();
    const aborted = a.load(['i-1'], deadline.signal);
    deadline.abort(new Error('the read of cluster "a" did not finish'));
    await assert.rejects(aborted, /did not finish/);
    const forB = b.load(['i-2']);
    c.leave();
    assert.deepEqual([...(await forB).keys()], ['i-2']);
    assert.deepEqual(calls, [{ ids: ['i-1', 'i-2'], clusters: ['a', 'b'] }]);
  });

  test('a read that throws synchronously is a rejection, not a crash', async () => {
    const batch = new HostBatch(
      () => {
        throw new Error('no client');
      },
      { maxWaitMs: 10, timer: new FakeTimer() },
    );
    await assert.rejects(batch.join('a').load(['i-1']), /no client/);
  });
});
