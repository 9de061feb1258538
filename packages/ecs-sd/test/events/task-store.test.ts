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

const arns = (tasks: Task[]) => tasks.map((t) => t.taskArn);

describe('TaskStore.apply', () => {
  test('a new task appears, a newer version replaces it', () => {
    const { store } = storeAt();
    const first = store.apply(taskEvent(1, 'PENDING'));
    assert.equal(first.change, 'upsert');
    assert.equal(first.changed, true);
    assert.equal(first.knownVersion, undefined);
    const second = store.apply(taskEvent(2, 'RUNNING'));
    assert.equal(second.change, 'upsert');
    assert.equal(second.knownVersion, 1);
    assert.deepEqual(
      store.tasks(CLUSTER).map((t) => [t.taskArn, t.lastStatus, t.version]),
      [[TASK, 'RUNNING', 2]],
    );
  });

  test('a duplicate event is stale and changes nothing', () => {
    const { store } = storeAt();
    store.apply(taskEvent(2));
    const dup = store.apply(taskEvent(2));
    assert.equal(dup.change, 'stale');
    assert.equal(dup.changed, false);
    assert.equal(dup.knownVersion, 2);
    assert.equal(store.tasks(CLUSTER).length, 1);
  });

  test('an older event delivered after a newer one never undoes it', () => {
    const { store } = storeAt();
    store.apply(taskEvent(3, 'RUNNING'));
    assert.equal(store.apply(taskEvent(2, 'PENDING')).change, 'stale');
    assert.equal(store.tasks(CLUSTER)[0]?.lastStatus, 'RUNNING');
  });

  test('STOPPED removes the task and a late older RUNNING event cannot resurrect it', () => {
    const { store } = storeAt();
    store.apply(taskEvent(2, 'RUNNING'));
    const stop = store.apply(taskEvent(5, 'STOPPED'));
    assert.equal(stop.change, 'remove');
    assert.equal(stop.changed, true);
    assert.deepEqual(store.tasks(CLUSTER), []);
    assert.equal(store.apply(taskEvent(3, 'RUNNING')).change, 'stale');
    assert.equal(store.apply(taskEvent(5, 'STOPPED')).change, 'stale');
    assert.deepEqual(store.tasks(CLUSTER), []);
    assert.deepEqual(store.taskVersion(CLUSTER, TASK), { version: 5, stopped: true });
  });

  test('STOPPED arriving first (reordered) leaves a tombstone that the RUNNING events hit', () => {
    const { store } = storeAt();
    const stop = store.apply(taskEvent(6, 'STOPPED'));
    assert.equal(stop.change, 'remove');
    assert.equal(stop.changed, false, 'nothing visible changed: the task was never known');
    for (const v of [1, 2, 3, 4, 5]) assert.equal(store.apply(taskEvent(v, 'RUNNING')).change, 'stale');
    assert.deepEqual(store.tasks(CLUSTER), []);
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
    assert.deepEqual(store.tasks(CLUSTER), []);
  });

  test('events of a cluster that is not selected are ignored', () => {
    const { store } = storeAt();
    const r = store.apply(taskEvent(1, 'RUNNING', { clusterArn: OTHER_CLUSTER }));
    assert.equal(r.change, 'ignored-cluster');
    assert.equal(r.changed, false);
    assert.deepEqual(store.tasks(OTHER_CLUSTER), []);
    assert.deepEqual(store.clusterArns(), []);
  });

  test('every order of one task’s events ends in the state of the newest', () => {
    const statuses = ['PROVISIONING', 'PENDING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'STOPPED'];
    const events = statuses.map((s, i) => taskEvent(i + 1, s));
    const running = events.slice(0, 3);
    for (const order of permutations([0, 1, 2])) {
      const { store } = storeAt();
      for (const i of [...order, ...order]) store.apply(running[i]!);
      assert.deepEqual(
        store.tasks(CLUSTER).map((t) => t.lastStatus),
        ['RUNNING'],
        `order ${order.join(',')}`,
      );
    }
    for (const order of permutations([0, 1, 2, 3, 4, 5])) {
      const { store } = storeAt();
      for (const i of order) store.apply(events[i]!);
      assert.deepEqual(store.tasks(CLUSTER), [], `order ${order.join(',')}`);
    }
  });

  test('tags a poll read survive events, which carry none', () => {
    const { store, clock } = storeAt();
    const tags = [{ key: 'team', value: 'web' }];
    store.reconcile(CLUSTER, [polled(TASK, 2, 'RUNNING', { tags })], { polledAt: clock.now });
    store.apply(taskEvent(3));
    assert.deepEqual(store.tasks(CLUSTER)[0]?.tags, tags);
    assert.equal(store.tasks(CLUSTER)[0]?.version, 3);
  });

  test('tasks are listed sorted by taskArn', () => {
    const { store } = storeAt();
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_C }));
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_B }));
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK }));
    assert.deepEqual(arns(store.tasks(CLUSTER)), [TASK, TASK_B, TASK_C].sort());
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

