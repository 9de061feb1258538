/** The one answer to "why did this task yield no target", for the `--once` summary and `ecs_sd_skipped_tasks`. Pure. */
import type { SkipReason } from './skip-reasons.ts';
import type { TaskDecision } from './types.ts';

/**
 * Why a task yields no target: its own skip, else (when no container has a target) the first
 * container skip, or `no-container-opted-in` when no container declared anything; undefined when
 * the task has targets.
 */
export function taskSkipReason(decision: TaskDecision): SkipReason | undefined {
  if (decision.skip !== undefined) return decision.skip.reason;
  if (decision.containers.some((container) => container.targets.length > 0)) return undefined;
  return decision.containers.flatMap((container) => container.skips)[0]?.reason ?? 'no-container-opted-in';
}
