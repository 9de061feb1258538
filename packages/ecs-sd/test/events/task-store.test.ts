import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Task } from '@aws-sdk/client-ecs';
import { isTaskGone, TaskStore } from '../../src/events/task-store.ts';
import { CI, CLUSTER, instanceEvent, OTHER_CLUSTER, TASK, TASK_DEF, taskEvent } from './fixtures.ts';

const TASK_B = 'arn:aws:ecs:us-east-1:123456789012:task/prod/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const TASK_C = 'arn:aws:ecs:us-east-1:123456789012:task/prod/cccccccccccccccccccccccccccccccc';

/** A store on a hand-moved clock. */
function storeAt(start = 1_000_000, options: { tombstoneTtlMs?: number; maxTombstones?: number } = {}) {
  const clock = { now: start };
  const store = new TaskStore({ now: () => clock.now, selected: (arn) => arn === CLUSTER, ...options });
  return { store, clock };
}

function polled(taskArn: string, version: number, lastStatus = 'RUNNING', extra: Partial<Task> = {}): Task {
  return {
    taskArn,
    clusterArn: CLUSTER,
    version,
    lastStatus,
    desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    taskDefinitionArn: TASK_DEF,
    ...extra,
  };
}

/** A poll that listed and described these tasks, begun at `polledAt`. */
function poll(tasks: Task[], polledAt: number) {
  return {
    listed: tasks.filter((task) => !isTaskGone(task)).map((task) => task.taskArn!),
    described: tasks,
    polledAt,
  };
}

/** What `takeTasks` hands out for these ARNs, as [arn, lastStatus, version] rows and removals. */
function take(store: TaskStore, arns: string[] = [TASK, TASK_B, TASK_C]) {
  const pending = store.takeTasks(CLUSTER, arns);
  return {
    upserts: pending.upserts.map((t) => [t.taskArn, t.lastStatus, t.version]),
    removals: pending.removals,
  };
}

