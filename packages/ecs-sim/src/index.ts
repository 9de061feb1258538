/** ecs-sim: an Amazon ECS, EC2, SSM, STS and SQS control-plane simulator for the official AWS SDK clients. */
export type { OperationCounts, Outcome } from './admin/counters.ts';
export {
  DESCRIBE_CONTAINER_INSTANCES_MAX,
  DESCRIBE_SERVICES_MAX,
  DESCRIBE_TASKS_MAX,
  LIST_PAGE_MAX,
  LIST_SERVICES_DEFAULT,
} from './api/ecs.ts';
export { renderTask } from './api/ecs-shapes.ts';
export {
  FAULT_KINDS,
  type FaultKind,
  type FaultRule,
  type FaultSpec,
  Faults,
  parseFaultSpec,
} from './faults/faults.ts';
export { FleetError } from './fleet/errors.ts';
export { DEFAULT_NETWORK_MODES, generateFleet, parseGenerateSpec } from './fleet/generator.ts';
export { applyFleet, loadFleetFile, validateFleet } from './fleet/loader.ts';
export type { Fleet, FleetSpec, GenerateSpec } from './fleet/schema.ts';
export { ApiError } from './protocols/errors.ts';
export { type Sim, type SimOptions, type SimRunTaskInput, startSim } from './sim.ts';
export type { TruthContainer, TruthTask } from './state/ground-truth.ts';
export type * from './state/model.ts';
export { DEFAULT_ACCOUNT_ID, DEFAULT_LIFECYCLE, type LifecycleOptions, World } from './state/world.ts';
export { THROTTLE_CATEGORIES, Throttler, throttleCategory } from './throttle/buckets.ts';
