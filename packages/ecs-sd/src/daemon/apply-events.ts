/**
 * Applies the events of one cluster to the discovery state without polling: the tasks events
 * changed are decided from the events' own copies (task definitions, container instances and hosts
 * from the caches, fetched only when missing), the tasks events stopped are dropped, and every
 * other decision of the cluster stands. A cluster no poll has read yet is left to a poll.
 */
import type { Task } from '@aws-sdk/client-ecs';
import type { Logger } from 'pino';
import type { SourceFetcher } from '../aws/fetcher.ts';
import { discoverCluster, isFinal } from '../discovery/index.ts';
import type { DiscoveryOptions, TaskDecision } from '../discovery/types.ts';
import type { TaskStore } from '../events/task-store.ts';
import type { DiscoveryState } from './state.ts';

/** ARNs that events changed in one cluster since its last apply. */
export interface ClusterChanges {
  taskArns: Set<string>;
  containerInstanceArns: Set<string>;
}

/** What applying one cluster's events did. */
export type ClusterEventsOutcome =
  /** The state was updated (or nothing visible changed): `upserts` tasks decided, `removals` dropped. */
  | { kind: 'applied'; upserts: number; removals: number }
  /** No poll has read the cluster yet (or its description was dropped): poll it instead. */
  | { kind: 'needs-poll' }
  /** Reading a missing task definition, container instance or host failed: poll it instead. */
  | { kind: 'failed'; error: unknown };

/** What applying events to a cluster needs. */
export interface ApplyEventsContext {
  fetcher: SourceFetcher;
  store: TaskStore;
  state: DiscoveryState;
  options: DiscoveryOptions;
  log: Logger;
  /** DescribeTasks (with tags) for tasks an event announces for the first time (`events.describe_new_tasks`). */
  describeNewTasks: boolean;
  /** Aborts the AWS calls of the apply (its deadline, the daemon stopping). */
  signal?: AbortSignal;
}

function compareArn(a: TaskDecision, b: TaskDecision): number {
  return a.taskArn < b.taskArn ? -1 : a.taskArn > b.taskArn ? 1 : 0;
}

/**
 * Applies the pending events of one cluster to the state; never throws: anything that fails, data
 * from an event included, is `failed`, and the owner polls the cluster instead.
 */
export async function applyClusterEvents(
  context: ApplyEventsContext,
  clusterArn: string,
  changes: ClusterChanges,
): Promise<ClusterEventsOutcome> {
  try {
    return await applyUnchecked(context, clusterArn, changes);
  } catch (error) {
    return { kind: 'failed', error };
  }
}

async function applyUnchecked(
  context: ApplyEventsContext,
  clusterArn: string,
  changes: ClusterChanges,
): Promise<ClusterEventsOutcome> {
  const { fetcher, store, state } = context;
  const source = fetcher.source.name;
  const entry = state.entry(source, clusterArn);
  const cluster = fetcher.clusterRef(clusterArn);
  if (entry === undefined || cluster === undefined) return { kind: 'needs-poll' };

  const instances = store.takeContainerInstances(clusterArn, changes.containerInstanceArns);
  for (const instance of instances.upserts) fetcher.applyContainerInstance(clusterArn, instance);
  for (const arn of instances.removals) fetcher.applyContainerInstance(clusterArn, arn);

  const pending = store.takeTasks(clusterArn, changes.taskArns);
  const removed = new Set(pending.removals);
  const running: Task[] = [];
  for (const task of pending.upserts) {
    // A poll lists desiredStatus RUNNING only: a task being stopped leaves the targets now, as it would there.
    if (task.desiredStatus === 'STOPPED') removed.add(task.taskArn!);
    else running.push(task);
  }
  if (running.length === 0 && removed.size === 0) return { kind: 'applied', upserts: 0, removals: 0 };

  let decided: TaskDecision[] = [];
  /** The copies the decisions were made from (with the tags a poll or DescribeTasks read). */
  let copies: readonly Task[] = [];
  if (running.length > 0) {
    try {
      const tasks = context.describeNewTasks
        ? await withNewTasksDescribed(fetcher, clusterArn, running, context.signal)
        : running;
      const snapshot = await fetcher.eventSnapshot(cluster, tasks, context.signal);
      decided = discoverCluster(snapshot, context.options).decisions;
      copies = snapshot.tasks;
    } catch (error) {
      return { kind: 'failed', error };
    }
  }
  const changed = new Set([...removed, ...decided.map((decision) => decision.taskArn)]);
  const decisions = [
    ...entry.decisions.filter((decision) => !changed.has(decision.taskArn)),
    ...decided,
  ].sort(compareArn);
  // A final decision's copy stands for the task until it changes (a poll does not describe it again);
  // any other is described by the next poll.
  const byArn = new Map(copies.map((task) => [task.taskArn, task]));
  const final = decided.filter((decision) => isFinal(decision));
  fetcher.rememberTasks(
    clusterArn,
    final.flatMap((decision) => byArn.get(decision.taskArn) ?? []),
  );
  fetcher.forgetTasks(clusterArn, [
    ...removed,
    ...decided.filter((decision) => !isFinal(decision)).map((decision) => decision.taskArn),
  ]);
  state.update({
    source,
    clusterArn,
    clusterName: entry.clusterName,
    clusterTags: entry.clusterTags,
    targets: decisions.flatMap((decision) => decision.containers.flatMap((container) => container.targets)),
    decisions,
    // The event path read no task list: the cluster's last successful poll stays its last success.
    lastSuccessMs: entry.lastSuccessMs,
  });
  if (entry.stale) state.markStale(source, clusterArn);
  context.log.debug(
    { source, cluster: entry.clusterName, upserts: decided.length, removals: removed.size },
    'events applied',
  );
  return { kind: 'applied', upserts: decided.length, removals: removed.size };
}

/**
 * The tasks with those no poll or event apply has seen replaced by DescribeTasks copies (which carry
 * tags); a described copy older than the event's keeps the event's state and takes only the tags.
 */
async function withNewTasksDescribed(
  fetcher: SourceFetcher,
  clusterArn: string,
  tasks: readonly Task[],
  signal: AbortSignal | undefined,
): Promise<Task[]> {
  // Only RUNNING tasks can become targets: a PENDING one is described when its RUNNING event comes.
  const unknown = tasks.filter(
    (task) => task.lastStatus === 'RUNNING' && !fetcher.knowsTask(clusterArn, task.taskArn!),
  );
  if (unknown.length === 0) return [...tasks];
  const described = new Map(
    (
      await fetcher.describeTasks(
        clusterArn,
        unknown.map((task) => task.taskArn!),
        signal,
      )
    ).map((task) => [task.taskArn, task]),
  );
  return tasks.map((task) => {
    const copy = described.get(task.taskArn);
    if (copy === undefined) return task;
    return (copy.version ?? 0) >= (task.version ?? 0) ? copy : { ...task, tags: copy.tags ?? [] };
  });
}