describe('TaskStore.apply', () => {
  test('a new task appears, a newer version replaces it; take hands out the newest copy once', () => {
    const { store } = storeAt();
    const first = store.apply(taskEvent(1, 'PENDING'));
    assert.equal(first.change, 'upsert');
    assert.equal(first.knownVersion, undefined);
    const second = store.apply(taskEvent(2, 'RUNNING'));
    assert.equal(second.change, 'upsert');
    assert.equal(second.knownVersion, 1);
    assert.deepEqual(take(store), { upserts: [[TASK, 'RUNNING', 2]], removals: [] });
    assert.deepEqual(take(store), { upserts: [], removals: [] }, 'handed out once');
    assert.deepEqual(store.taskVersion(CLUSTER, TASK), { version: 2, stopped: false });
  });

  test('a duplicate event is stale and changes nothing', () => {
    const { store } = storeAt();
    store.apply(taskEvent(2));
    take(store);
    const dup = store.apply(taskEvent(2));
    assert.equal(dup.change, 'stale');
    assert.equal(dup.knownVersion, 2);
    assert.deepEqual(take(store), { upserts: [], removals: [] });
  });

  test('an older event delivered after a newer one never undoes it', () => {
    const { store } = storeAt();
    store.apply(taskEvent(3, 'RUNNING'));
    assert.equal(store.apply(taskEvent(2, 'PENDING')).change, 'stale');
    assert.deepEqual(take(store), { upserts: [[TASK, 'RUNNING', 3]], removals: [] });
  });

  test('STOPPED removes the task and a late older RUNNING event cannot resurrect it', () => {
    const { store } = storeAt();
    store.apply(taskEvent(2, 'RUNNING'));
    assert.equal(store.apply(taskEvent(5, 'STOPPED')).change, 'remove');
    assert.equal(store.apply(taskEvent(3, 'RUNNING')).change, 'stale');
    assert.equal(store.apply(taskEvent(5, 'STOPPED')).change, 'stale');
    assert.deepEqual(take(store), { upserts: [], removals: [TASK] });
    assert.deepEqual(store.taskVersion(CLUSTER, TASK), { version: 5, stopped: true });
  });

  test('STOPPED arriving first (reordered) leaves a tombstone that the RUNNING events hit', () => {
    const { store } = storeAt();
    assert.equal(store.apply(taskEvent(6, 'STOPPED')).change, 'remove');
    for (const v of [1, 2, 3, 4, 5]) assert.equal(store.apply(taskEvent(v, 'RUNNING')).change, 'stale');
    assert.deepEqual(take(store), { upserts: [], removals: [TASK] });
  });

  test('desiredStatus STOPPED past RUNNING removes; desiredStatus STOPPED while RUNNING does not', () => {
    assert.equal(isTaskGone({ lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' }), true);
    assert.equal(isTaskGone({ lastStatus: 'STOPPING', desiredStatus: 'STOPPED' }), true);
    assert.equal(isTaskGone({ lastStatus: 'DEPROVISIONING', desiredStatus: 'STOPPED' }), true);
    assert.equal(isTaskGone({ lastStatus: 'STOPPED', desiredStatus: 'RUNNING' }), true);
    assert.equal(isTaskGone({ lastStatus: 'RUNNING', desiredStatus: 'STOPPED' }), false);
    assert.equal(isTaskGone({ lastStatus: 'PENDING', desiredStatus: 'RUNNING' }), false);
    const { store } = storeAt();
    store.apply(taskEvent(2, 'RUNNING'));
    assert.equal(store.apply(taskEvent(3, 'RUNNING', { desiredStatus: 'STOPPED' })).change, 'upsert');
    assert.equal(store.apply(taskEvent(4, 'DEACTIVATING')).change, 'remove');
    assert.deepEqual(take(store), { upserts: [], removals: [TASK] });
  });

  test('events of a cluster that is not selected are ignored', () => {
    const { store } = storeAt();
    const r = store.apply(taskEvent(1, 'RUNNING', { clusterArn: OTHER_CLUSTER }));
    assert.equal(r.change, 'ignored-cluster');
    assert.deepEqual(store.takeTasks(OTHER_CLUSTER, [TASK]), { upserts: [], removals: [] });
    assert.deepEqual(store.clusterArns(), []);
  });

  test('every order of one task’s events ends in the state of the newest', () => {
    const statuses = ['PROVISIONING', 'PENDING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'STOPPED'];
    const events = statuses.map((s, i) => taskEvent(i + 1, s));
    const running = events.slice(0, 3);
    for (const order of permutations([0, 1, 2])) {
      const { store } = storeAt();
      for (const i of [...order, ...order]) store.apply(running[i]!);
      assert.deepEqual(take(store).upserts, [[TASK, 'RUNNING', 3]], `order ${order.join(',')}`);
    }
    for (const order of permutations([0, 1, 2, 3, 4, 5])) {
      const { store } = storeAt();
      for (const i of order) store.apply(events[i]!);
      assert.deepEqual(take(store), { upserts: [], removals: [TASK] }, `order ${order.join(',')}`);
    }
  });

  test('take hands out only the ARNs asked for, and nothing for unknown ones', () => {
    const { store } = storeAt();
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_B }));
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_C }));
    assert.deepEqual(take(store, [TASK, TASK_B]), { upserts: [[TASK_B, 'RUNNING', 1]], removals: [] });
    assert.deepEqual(take(store, [TASK_C]).upserts, [[TASK_C, 'RUNNING', 1]]);
  });
});