describe('TaskStore.reconcile', () => {
  test('seeds a cluster from a poll and removes tasks the next poll no longer lists', () => {
    const { store, clock } = storeAt();
    const first = store.reconcile(CLUSTER, [polled(TASK, 1), polled(TASK_B, 1)], { polledAt: clock.now });
    assert.equal(first.added, 2);
    assert.equal(first.changed, true);
    clock.now += 600_000;
    const second = store.reconcile(CLUSTER, [polled(TASK_B, 1)], { polledAt: clock.now });
    assert.equal(second.removed, 1);
    assert.equal(second.changed, true);
    assert.deepEqual(arns(store.tasks(CLUSTER)), [TASK_B]);
    // The removal leaves a tombstone: a late event of the same version does not bring the task back.
    assert.equal(store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK })).change, 'stale');
  });

  test('an event newer than the poll wins', () => {
    const { store, clock } = storeAt();
    store.apply(taskEvent(4, 'RUNNING'));
    clock.now += 10;
    const r = store.reconcile(CLUSTER, [polled(TASK, 3, 'PENDING')], { polledAt: clock.now });
    assert.equal(r.keptNewer, 1);
    assert.equal(r.changed, false);
    assert.equal(store.tasks(CLUSTER)[0]?.version, 4);
  });

  test('a poll newer than the events wins', () => {
    const { store, clock } = storeAt();
    store.apply(taskEvent(2, 'PENDING'));
    clock.now += 10;
    const r = store.reconcile(CLUSTER, [polled(TASK, 3, 'RUNNING')], { polledAt: clock.now });
    assert.equal(r.updated, 1);
    assert.equal(store.tasks(CLUSTER)[0]?.lastStatus, 'RUNNING');
    assert.equal(store.apply(taskEvent(3)).change, 'stale');
  });

  test('a stop event seen during the poll is not undone by the poll’s older RUNNING copy', () => {
    const { store, clock } = storeAt();
    store.reconcile(CLUSTER, [polled(TASK, 2)], { polledAt: clock.now });
    clock.now += 1000;
    const polledAt = clock.now;
    clock.now += 5;
    store.apply(taskEvent(5, 'STOPPED'));
    clock.now += 5;
    const r = store.reconcile(CLUSTER, [polled(TASK, 2)], { polledAt });
    assert.equal(r.keptStopped, 1);
    assert.deepEqual(store.tasks(CLUSTER), []);
  });

  test('a task an event added after the poll began is kept though the poll missed it', () => {
    const { store, clock } = storeAt();
    store.reconcile(CLUSTER, [polled(TASK, 2)], { polledAt: clock.now });
    clock.now += 1000;
    const polledAt = clock.now;
    clock.now += 5;
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_B }));
    const r = store.reconcile(CLUSTER, [polled(TASK, 2)], { polledAt });
    assert.equal(r.keptNewer, 1);
    assert.deepEqual(arns(store.tasks(CLUSTER)), [TASK, TASK_B]);
  });

  test('a task an event added before the poll began is removed when the poll does not list it', () => {
    const { store, clock } = storeAt();
    store.apply(taskEvent(1, 'RUNNING', { taskArn: TASK_B }));
    clock.now += 1000;
    const r = store.reconcile(CLUSTER, [polled(TASK, 2)], { polledAt: clock.now });
    assert.equal(r.removed, 1);
    assert.equal(r.added, 1);
    assert.deepEqual(arns(store.tasks(CLUSTER)), [TASK]);
  });

  test('heals events lost while the daemon was down: new tasks appear, stopped ones go', () => {
    const { store, clock } = storeAt();
    store.reconcile(CLUSTER, [polled(TASK, 2), polled(TASK_B, 2)], { polledAt: clock.now });
    clock.now += 3_600_000;
    const r = store.reconcile(CLUSTER, [polled(TASK, 2), polled(TASK_B, 7, 'STOPPED'), polled(TASK_C, 3)], {
      polledAt: clock.now,
    });
    assert.deepEqual(
      { added: r.added, removed: r.removed, updated: r.updated },
      { added: 1, removed: 1, updated: 0 },
    );
    assert.deepEqual(arns(store.tasks(CLUSTER)), [TASK, TASK_C]);
  });

  test('an equal version from the poll replaces the event copy silently (it adds tags)', () => {
    const { store, clock } = storeAt();
    store.apply(taskEvent(2));
    clock.now += 10;
    const tags = [{ key: 'team', value: 'web' }];
    const r = store.reconcile(CLUSTER, [polled(TASK, 2, 'RUNNING', { tags })], { polledAt: clock.now });
    assert.equal(r.changed, false);
    assert.deepEqual(store.tasks(CLUSTER)[0]?.tags, tags);
  });

  test('the same task listed twice by overlapping pages counts once', () => {
    const { store, clock } = storeAt();
    const r = store.reconcile(CLUSTER, [polled(TASK, 2), polled(TASK, 2)], { polledAt: clock.now });
    assert.equal(r.added, 1);
    assert.equal(store.tasks(CLUSTER).length, 1);
  });

  test('reconciling one cluster leaves the others alone', () => {
    const clock = { now: 0 };
    const store = new TaskStore({ now: () => clock.now });
    store.apply(taskEvent(1, 'RUNNING', { clusterArn: OTHER_CLUSTER }));
    clock.now += 10;
    store.reconcile(CLUSTER, [], { polledAt: clock.now });
    assert.equal(store.tasks(OTHER_CLUSTER).length, 1);
    store.dropCluster(OTHER_CLUSTER);
    assert.deepEqual(store.clusterArns(), [CLUSTER]);
  });
});

