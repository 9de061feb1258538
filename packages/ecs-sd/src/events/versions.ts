/**
 * The versions a TaskStore keeps per cluster, and the operations on them that need no store: the
 * tombstones of stopped tasks, each service's counts, and the sweep of one service. Pure.
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import { CountHistory, phaseOf, type TaskPhase } from './count-history.ts';

const PAST_RUNNING: ReadonlySet<string> = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);

/** True when a task is gone for discovery: STOPPED, or being stopped and past RUNNING. */
export function isTaskGone(task: Pick<Task, 'lastStatus' | 'desiredStatus'>): boolean {
  return (
    task.lastStatus === 'STOPPED' ||
    (task.desiredStatus === 'STOPPED' && task.lastStatus !== undefined && PAST_RUNNING.has(task.lastStatus))
  );
}

/** How long and how many tombstones are kept. */
export interface TombstoneLimits {
  ttlMs: number;
  maxTombstones: number;
}

export interface Entry<T> {
  version: number;
  /** Store time of the last write. */
  at: number;
  /** The event's copy, until `take` hands it out; absent when the version came from a poll. */
  value?: T;
  /** Where a task stands for the cluster's counts (tasks only). */
  phase?: TaskPhase;
  /** The service that started the task (`group` "service:NAME"), if any (tasks only). */
  service?: string | undefined;
  /** Store time the task was last described again because it stayed short of RUNNING (tasks only). */
  recheckedAt?: number;
}

/** The service of a task copy, from its `group` ("service:NAME"); undefined for a standalone task. */
export function serviceOf(task: Pick<Task, 'group'>): string | undefined {
  return task.group?.startsWith('service:') === true ? task.group.slice('service:'.length) : undefined;
}

export interface Tombstone {
  version: number;
  at: number;
}

export interface Versioned<T> {
  live: Map<string, Entry<T>>;
  tombstones: Map<string, Tombstone>;
}

export interface ClusterState {
  tasks: Versioned<Task>;
  containerInstances: Versioned<ContainerInstance>;
  /** RUNNING and PENDING counts of the live tasks, and their history. */
  counts: CountHistory;
  /** Store time the last poll of the cluster began; undefined before the first. */
  polledAt?: number;
}

/** A cluster with no versions yet. */
export function newClusterState(): ClusterState {
  return {
    tasks: { live: new Map(), tombstones: new Map() },
    containerInstances: { live: new Map(), tombstones: new Map() },
    counts: new CountHistory(),
  };
}

/** A polled item's version; DescribeTasks always gives one, 0 when absent. */
export function versionOf(value: unknown): number {
  const version = (value as { version?: unknown }).version;
  return typeof version === 'number' && Number.isFinite(version) ? version : 0;
}

export function tombstoneOf(
  state: Versioned<unknown>,
  arn: string,
  now: number,
  ttlMs: number,
): Tombstone | undefined {
  const tomb = state.tombstones.get(arn);
  if (tomb === undefined) return undefined;
  if (now - tomb.at >= ttlMs) {
    state.tombstones.delete(arn);
    return undefined;
  }
  return tomb;
}

export function bury(
  state: Versioned<unknown>,
  arn: string,
  version: number,
  now: number,
  limits: TombstoneLimits,
): void {
  const previous = state.tombstones.get(arn);
  state.tombstones.delete(arn);
  state.tombstones.set(arn, { version: Math.max(version, previous?.version ?? version), at: now });
  // Map keeps insertion order: the first entries are the oldest.
  for (const [key, tomb] of state.tombstones) {
    if (state.tombstones.size <= limits.maxTombstones && now - tomb.at < limits.ttlMs) break;
    state.tombstones.delete(key);
  }
}

/** Each service's believed RUNNING and PENDING counts in a cluster, by service name. */
export function serviceCounts(cluster: ClusterState): Map<string, { running: number; pending: number }> {
  const out = new Map<string, { running: number; pending: number }>();
  for (const entry of cluster.tasks.live.values()) {
    if (entry.service === undefined) continue;
    const counts = out.get(entry.service) ?? { running: 0, pending: 0 };
    if (entry.phase === 'running') counts.running++;
    else if (entry.phase === 'pending') counts.pending++;
    out.set(entry.service, counts);
  }
  return out;
}

/**
 * Live tasks short of RUNNING (pending, or stopping before they ran) neither written nor described
 * again since `before`: their RUNNING or STOPPED event may have been lost. Each is marked as
 * described again at `now`, so that it is stuck again only after another bound. Sorted.
 */
export function takeStuckTasks(cluster: ClusterState, before: number, now: number): string[] {
  const out: string[] = [];
  for (const [arn, entry] of cluster.tasks.live) {
    if (entry.phase === 'running' || Math.max(entry.at, entry.recheckedAt ?? entry.at) >= before) continue;
    entry.recheckedAt = now;
    out.push(arn);
  }
  return out.sort();
}

/** The sweep of one service into a cluster's versions (TaskStore.observeService). */
export function observeService(
  cluster: ClusterState,
  service: string,
  sweep: { listed: readonly string[]; described: readonly Task[]; listedAt: number },
  now: number,
  limits: TombstoneLimits,
): string[] {
  const seen = new Set(sweep.listed);
  const changed: string[] = [];
  for (const [arn, entry] of cluster.tasks.live) {
    // Written after the list began: the list may have been made before this task existed.
    if (entry.service !== service || seen.has(arn) || entry.at >= sweep.listedAt) continue;
    cluster.tasks.live.delete(arn);
    cluster.counts.move(entry.phase, undefined, now);
    bury(cluster.tasks, arn, entry.version, now, limits);
    changed.push(arn);
  }
  for (const task of sweep.described) {
    const arn = task.taskArn;
    if (arn === undefined || isTaskGone(task) || cluster.tasks.live.has(arn)) continue;
    if (tombstoneOf(cluster.tasks, arn, now, limits.ttlMs) !== undefined) continue;
    const phase = phaseOf(task);
    cluster.tasks.live.set(arn, {
      value: task,
      version: versionOf(task),
      at: now,
      phase,
      service: serviceOf(task),
    });
    cluster.counts.move(undefined, phase, now);
    changed.push(arn);
  }
  return changed;
}