describe('TaskStore tombstones', () => {
  test('expire after the TTL: an old RUNNING event then applies (the next reconcile heals it)', () => {
    const { store, clock } = storeAt(0, { tombstoneTtlMs: 60_000 });
    store.apply(taskEvent(5, 'STOPPED'));
    clock.now = 59_999;
    assert.equal(store.apply(taskEvent(3)).change, 'stale');
    clock.now = 60_000;
    assert.equal(store.taskVersion(CLUSTER, TASK), undefined);
    assert.equal(store.apply(taskEvent(3)).change, 'upsert');
  });

  test('are bounded: the oldest go first', () => {
    const { store, clock } = storeAt(0, { maxTombstones: 2 });
    const ids = ['1', '2', '3'].map((n) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${n.repeat(32)}`);
    for (const taskArn of ids) {
      clock.now += 1;
      store.apply(taskEvent(9, 'STOPPED', { taskArn }));
    }
    assert.equal(store.taskVersion(CLUSTER, ids[0]!), undefined);
    assert.deepEqual(store.taskVersion(CLUSTER, ids[1]!), { version: 9, stopped: true });
    assert.deepEqual(store.taskVersion(CLUSTER, ids[2]!), { version: 9, stopped: true });
  });
});

describe('TaskStore.observePoll', () => {
  test('records polled versions and forgets tasks the next poll no longer lists', () => {
    const { store, clock } = storeAt();
    const first = store.observePoll(CLUSTER, poll([polled(TASK, 1), polled(TASK_B, 1)], clock.now));
    assert.equal(first.updated, 2);
    assert.deepEqual(store.liveTaskArns(CLUSTER), [TASK, TASK_B].sort());
    clock.now += 600_000;
    const second = store.observePoll(CLUSTER, poll([polled(TASK_B, 1)], clock.now));
    assert.equal(second.removed, 1);
    assert.deepEqual(store.liveTaskArns(CLUSTER), [TASK_B]);
    // The removal leaves a tombstone: a late event of the same version does not bring the task back.
    assert.equal(store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK })).change, 'stale');
  });

  test('a task listed but not described (cached) keeps its version', () => {
    const { store, clock } = storeAt();
    store.observePoll(CLUSTER, poll([polled(TASK, 4)], clock.now));
    clock.now += 600_000;
    const r = store.observePoll(CLUSTER, { listed: [TASK], described: [], polledAt: clock.now });
    assert.equal(r.removed, 0);
    assert.equal(store.apply(taskEvent(3, 'PENDING')).change, 'stale', 'an older event still loses');
  });

  test('a delayed older event after a poll read a newer version is stale', () => {
    const { store, clock } = storeAt();
    store.observePoll(CLUSTER, poll([polled(TASK, 3, 'RUNNING')], clock.now));
    assert.equal(store.apply(taskEvent(2, 'PENDING')).change, 'stale');
    assert.deepEqual(take(store), { upserts: [], removals: [] });
  });

  test('an event newer than the poll stays pending', () => {
    const { store, clock } = storeAt();
    store.apply(taskEvent(4, 'RUNNING'));
    clock.now += 10;
    const r = store.observePoll(CLUSTER, poll([polled(TASK, 3, 'PENDING')], clock.now));
    assert.equal(r.keptNewer, 1);
    assert.deepEqual(take(store).upserts, [[TASK, 'RUNNING', 4]]);
  });

  test('a poll as new as (or newer than) an event drops its pending copy: the poll’s decision stands', () => {
    for (const version of [2, 3]) {
      const { store, clock } = storeAt();
      store.apply(taskEvent(2, 'RUNNING'));
      clock.now += 10;
      const r = store.observePoll(CLUSTER, poll([polled(TASK, version, 'RUNNING')], clock.now));
      assert.equal(r.updated, version > 2 ? 1 : 0);
      assert.deepEqual(take(store), { upserts: [], removals: [] }, `poll version ${version}`);
      assert.equal(store.apply(taskEvent(version)).change, 'stale');
    }
  });

  test('a stop event seen during the poll is not undone by the poll’s older RUNNING copy', () => {
    const { store, clock } = storeAt();
    store.observePoll(CLUSTER, poll([polled(TASK, 2)], clock.now));
    clock.now += 1000;
    const polledAt = clock.now;
    clock.now += 5;
    store.apply(taskEvent(5, 'STOPPED'));
    clock.now += 5;
    const r = store.observePoll(CLUSTER, poll([polled(TASK, 2)], polledAt));
    assert.equal(r.keptStopped, 1);
    assert.deepEqual(take(store), { upserts: [], removals: [TASK] });
  });

  test('a task an event added after the poll began is kept though the poll missed it', () => {
    const { store, clock } = storeAt();
    store.observePoll(CLUSTER, poll([polled(TASK, 2)], clock.now));
    clock.now += 1000;
    const polledAt = clock.now;
    clock.now += 5;
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_B }));
    const r = store.observePoll(CLUSTER, poll([polled(TASK, 2)], polledAt));
    assert.equal(r.keptNewer, 1);
    assert.deepEqual(store.liveTaskArns(CLUSTER), [TASK, TASK_B].sort());
    assert.deepEqual(take(store, [TASK_B]).upserts, [[TASK_B, 'RUNNING', 1]]);
  });

  test('a task an event added before the poll began is forgotten when the poll does not list it', () => {
    const { store, clock } = storeAt();
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_B }));
    clock.now += 1000;
    const r = store.observePoll(CLUSTER, poll([polled(TASK, 2)], clock.now));
    assert.equal(r.removed, 1);
    assert.deepEqual(store.liveTaskArns(CLUSTER), [TASK]);
  });

  test('heals events lost while the daemon was down: new tasks appear, stopped ones go', () => {
    const { store, clock } = storeAt();
    store.observePoll(CLUSTER, poll([polled(TASK, 2), polled(TASK_B, 2)], clock.now));
    clock.now += 3_600_000;
    store.observePoll(
      CLUSTER,
      poll([polled(TASK, 2), polled(TASK_B, 7, 'STOPPED'), polled(TASK_C, 3)], clock.now),
    );
    assert.deepEqual(store.liveTaskArns(CLUSTER), [TASK, TASK_C].sort());
    assert.deepEqual(store.taskVersion(CLUSTER, TASK_B), { version: 7, stopped: true });
  });

  test('observing one cluster leaves the others alone', () => {
    const clock = { now: 0 };
    const store = new TaskStore({ now: () => clock.now });
    store.apply(taskEvent(1, 'RUNNING', { clusterArn: OTHER_CLUSTER }));
    clock.now += 10;
    store.observePoll(CLUSTER, poll([], clock.now));
    assert.deepEqual(store.liveTaskArns(OTHER_CLUSTER), [TASK]);
    store.dropCluster(OTHER_CLUSTER);
    assert.deepEqual(store.clusterArns(), [CLUSTER]);
  });
});

describe('TaskStore container instances', () => {
  test('a container instance appears, leaves when INACTIVE, and an older ACTIVE event cannot bring it back', () => {
    const { store } = storeAt();
    assert.equal(store.apply(instanceEvent(10)).change, 'upsert');
    assert.equal(store.apply(instanceEvent(12, 'DRAINING')).change, 'upsert');
    const pending = store.takeContainerInstances(CLUSTER, [CI]);
    assert.deepEqual(
      pending.upserts.map((c) => [c.containerInstanceArn, c.status]),
      [[CI, 'DRAINING']],
    );
    assert.equal(store.apply(instanceEvent(13, 'INACTIVE')).change, 'remove');
    assert.equal(store.apply(instanceEvent(11, 'ACTIVE')).change, 'stale');
    assert.deepEqual(store.takeContainerInstances(CLUSTER, [CI]), { upserts: [], removals: [CI] });
  });
});

function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('TaskStore counts (the count check)', () => {
  const counts = (store: TaskStore) => {
    const last = store.countsSince(CLUSTER, Number.POSITIVE_INFINITY).at(-1);
    return [last?.running ?? 0, last?.pending ?? 0];
  };

  test('events and polls keep the RUNNING and PENDING counts; stale events change nothing', () => {
    const { store, clock } = storeAt();
    store.apply(taskEvent(1, 'PROVISIONING', { desiredStatus: 'RUNNING' }));
    assert.deepEqual(counts(store), [0, 1]);
    clock.now += 10;
    store.apply(taskEvent(3, 'RUNNING'));
    store.apply(taskEvent(2, 'PENDING'));
    assert.deepEqual(counts(store), [1, 0], 'the stale PENDING event does not count');
    clock.now += 10;
    store.observePoll(CLUSTER, poll([polled(TASK_B, 1, 'RUNNING'), polled(TASK_C, 1, 'PENDING')], clock.now));
    assert.deepEqual(counts(store), [1, 1], 'the poll forgot TASK (not listed) and counted B and C');
    clock.now += 10;
    store.apply(taskEvent(2, 'STOPPED', { taskArn: TASK_B, desiredStatus: 'STOPPED' }));
    assert.deepEqual(counts(store), [0, 1]);
    clock.now += 10;
    store.apply(taskEvent(2, 'DEACTIVATING', { taskArn: TASK_C, desiredStatus: 'STOPPED' }));
    assert.deepEqual(counts(store), [0, 0], 'a task being stopped past RUNNING counts in neither');
    assert.equal(store.polledAt(CLUSTER), 1_000_020);
    assert.equal(store.polledAt(OTHER_CLUSTER), undefined);
  });
});

describe('TaskStore service sweep', () => {
  test('a service sweep drops the service tasks it did not list and adds the ones it described', () => {
    const { store, clock } = storeAt();
    const web = { group: 'service:web' };
    store.observePoll(
      CLUSTER,
      poll(
        [polled(TASK, 1, 'RUNNING', web), polled(TASK_B, 1, 'RUNNING', { group: 'family:api' })],
        clock.now,
      ),
    );
    assert.deepEqual([...store.serviceCounts(CLUSTER)], [['web', { running: 1, pending: 0 }]]);
    clock.now += 10;
    const changed = store.observeService(CLUSTER, 'web', {
      listed: [TASK_C],
      described: [polled(TASK_C, 2, 'RUNNING', web)],
      listedAt: clock.now,
    });
    assert.deepEqual(changed.sort(), [TASK, TASK_C].sort());
    assert.deepEqual(
      store.liveTaskArns(CLUSTER),
      [TASK_B, TASK_C].sort(),
      'the standalone task is untouched',
    );
    assert.deepEqual(take(store), { upserts: [[TASK_C, 'RUNNING', 2]], removals: [TASK] });
    assert.deepEqual([...store.serviceCounts(CLUSTER)], [['web', { running: 1, pending: 0 }]]);
  });

  test('a task an event wrote after the list began stays', () => {
    const { store, clock } = storeAt();
    const listedAt = clock.now;
    clock.now += 5;
    store.apply({
      ...taskEvent(1, 'RUNNING'),
      task: { ...taskEvent(1, 'RUNNING').task, group: 'service:web' },
    });
    assert.deepEqual(store.observeService(CLUSTER, 'web', { listed: [], described: [], listedAt }), []);
    assert.deepEqual(store.liveTaskArns(CLUSTER), [TASK]);
  });
});

describe('TaskStore stuck tasks (pending_recheck_after)', () => {
  test('tasks short of RUNNING for longer than the bound are taken once per bound; RUNNING ones never', () => {
    const { store, clock } = storeAt();
    const start = clock.now;
    store.apply(taskEvent(1, 'PENDING'));
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_B }));
    clock.now += 10;
    store.apply(taskEvent(1, 'PROVISIONING', { taskArn: TASK_C }));
    assert.deepEqual(store.takeStuckTasks(CLUSTER, start), [], 'written at the bound: not stuck yet');
    clock.now += 90_000;
    assert.deepEqual(store.takeStuckTasks(CLUSTER, start + 5), [TASK]);
    assert.deepEqual(store.takeStuckTasks(CLUSTER, start + 20), [TASK_C], 'TASK was taken now: not again');
    clock.now += 90_000;
    assert.deepEqual(store.takeStuckTasks(CLUSTER, clock.now - 80_000), [TASK, TASK_C].sort());
    store.apply(taskEvent(2, 'RUNNING'));
    clock.now += 90_000;
    assert.deepEqual(store.takeStuckTasks(CLUSTER, clock.now), [TASK_C], 'a RUNNING task is never stuck');
    assert.deepEqual(store.takeStuckTasks(OTHER_CLUSTER, clock.now), []);
  });
});
