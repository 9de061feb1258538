/** Every SkipReason and BoundReason as a runtime list, e.g. to initialise `ecs_sd_skipped_tasks{reason}` at zero. */
import type { BoundReason, SkipReason } from './types.ts';

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
  'invalid-address',
  'too-many-endpoints',
  'too-many-targets',
  'target-too-large',
] as const satisfies readonly SkipReason[];

/** Compile-time proof that SKIP_REASONS names every SkipReason. */
export type SkipReasonsAreComplete = [Exclude<SkipReason, (typeof SKIP_REASONS)[number]>] extends [never]
  ? true
  : never;
const complete: SkipReasonsAreComplete = true;
void complete;

/** All bound reasons; the type below fails to compile when types.ts gains a reason this list lacks. */
export const BOUND_REASONS = [
  'label-too-long',
  'too-many-labels',
  'labels-too-large',
] as const satisfies readonly BoundReason[];

/** Compile-time proof that BOUND_REASONS names every BoundReason. */
export type BoundReasonsAreComplete = [Exclude<BoundReason, (typeof BOUND_REASONS)[number]>] extends [never]
  ? true
  : never;
const boundComplete: BoundReasonsAreComplete = true;
void boundComplete;
