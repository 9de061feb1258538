import type { Cluster, Task } from './model.ts';

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
