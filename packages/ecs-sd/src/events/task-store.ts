/**
 * The versions of each selected cluster's tasks and container instances as events and polls
 * reported them, and the event copies not yet applied to the targets. Pure and deterministic: the
 * clock is injected, nothing does I/O.
 *
 * EventBridge delivers at least once and not always in order, so an event only wins over what is
 * known when its `version` is higher; a stopped task leaves a tombstone (its last version, bounded
 * in number and expiring) so that a late, older RUNNING event cannot bring it back. A poll records
 * the versions DescribeTasks returned and forgets tasks it no longer lists, but keeps what events
 * reported after the poll began. Only versions are kept for polled tasks: their decisions live in
 * the discovery state, so a 10,000-task fleet costs the store a few hundred kilobytes.
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import { type CountSample, phaseOf } from './count-history.ts';
import type { ContainerInstanceStateChange, EcsEvent, TaskStateChange } from './parse.ts';
import {
  bury,
  type ClusterState,
  isTaskGone,
  newClusterState,
  observeService,
  serviceCounts,
  serviceOf,
  type Tombstone,
  type TombstoneLimits,
  takeStuckTasks,
  tombstoneOf,
  type Versioned,
  versionOf,
} from './versions.ts';

/** What applying an event did; stable strings, usable as metric label values. */
export type ApplyChange = 'upsert' | 'remove' | 'stale' | 'ignored-cluster';

/** The result of `apply`: the change, and the versions involved. */
export interface ApplyResult {
  change: ApplyChange;
  kind: EcsEvent['kind'];
  clusterArn: string;
  /** taskArn or containerInstanceArn. */
  arn: string;
  version: number;
  /** The version known before (live or tombstone), if any. */
  knownVersion?: number;
}

/** The result of `observePoll`: how a poll's versions and the event-fed versions were merged. */
export interface ObserveResult {
  clusterArn: string;
  /** Described by the poll with a version newer than known (or not known before). */
  updated: number;
  /** Known before, neither listed nor described by the poll and not touched by an event since the poll began. */
  removed: number;
  /** An event newer than the poll's copy won (or was written after the poll began): its copy stays pending. */
  keptNewer: number;
  /** The poll described a task that a newer or equal tombstone says is stopped. */
  keptStopped: number;
}

/** Event copies to apply to a cluster's targets: `take` hands each out once. */
export interface Pending<T> {
  /** The newest event copy of each changed task or container instance still live. */
  upserts: T[];
  /** ARNs that an event (or a poll) says are gone. */
  removals: string[];
}

/** Options of `TaskStore`. */
export interface TaskStoreOptions {
  /** True for clusters whose events are applied; others are `ignored-cluster`. @default every cluster */
  selected?: (clusterArn: string) => boolean;
  /** How long a stopped task's version is remembered. @default 3_600_000 (ECS shows STOPPED tasks for about an hour) */
  tombstoneTtlMs?: number;
  /** At most this many tombstones per cluster and kind; the oldest go first. @default 10_000 */
  maxTombstones?: number;
  /** Milliseconds clock (store time for tombstone expiry and poll races). @default Date.now */
  now?: () => number;
}

export { isTaskGone, serviceOf } from './versions.ts';

/** True when a container instance has left its cluster (deregistered: status INACTIVE). */
export function isContainerInstanceGone(ci: Pick<ContainerInstance, 'status'>): boolean {
  return ci.status === 'INACTIVE';
}

/** What a poll of one cluster read. */
export interface PolledCluster {
  /** Task ARNs ListTasks returned (desiredStatus RUNNING). */
  listed: Iterable<string>;
  /** Tasks DescribeTasks returned this poll (any lastStatus). */
  described: readonly Task[];
  /** Store time at which the poll began (before its first ListTasks call); later event writes win over it. */
  polledAt: number;
}

/** Per-cluster versions of tasks and container instances, fed by events and healed by polls. */
export class TaskStore {
  readonly #clusters = new Map<string, ClusterState>();
  readonly #selected: (clusterArn: string) => boolean;
  readonly #ttlMs: number;
  readonly #maxTombstones: number;
  readonly #now: () => number;
  readonly #limits: TombstoneLimits;

  constructor(options: TaskStoreOptions = {}) {
    this.#selected = options.selected ?? (() => true);
    this.#ttlMs = options.tombstoneTtlMs ?? 3_600_000;
    this.#maxTombstones = options.maxTombstones ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#limits = { ttlMs: this.#ttlMs, maxTombstones: this.#maxTombstones };
  }

