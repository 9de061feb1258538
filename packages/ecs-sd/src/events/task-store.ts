/**
 * The tasks and container instances of each selected cluster as events and polls reported them,
 * with the `version` of each. Pure and deterministic: the clock is injected, nothing does I/O.
 *
 * EventBridge delivers at least once and not always in order, so an event only wins over what is
 * known when its `version` is higher; a stopped task leaves a tombstone (its last version, bounded
 * in number and expiring) so that a late, older RUNNING event cannot bring it back. A polled
 * snapshot replaces a cluster's set but keeps what events reported after the poll began.
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import type { ContainerInstanceStateChange, EcsEvent, TaskStateChange } from './parse.ts';

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
  /** True when the set of live entries changed, so outputs may change. */
  changed: boolean;
}

/** The result of `reconcile`: how the polled snapshot and the event-fed state were merged. */
export interface ReconcileResult {
  clusterArn: string;
  /** In the poll, not known before. */
  added: number;
  /** Known before, replaced by the poll's newer version (an equal version is replaced silently: it adds tags). */
  updated: number;
  /** Known before, absent from the poll (or stopped in it) and not touched by an event since the poll began. */
  removed: number;
  /** An event newer than the poll won: the event's version was kept. */
  keptNewer: number;
  /** The poll listed a task that a newer or equal tombstone says is stopped. */
  keptStopped: number;
  /** True when the set of live entries changed. */
  changed: boolean;
}

/** Options of `TaskStore`. */
export interface TaskStoreOptions {
  /** True for clusters whose events are applied; others are `ignored-cluster`. @default every cluster */
  selected?: (clusterArn: string) => boolean;
  /** How long a stopped task's version is remembered. @default 3_600_000 (ECS shows STOPPED tasks for about an hour) */
  tombstoneTtlMs?: number;
  /** At most this many tombstones per cluster and kind; the oldest go first. @default 10_000 */
  maxTombstones?: number;
  /** Milliseconds clock (store time for tombstone expiry and reconcile races). @default Date.now */
  now?: () => number;
}

interface Entry<T> {
  value: T;
  version: number;
  /** Store time of the last write. */
  at: number;
}

interface Tombstone {
  version: number;
  at: number;
}

interface Versioned<T> {
  live: Map<string, Entry<T>>;
  tombstones: Map<string, Tombstone>;
}

interface ClusterState {
  tasks: Versioned<Task>;
  containerInstances: Versioned<ContainerInstance>;
}

/** lastStatus values after RUNNING (ECS task lifecycle). */
const PAST_RUNNING: ReadonlySet<string> = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);

/** True when a task is gone for discovery: STOPPED, or being stopped and past RUNNING. */
export function isTaskGone(task: Pick<Task, 'lastStatus' | 'desiredStatus'>): boolean {
  return (
    task.lastStatus === 'STOPPED' ||
    (task.desiredStatus === 'STOPPED' && task.lastStatus !== undefined && PAST_RUNNING.has(task.lastStatus))
  );
}

/** True when a container instance has left its cluster (deregistered: status INACTIVE). */
export function isContainerInstanceGone(ci: Pick<ContainerInstance, 'status'>): boolean {
  return ci.status === 'INACTIVE';
}

/** Options of `reconcile`. */
export interface ReconcileOptions {
  /** Store time at which the poll began (before its first List call); later event writes win over it. */
  polledAt: number;
}

/** Per-cluster versioned state of tasks and container instances, fed by events and healed by polls. */
export class TaskStore {
  readonly #clusters = new Map<string, ClusterState>();
  readonly #selected: (clusterArn: string) => boolean;
  readonly #ttlMs: number;
  readonly #maxTombstones: number;
  readonly #now: () => number;