describe('TaskStore container instances', () => {
  test('a container instance appears, leaves when INACTIVE, and an older ACTIVE event cannot bring it back', () => {
    const { store } = storeAt();
    assert.equal(store.apply(instanceEvent(10)).change, 'upsert');
    assert.equal(store.containerInstances(CLUSTER)[0]?.containerInstanceArn, CI);
    assert.equal(store.apply(instanceEvent(12, 'DRAINING')).change, 'upsert');
    assert.equal(store.apply(instanceEvent(13, 'INACTIVE')).change, 'remove');
    assert.equal(store.apply(instanceEvent(11, 'ACTIVE')).change, 'stale');
    assert.deepEqual(store.containerInstances(CLUSTER), []);
  });

  test('reconcileContainerInstances replaces the set, keeping newer events', () => {
    const { store, clock } = storeAt();
    store.apply(instanceEvent(20, 'DRAINING'));
    clock.now += 10;
    const other = `${CI.slice(0, -4)}ffff`;
    const r = store.reconcileContainerInstances(
      CLUSTER,
      [
        { containerInstanceArn: CI, status: 'ACTIVE', version: 19 },
        { containerInstanceArn: other, status: 'ACTIVE', version: 1 },
      ],
      { polledAt: clock.now },
    );
    assert.equal(r.keptNewer, 1);
    assert.equal(r.added, 1);
    assert.deepEqual(
      store.containerInstances(CLUSTER).map((c) => [c.containerInstanceArn, c.status]),
      [
        [CI, 'DRAINING'],
        [other, 'ACTIVE'],
      ],
    );
  });

  test('unresolved names task definitions and container instances the daemon must fetch', () => {
    const { store } = storeAt();
    const tdB = `${TASK_DEF.slice(0, -1)}4`;
    store.apply(instanceEvent(10));
    const e1 = taskEvent(1, 'RUNNING');
    e1.task.containerInstanceArn = CI;
    const e2 = taskEvent(1, 'RUNNING', { taskArn: TASK_B });
    e2.task.taskDefinitionArn = tdB;
    e2.task.containerInstanceArn = `${CI.slice(0, -4)}ffff`;
    store.apply(e1);
    store.apply(e2);
    const known = { taskDefinition: (arn: string) => arn === TASK_DEF, containerInstance: () => false };
    assert.deepEqual(store.unresolved(CLUSTER, known), {
      taskDefinitionArns: [tdB],
      containerInstanceArns: [`${CI.slice(0, -4)}ffff`],
    });
  });
});

function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}
