/**
 * What a poll describes again. From a cluster's last decisions and the task ARNs ListTasks returned
 * now: which tasks to describe, which last decisions stand, and which tasks left. Pure: no I/O, and
 * the time comes in. The fetcher describes exactly the ARNs this names.
 *
 * A decision is final when describing the task again cannot change it: the task is RUNNING, its
 * decision is complete (`incomplete` false: no binding, address or host still to come), and its
 * description was whole (no `task-missing-fields`: DescribeTasks left out fields a RUNNING task
 * always has, so the next answer may have them). A final decision stands while the task is listed,
 * unless `rereadAfterMs` asks for a fresh description (healthStatus and tags can change in place).
 */
import type { TaskDecision } from './types.ts';

/** True when describing the task again cannot change its decision: RUNNING, complete and read whole. */
export function isFinal(decision: TaskDecision): boolean {
  return (
    decision.lastStatus === 'RUNNING' &&
    !decision.incomplete &&
    decision.skip?.reason !== 'task-missing-fields'
  );
}

/** What `planDescribe` decides from. */
export interface DescribePlanInput {
  /** Task ARNs ListTasks returned now (desiredStatus RUNNING). */
  listed: readonly string[];
  /** The cluster's last decisions; empty before its first read. */
  decisions: readonly TaskDecision[];
  /** When a task was last described (by a poll, or an event's copy); undefined when the fetcher no longer holds it. */
  describedAt: (taskArn: string) => number | undefined;
  /** Now, on the clock of `describedAt`. */
  now: number;
  /** Describe a final task again once its description is this old (`task_reread_interval`); undefined: never. */
  rereadAfterMs?: number | undefined;
  /** Every task is described: the cluster's tags differ from those of the last decisions (every target's labels change), or a reload changed how tasks are decided. */
  describeAll: boolean;
}

/** Which listed tasks to describe and which last decisions stand. */
export interface DescribePlan {
  /** Listed tasks to describe: new, not final, no longer held by the fetcher, due for a re-read, or all of them when `describeAll`. */
  describe: string[];
  /** Listed tasks whose last decision stands. */
  keep: string[];
  /** Tasks of the last decisions that are no longer listed: they stopped. */
  drop: string[];
  /** Nothing to describe and nothing dropped: the last decisions stand as they are. */
  unchanged: boolean;
}

/** Plans a poll of one cluster: describe / keep / drop, each listed task once, in listing order. */
export function planDescribe(input: DescribePlanInput): DescribePlan {
  const last = new Map(input.decisions.map((decision) => [decision.taskArn, decision]));
  const listed = new Set<string>();
  const describe: string[] = [];
  const keep: string[] = [];
  for (const arn of input.listed) {
    if (listed.has(arn)) continue;
    listed.add(arn);
    const decision = last.get(arn);
    const at = input.describedAt(arn);
    const due =
      at === undefined || (input.rereadAfterMs !== undefined && input.now - at >= input.rereadAfterMs);
    if (input.describeAll || decision === undefined || !isFinal(decision) || due) describe.push(arn);
    else keep.push(arn);
  }
  const drop = input.decisions.filter((decision) => !listed.has(decision.taskArn)).map((d) => d.taskArn);
  return { describe, keep, drop, unchanged: describe.length === 0 && drop.length === 0 };
}