  /** Applies one event: upsert or remove when its version is newer than anything known, else `stale`. */
  apply(event: EcsEvent): ApplyResult {
    const base = { kind: event.kind, clusterArn: event.clusterArn, version: event.version };
    if (!this.#selected(event.clusterArn)) return { ...base, arn: arnOf(event), change: 'ignored-cluster' };
    const cluster = this.#cluster(event.clusterArn);
    return event.kind === 'task' ? this.#applyTask(cluster, event) : this.#applyInstance(cluster, event);
  }

  /**
   * Records a poll of one cluster: the versions it described (a stopped one leaves a tombstone),
   * and forgets live tasks it neither listed nor described unless an event wrote them after the
   * poll began. A described version at least as new as an event's drops that event's pending copy:
   * the poll's decision already stands.
   */
  observePoll(clusterArn: string, poll: PolledCluster): ObserveResult {
    const cluster = this.#cluster(clusterArn);
    const state = cluster.tasks;
    const counts = cluster.counts;
    cluster.polledAt = poll.polledAt;
    const now = this.#now();
    const result: ObserveResult = { clusterArn, updated: 0, removed: 0, keptNewer: 0, keptStopped: 0 };
    const seen = new Set<string>(poll.listed);
    for (const task of poll.described) {
      const arn = task.taskArn;
      if (arn === undefined || arn === '') continue;
      seen.add(arn);
      const version = versionOf(task);
      const live = state.live.get(arn);
      if (live !== undefined && live.version > version) {
        result.keptNewer++;
        continue;
      }
      const tomb = live === undefined ? this.#tombstone(state, arn) : undefined;
      if (tomb !== undefined && tomb.version >= version) {
        result.keptStopped++;
        continue;
      }
      if (isTaskGone(task)) {
        state.live.delete(arn);
        counts.move(live?.phase, undefined, now);
        this.#bury(state, arn, version, now);
        continue;
      }
      state.tombstones.delete(arn);
      if (live === undefined || live.version < version) result.updated++;
      const phase = phaseOf(task);
      counts.move(live?.phase, phase, now);
      state.live.set(arn, {
        version,
        at: live !== undefined && live.version === version ? live.at : now,
        phase,
        service: serviceOf(task),
      });
    }
    for (const [arn, entry] of state.live) {
      if (seen.has(arn)) continue;
      // Written after the poll began: the poll may have listed the cluster before this task existed.
      if (entry.at >= poll.polledAt) {
        result.keptNewer++;
        continue;
      }
      state.live.delete(arn);
      counts.move(entry.phase, undefined, now);
      this.#bury(state, arn, entry.version, now);
      result.removed++;
    }
    return result;
  }

  /** Hands out the pending event copies of these tasks (each once) and the ones that are gone. */
  takeTasks(clusterArn: string, taskArns: Iterable<string>): Pending<Task> {
    return this.#take(this.#clusters.get(clusterArn)?.tasks, taskArns);
  }

  /** Hands out the pending event copies of these container instances (each once) and the ones that left. */
  takeContainerInstances(clusterArn: string, arns: Iterable<string>): Pending<ContainerInstance> {
    return this.#take(this.#clusters.get(clusterArn)?.containerInstances, arns);
  }

  /** The known version of a task: live, or its tombstone's; undefined when unknown or expired. */
  taskVersion(clusterArn: string, taskArn: string): { version: number; stopped: boolean } | undefined {
    const state = this.#clusters.get(clusterArn)?.tasks;
    if (state === undefined) return undefined;
    const live = state.live.get(taskArn);
    if (live) return { version: live.version, stopped: false };
    const tomb = this.#tombstone(state, taskArn);
    return tomb ? { version: tomb.version, stopped: true } : undefined;
  }

  /** Live task ARNs of a cluster, sorted. */
  liveTaskArns(clusterArn: string): string[] {
    return [...(this.#clusters.get(clusterArn)?.tasks.live.keys() ?? [])].sort();
  }

  /** A cluster's believed RUNNING and PENDING counts in effect at some time since `from`, oldest first. */
  countsSince(clusterArn: string, from: number): CountSample[] {
    return this.#clusters.get(clusterArn)?.counts.since(from) ?? [];
  }

  /** Each service's believed RUNNING and PENDING counts in a cluster, by service name. */
  serviceCounts(clusterArn: string): Map<string, { running: number; pending: number }> {
    const cluster = this.#clusters.get(clusterArn);
    return cluster === undefined ? new Map() : serviceCounts(cluster);
  }

  /**
   * Records a sweep of one service begun (ListTasks) at `listedAt`: its live tasks not listed and
   * not written since are gone, and the tasks described (listed, not known) wait as event copies.
   * Returns the task ARNs that changed, to apply as events are.
   */
  observeService(
    clusterArn: string,
    service: string,
    sweep: { listed: readonly string[]; described: readonly Task[]; listedAt: number },
  ): string[] {
    return observeService(this.#cluster(clusterArn), service, sweep, this.#now(), this.#limits);
  }

  /** Live tasks short of RUNNING, not written nor rechecked since `before`; marked rechecked now (see versions.ts). */
  takeStuckTasks(clusterArn: string, before: number): string[] {
    const cluster = this.#clusters.get(clusterArn);
    return cluster === undefined ? [] : takeStuckTasks(cluster, before, this.#now());
  }

  /** Store time the last poll of a cluster began; undefined before the first. */
  polledAt(clusterArn: string): number | undefined {
    return this.#clusters.get(clusterArn)?.polledAt;
  }

  /** clusterArns with state, sorted. */
  clusterArns(): string[] {
    return [...this.#clusters.keys()].sort();
  }

  /** Forgets a cluster (deleted, or no longer selected). */
  dropCluster(clusterArn: string): void {
    this.#clusters.delete(clusterArn);
  }

  #cluster(clusterArn: string): ClusterState {
    let state = this.#clusters.get(clusterArn);
    if (!state) {
      state = newClusterState();
      this.#clusters.set(clusterArn, state);
    }
    return state;
  }

  #applyTask(cluster: ClusterState, event: TaskStateChange): ApplyResult {
    const before = cluster.tasks.live.get(event.taskArn)?.phase;
    const result = this.#applyVersioned(
      cluster.tasks,
      event,
      event.taskArn,
      event.task,
      isTaskGone(event.task),
    );
    const after = cluster.tasks.live.get(event.taskArn);
    if (after !== undefined && result.change === 'upsert') {
      after.phase = phaseOf(event.task);
      after.service = serviceOf(event.task);
    }
    cluster.counts.move(before, after?.phase, this.#now());
    return result;
  }

  #applyInstance(cluster: ClusterState, event: ContainerInstanceStateChange): ApplyResult {
    return this.#applyVersioned(
      cluster.containerInstances,
      event,
      event.containerInstanceArn,
      event.containerInstance,
      isContainerInstanceGone(event.containerInstance),
    );
  }

  #applyVersioned<T>(
    state: Versioned<T>,
    event: EcsEvent,
    arn: string,
    value: T,
    gone: boolean,
  ): ApplyResult {
    const now = this.#now();
    const live = state.live.get(arn);
    const tomb = live ? undefined : this.#tombstone(state, arn);
    const knownVersion = live?.version ?? tomb?.version;
    const base = { kind: event.kind, clusterArn: event.clusterArn, arn, version: event.version };
    const known = knownVersion === undefined ? {} : { knownVersion };
    if (knownVersion !== undefined && event.version <= knownVersion) {
      return { ...base, ...known, change: 'stale' };
    }
    if (gone) {
      state.live.delete(arn);
      this.#bury(state, arn, event.version, now);
      return { ...base, ...known, change: 'remove' };
    }
    state.tombstones.delete(arn);
    state.live.set(arn, { value, version: event.version, at: now });
    return { ...base, ...known, change: 'upsert' };
  }

  #tombstone(state: Versioned<unknown>, arn: string): Tombstone | undefined {
    return tombstoneOf(state, arn, this.#now(), this.#ttlMs);
  }

  #bury(state: Versioned<unknown>, arn: string, version: number, now: number): void {
    bury(state, arn, version, now, this.#limits);
  }

  #take<T>(state: Versioned<T> | undefined, arns: Iterable<string>): Pending<T> {
    const pending: Pending<T> = { upserts: [], removals: [] };
    if (state === undefined) return pending;
    for (const arn of new Set(arns)) {
      const live = state.live.get(arn);
      if (live === undefined) {
        if (this.#tombstone(state, arn) !== undefined) pending.removals.push(arn);
      } else if (live.value !== undefined) {
        pending.upserts.push(live.value);
        delete live.value;
      }
    }
    return pending;
  }
}

function arnOf(event: EcsEvent): string {
  return event.kind === 'task' ? event.taskArn : event.containerInstanceArn;
}