  constructor(options: TaskStoreOptions = {}) {
    this.#selected = options.selected ?? (() => true);
    this.#ttlMs = options.tombstoneTtlMs ?? 3_600_000;
    this.#maxTombstones = options.maxTombstones ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Applies one event: upsert or remove when its version is newer than anything known, else `stale`. */
  apply(event: EcsEvent): ApplyResult {
    if (!this.#selected(event.clusterArn)) {
      return {
        change: 'ignored-cluster',
        kind: event.kind,
        clusterArn: event.clusterArn,
        arn: arnOf(event),
        version: event.version,
        changed: false,
      };
    }
    const cluster = this.#cluster(event.clusterArn);
    return event.kind === 'task' ? this.#applyTask(cluster, event) : this.#applyInstance(cluster, event);
  }

  /** Replaces a cluster's tasks with a polled snapshot (any lastStatus), keeping newer event versions. */
  reconcile(clusterArn: string, tasks: readonly Task[], options: ReconcileOptions): ReconcileResult {
    return this.#reconcile(clusterArn, this.#cluster(clusterArn).tasks, tasks, options, {
      arn: (t: Task) => t.taskArn,
      gone: isTaskGone,
    });
  }

  /** Replaces a cluster's container instances with a polled snapshot, keeping newer event versions. */
  reconcileContainerInstances(
    clusterArn: string,
    containerInstances: readonly ContainerInstance[],
    options: ReconcileOptions,
  ): ReconcileResult {
    return this.#reconcile(
      clusterArn,
      this.#cluster(clusterArn).containerInstances,
      containerInstances,
      options,
      { arn: (c: ContainerInstance) => c.containerInstanceArn, gone: isContainerInstanceGone },
    );
  }

  /** The live tasks of a cluster (never a stopped one), sorted by taskArn. */
  tasks(clusterArn: string): Task[] {
    return values(this.#clusters.get(clusterArn)?.tasks);
  }

  /** The live container instances of a cluster, sorted by containerInstanceArn. */
  containerInstances(clusterArn: string): ContainerInstance[] {
    return values(this.#clusters.get(clusterArn)?.containerInstances);
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

  /** clusterArns with state, sorted. */
  clusterArns(): string[] {
    return [...this.#clusters.keys()].sort();
  }

  /** Forgets a cluster (deleted, or no longer selected). */
  dropCluster(clusterArn: string): void {
    this.#clusters.delete(clusterArn);
  }

  /** taskDefinitionArns and containerInstanceArns that live tasks of a cluster refer to and `known` lacks. */
  unresolved(
    clusterArn: string,
    known: { taskDefinition(arn: string): boolean; containerInstance(arn: string): boolean },
  ): { taskDefinitionArns: string[]; containerInstanceArns: string[] } {
    const tds = new Set<string>();
    const cis = new Set<string>();
    const liveCis = this.#clusters.get(clusterArn)?.containerInstances.live;
    for (const task of this.tasks(clusterArn)) {
      if (task.taskDefinitionArn && !known.taskDefinition(task.taskDefinitionArn))
        tds.add(task.taskDefinitionArn);
      const ci = task.containerInstanceArn;
      if (ci && !liveCis?.has(ci) && !known.containerInstance(ci)) cis.add(ci);
    }
    return { taskDefinitionArns: [...tds].sort(), containerInstanceArns: [...cis].sort() };
  }

  #cluster(clusterArn: string): ClusterState {
    let state = this.#clusters.get(clusterArn);
    if (!state) {
      state = {
        tasks: { live: new Map(), tombstones: new Map() },
        containerInstances: { live: new Map(), tombstones: new Map() },
      };
      this.#clusters.set(clusterArn, state);
    }
    return state;
  }

  #applyTask(cluster: ClusterState, event: TaskStateChange): ApplyResult {
    return this.#applyVersioned(
      cluster.tasks,
      event,
      event.taskArn,
      event.task,
      isTaskGone(event.task),
      (next, prev) =>
        // Events carry no tags; keep the ones a poll read (tags change without a new task version).
        next.tags === undefined && prev?.tags !== undefined ? { ...next, tags: prev.tags } : next,
    );
  }

  #applyInstance(cluster: ClusterState, event: ContainerInstanceStateChange): ApplyResult {
    return this.#applyVersioned(
      cluster.containerInstances,
      event,
      event.containerInstanceArn,
      event.containerInstance,
      isContainerInstanceGone(event.containerInstance),
      (next, prev) =>
        next.tags === undefined && prev?.tags !== undefined ? { ...next, tags: prev.tags } : next,
    );
  }

  #applyVersioned<T>(
    state: Versioned<T>,
    event: EcsEvent,
    arn: string,
    value: T,
    gone: boolean,
    merge: (next: T, prev: T | undefined) => T,
  ): ApplyResult {
    const now = this.#now();
    const live = state.live.get(arn);
    const tomb = live ? undefined : this.#tombstone(state, arn);
    const knownVersion = live?.version ?? tomb?.version;
    const base = { kind: event.kind, clusterArn: event.clusterArn, arn, version: event.version };
    const known = knownVersion === undefined ? {} : { knownVersion };
    if (knownVersion !== undefined && event.version <= knownVersion) {
      return { ...base, ...known, change: 'stale', changed: false };
    }
    if (gone) {
      state.live.delete(arn);
      this.#bury(state, arn, event.version, now);
      return { ...base, ...known, change: 'remove', changed: live !== undefined };
    }
    state.tombstones.delete(arn);
    state.live.set(arn, { value: merge(value, live?.value), version: event.version, at: now });
    return { ...base, ...known, change: 'upsert', changed: true };
  }

  #reconcile<T>(
    clusterArn: string,
    state: Versioned<T>,
    polled: readonly T[],
    options: ReconcileOptions,
    how: { arn(value: T): string | undefined; gone(value: T): boolean },
  ): ReconcileResult {
    const now = this.#now();
    const result: ReconcileResult = {
      clusterArn,
      added: 0,
      updated: 0,
      removed: 0,
      keptNewer: 0,
      keptStopped: 0,
      changed: false,
    };
    const seen = new Set<string>();
    for (const value of polled) {
      const arn = how.arn(value);
      if (arn === undefined || arn === '' || seen.has(arn)) continue;
      seen.add(arn);
      const version = versionOf(value);
      const live = state.live.get(arn);
      if (live && live.version > version) {
        result.keptNewer++;
        continue;
      }
      const tomb = live ? undefined : this.#tombstone(state, arn);
      if (tomb && tomb.version >= version) {
        result.keptStopped++;
        continue;
      }
      if (how.gone(value)) {
        if (live) {
          state.live.delete(arn);
          result.removed++;
        }
        this.#bury(state, arn, version, now);
        continue;
      }
      state.tombstones.delete(arn);
      // On an equal version the poll's copy still replaces the event's: it carries tags, events do not.
      state.live.set(arn, { value, version, at: live && live.version === version ? live.at : now });
      if (!live) result.added++;
      else if (live.version < version) result.updated++;
    }
    for (const [arn, entry] of state.live) {
      if (seen.has(arn)) continue;
      // Written after the poll began: the poll may have listed the cluster before this task existed.
      if (entry.at >= options.polledAt) {
        result.keptNewer++;
        continue;
      }
      state.live.delete(arn);
      this.#bury(state, arn, entry.version, now);
      result.removed++;
    }
    result.changed = result.added + result.updated + result.removed > 0;
    return result;
  }

  #tombstone(state: Versioned<unknown>, arn: string): Tombstone | undefined {
    const tomb = state.tombstones.get(arn);
    if (tomb === undefined) return undefined;
    if (this.#now() - tomb.at >= this.#ttlMs) {
      state.tombstones.delete(arn);
      return undefined;
    }
    return tomb;
  }

  #bury(state: Versioned<unknown>, arn: string, version: number, now: number): void {
    const previous = state.tombstones.get(arn);
    state.tombstones.delete(arn);
    state.tombstones.set(arn, { version: Math.max(version, previous?.version ?? version), at: now });
    // Map keeps insertion order: the first entries are the oldest.
    for (const [key, tomb] of state.tombstones) {
      if (state.tombstones.size <= this.#maxTombstones && now - tomb.at < this.#ttlMs) break;
      state.tombstones.delete(key);
    }
  }
}

function arnOf(event: EcsEvent): string {
  return event.kind === 'task' ? event.taskArn : event.containerInstanceArn;
}

/** A polled item's version; DescribeTasks and DescribeContainerInstances always give one, 0 when absent. */
function versionOf(value: unknown): number {
  const version = (value as { version?: unknown }).version;
  return typeof version === 'number' && Number.isFinite(version) ? version : 0;
}

function values<T>(state: Versioned<T> | undefined): T[] {
  if (state === undefined) return [];
  return [...state.live.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e.value);
}
