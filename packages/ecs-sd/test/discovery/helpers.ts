/** Small assertions shared by the discovery tests. */
import { decideTask } from '../../src/discovery/index.ts';
import type { DiscoveryOptions, Target, TaskDecision } from '../../src/discovery/types.ts';
import { type FleetExtras, one, options, type TaskSpec } from './fixtures.ts';

/** The decision for one task spec. */
export function decisionOf(
  spec: TaskSpec,
  opts: Partial<DiscoveryOptions> = {},
  extras: FleetExtras = {},
): TaskDecision {
  const { snapshot, task } = one(spec, extras);
  return decideTask(task, snapshot, options(opts));
}

/** Every target of one task spec. */
export function targetsOf(
  spec: TaskSpec,
  opts: Partial<DiscoveryOptions> = {},
  extras: FleetExtras = {},
): Target[] {
  return decisionOf(spec, opts, extras).containers.flatMap((c) => c.targets);
}

/** The labels Prometheus keeps after relabelling: those without a `__` prefix. */
export function visible(target: Target): Record<string, string> {
  return Object.fromEntries(Object.entries(target.labels).filter(([k]) => !k.startsWith('__')));
}
