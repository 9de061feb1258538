/**
 * The targeted sweep of event mode's count check: when a cluster's counts disagree, the
 * DescribeServices counts of its services (10 per call) tell which services drifted, and only their
 * tasks are listed (ListTasks --service-name), the unknown ones described; what changed is applied
 * as events are. A drift outside every service (a standalone task) falls back to sweeping the cluster.
 */
import type { Task } from '@aws-sdk/client-ecs';
import type { TaskStateChange } from '../events/parse.ts';
import type { TaskStore } from '../events/task-store.ts';
import { versionOf } from '../events/versions.ts';
import type { ReportedCounts } from './count-check.ts';

/** The ECS reads of a service sweep, bound to a source's clients. */
export interface ServiceReads {
  /** DescribeServices counts of these services of a cluster, by serviceName. */
  serviceCounts(
    clusterArn: string,
    services: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, ReportedCounts>>;
  /** ListTasks --service-name (desiredStatus RUNNING). */
  listServiceTasks(clusterArn: string, service: string, signal: AbortSignal): Promise<string[]>;
  /** DescribeTasks (with tags) of exactly these tasks. */
  describeTasks(clusterArn: string, taskArns: readonly string[], signal: AbortSignal): Promise<Task[]>;
}

/** The services whose reported counts differ from the believed ones (a service ECS did not report is left out), sorted. */
export function servicesDisagreeing(
  reported: ReadonlyMap<string, ReportedCounts>,
  believed: ReadonlyMap<string, ReportedCounts>,
): string[] {
  const out: string[] = [];
  for (const [service, counts] of reported) {
    const mine = believed.get(service) ?? { running: 0, pending: 0 };
    if (mine.running !== counts.running || mine.pending !== counts.pending) out.push(service);
  }
  return out.sort();
}

/**
 * Lists the tasks of these services, describes those the store does not know, and records the
 * sweep in the store; returns the task ARNs that changed (to apply as events).
 */
export async function sweepServiceTasks(
  reads: ServiceReads,
  store: TaskStore,
  clusterArn: string,
  services: readonly string[],
  now: () => number,
  signal: AbortSignal,
): Promise<string[]> {
  const changed: string[] = [];
  for (const service of services) {
    const listedAt = now();
    const listed = await reads.listServiceTasks(clusterArn, service, signal);
    const unknown = listed.filter((arn) => store.taskVersion(clusterArn, arn) === undefined);
    const described = unknown.length === 0 ? [] : await reads.describeTasks(clusterArn, unknown, signal);
    changed.push(...store.observeService(clusterArn, service, { listed, described, listedAt }));
  }
  return changed;
}

/**
 * Describes these known tasks again and applies each copy to the store as its event would be (a
 * newer version wins, a stopped one is removed); returns the task ARNs that changed. A task ECS
 * no longer describes is left to the count check and the sweeps.
 */
export async function recheckTasks(
  reads: Pick<ServiceReads, 'describeTasks'>,
  store: TaskStore,
  clusterArn: string,
  taskArns: readonly string[],
  signal: AbortSignal,
): Promise<string[]> {
  const described = await reads.describeTasks(clusterArn, taskArns, signal);
  const changed: string[] = [];
  for (const task of described) {
    const taskArn = task.taskArn;
    if (taskArn === undefined || taskArn === '') continue;
    const result = store.apply(describedAsEvent(clusterArn, taskArn, task));
    if (result.change === 'upsert' || result.change === 'remove') changed.push(taskArn);
  }
  return changed;
}

function describedAsEvent(clusterArn: string, taskArn: string, task: Task): TaskStateChange {
  const version = versionOf(task);
  return {
    kind: 'task',
    id: `describe:${taskArn}:${version}`,
    time: undefined,
    account: undefined,
    region: undefined,
    clusterArn,
    version,
    updatedAt: undefined,
    viaSns: false,
    taskArn,
    task,
  };
}
