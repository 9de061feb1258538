/**
 * How many of a cluster's tasks the events and polls say are RUNNING and PENDING, and how those
 * counts moved over the last minutes: what the count check compares with DescribeClusters'
 * `runningTasksCount` and `pendingTasksCount`, which trail changes by a lag. Pure.
 */
import type { Task } from '@aws-sdk/client-ecs';

/**
 * Where a task stands for the counts, as DescribeClusters counts it: `running` (lastStatus
 * RUNNING), `pending` (desired RUNNING, not yet RUNNING: PROVISIONING, PENDING, ACTIVATING), or
 * `other` (being stopped past RUNNING).
 */
export type TaskPhase = 'running' | 'pending' | 'other';

/** The phase of a task copy (an event's or DescribeTasks'). */
export function phaseOf(task: Pick<Task, 'lastStatus' | 'desiredStatus'>): TaskPhase {
  if (task.lastStatus === 'RUNNING') return 'running';
  if (task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED') return 'pending';
  return 'other';
}

/** A cluster's believed counts from a moment on (until the next sample). */
export interface CountSample {
  /** Store time the counts took these values. */
  at: number;
  running: number;
  pending: number;
}

/** How long the counts' history is kept by default: longer than the lag the check allows. */
export const COUNT_HISTORY_MS = 120_000;

/** The believed RUNNING and PENDING counts of one cluster, with their recent history. */
export class CountHistory {
  running = 0;
  pending = 0;
  readonly #keepMs: number;
  /** Oldest first; the first is in effect at the start of the kept window. */
  #samples: CountSample[] = [{ at: Number.NEGATIVE_INFINITY, running: 0, pending: 0 }];

  constructor(keepMs = COUNT_HISTORY_MS) {
    this.#keepMs = keepMs;
  }

  /** A task moved from one phase to another (undefined: not live). */
  move(from: TaskPhase | undefined, to: TaskPhase | undefined, at: number): void {
    const counted = (phase: TaskPhase | undefined) => phase === 'running' || phase === 'pending';
    if (from === to || (!counted(from) && !counted(to))) return;
    if (from === 'running') this.running--;
    else if (from === 'pending') this.pending--;
    if (to === 'running') this.running++;
    else if (to === 'pending') this.pending++;
    const last = this.#samples[this.#samples.length - 1]!;
    if (last.at === at) {
      last.running = this.running;
      last.pending = this.pending;
    } else this.#samples.push({ at, running: this.running, pending: this.pending });
    this.#trim(at);
  }

  /** The samples in effect at some time since `from` (the one in effect at `from` first), oldest first. */
  since(from: number): CountSample[] {
    let first = 0;
    for (let i = 0; i < this.#samples.length; i++) if (this.#samples[i]!.at <= from) first = i;
    return this.#samples.slice(first).map((sample) => ({ ...sample }));
  }

  #trim(now: number): void {
    const cutoff = now - this.#keepMs;
    let keepFrom = 0;
    for (let i = 0; i < this.#samples.length; i++) if (this.#samples[i]!.at <= cutoff) keepFrom = i;
    if (keepFrom > 0) this.#samples = this.#samples.slice(keepFrom);
  }
}
