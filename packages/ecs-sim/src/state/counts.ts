import type { Cluster, Task } from './model.ts';
import type { Change } from './world-core.ts';

/** Running and pending task counts as ECS reports them. */
export interface TaskCounts {
  /** lastStatus RUNNING. */
  running: number;
  /** On the way to RUNNING: desiredStatus RUNNING, not RUNNING yet (nor STOPPED). */
  pending: number;
}

/**
 * Counts of a service's or a container instance's tasks (DescribeServices `runningCount`/`pendingCount`,
 * DescribeContainerInstances `runningTasksCount`/`pendingTasksCount`), from the live model.
 */
export function taskCounts(tasks: Iterable<Task>): TaskCounts {
  let running = 0;
  let pending = 0;
  for (const t of tasks) {
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.desiredStatus === 'RUNNING') pending++;
  }
  return { running, pending };
}

/** The counts DescribeClusters reports, in its field names and order. */
export interface ClusterCounts {
  registeredContainerInstancesCount: number;
  runningTasksCount: number;
  pendingTasksCount: number;
  activeServicesCount: number;
}

/** A cluster's counts from the live model; an INACTIVE cluster counts nothing. */
export function clusterCounts(c: Cluster): ClusterCounts {
  let running = 0;
  let pending = 0;
  for (const t of c.tasks.values()) {
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED') pending++;
  }
  const active = c.status === 'ACTIVE';
  return {
    registeredContainerInstancesCount: active ? c.containerInstances.size : 0,
    runningTasksCount: active ? running : 0,
    pendingTasksCount: active ? pending : 0,
    activeServicesCount: active ? c.services.size : 0,
  };
}

/**
 * Counts as ECS's read API serves them: they follow the model with a lag. The ECS API reference
 * defines runningTasksCount as the tasks "in the RUNNING state" and pendingTasksCount as those "in
 * the PENDING state", registeredContainerInstancesCount as ACTIVE and DRAINING instances, and
 * publishes no freshness; ecs-sim serves, for a cluster or a service, the counts it had `lagMs` ago
 * (the last change at or before then). With `lagMs` 0 the counts are the live model's.
 */
export class LaggedCounts {
  lagMs: number;
  readonly #now: () => number;
  readonly #history = new WeakMap<object, { at: number; value: unknown }[]>();

  constructor(lagMs: number, now: () => number = Date.now) {
    this.lagMs = lagMs;
    this.#now = now;
  }

  /** Sets the lag, recording the counts of `clusters` and their services now as the base of later reads. */
  setLag(ms: number, clusters: Iterable<Cluster>): void {
    this.lagMs = ms;
    for (const cluster of clusters) {
      this.record(cluster, clusterCounts(cluster));
      for (const service of cluster.services.values()) this.record(service, taskCounts(service.tasks));
    }
  }

  /** Records the counts a change of a task or container instance moved (its cluster's, its service's). */
  observe(change: Change): void {
    if (this.lagMs <= 0) return;
    const cluster = change.kind === 'task' ? change.task.cluster : change.ci.cluster;
    this.record(cluster, clusterCounts(cluster));
    const service = change.kind === 'task' ? change.task.service : undefined;
    if (service !== undefined) this.record(service, taskCounts(service.tasks));
  }

  /** Records what `owner`'s counts are now (after a change of it, or as a base when the lag is set). */
  record(owner: object, value: unknown): void {
    if (this.lagMs <= 0) return;
    const now = this.#now();
    let history = this.#history.get(owner);
    if (history === undefined) {
      history = [];
      this.#history.set(owner, history);
    }
    history.push({ at: now, value });
    // Keep one entry at or before the cutoff: it is the value a read now would see.
    const cutoff = now - this.lagMs;
    let keepFrom = 0;
    for (let i = 0; i < history.length; i++) if (history[i]!.at <= cutoff) keepFrom = i;
    if (keepFrom > 0) history.splice(0, keepFrom);
  }

  /** `owner`'s counts as of `lagMs` ago; `current()` when nothing changed within the lag. */
  read<T>(owner: object, current: () => T): T {
    const history = this.#history.get(owner);
    if (this.lagMs <= 0 || history === undefined || history.length === 0) return current();
    const cutoff = this.#now() - this.lagMs;
    const last = history[history.length - 1]!;
    if (last.at <= cutoff) return current();
    let seen = history[0]!;
    for (const entry of history) if (entry.at <= cutoff) seen = entry;
    return seen.value as T;
  }
}
