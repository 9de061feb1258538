/** Every SkipReason as a runtime list, e.g. to initialise `ecs_sd_skipped_tasks{reason}` at zero. */
import type { SkipReason } from './types.ts';

/** All skip reasons; the type below fails to compile when types.ts gains a reason this list lacks. */
export const SKIP_REASONS = [
  'task-not-running',
  'task-missing-fields',
  'task-definition-missing',
  'no-container-opted-in',
  'container-not-running',
  'port-not-a-number',
  'port-missing',
  'invalid-endpoint',
  'invalid-label-value',
  'invalid-env-value',
  'binding-not-assigned-yet',
  'container-instance-missing',
  'host-missing',
  'no-address',
  'network-mode-none',
  'unknown-network-mode',
] as const satisfies readonly SkipReason[];

/** Compile-time proof that SKIP_REASONS names every SkipReason. */
export type SkipReasonsAreComplete = [Exclude<SkipReason, (typeof SKIP_REASONS)[number]>] extends [never]
  ? true
  : never;
const complete: SkipReasonsAreComplete = true;
void complete;
