/**
 * Why a task or container yields no target (`SkipReason`), and why labels were left out of targets
 * that are kept (`BoundReason`): each a runtime list, e.g. to initialise `ecs_sd_skipped_tasks{reason}`
 * at zero, with its type derived from the list. Stable strings: they are metric label values.
 */

/** Every reason a task or a container yields no target. */
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
] as const;

/** Why a task or a container yields no target. */
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Every reason labels were left out of a container's targets (docs/conventions.md "Limits"). */
export const BOUND_REASONS = ['label-too-long', 'too-many-labels', 'labels-too-large'] as const;

/** Why labels were left out of a container's targets. */
export type BoundReason = (typeof BOUND_REASONS)[number];
