/** The pure middle of ecs-sd: from a ClusterSnapshot to targets and per-task decisions, and their explain text. */
export type { Failure } from './address.ts';
export { eniInfo, hostPart, NETWORK_MODES } from './address.ts';
export { ECS_SD_PREFIX, PROMETHEUS_ENV_NAMES, ruleMatches } from './conventions.ts';
export { decideTask, discoverCluster, PRECEDENCE } from './decide.ts';
export { type DescribePlan, type DescribePlanInput, isFinal, planDescribe } from './describe-plan.ts';
export { formatDecision } from './format.ts';
export { isUserLabelName, sanitizeLabelName } from './labels.ts';
export { jsonBytes, LIMITS } from './limits.ts';
export { META, serviceNameFromGroup } from './meta-labels.ts';
export { scrapeProblem } from './prometheus-checks.ts';
export { BOUND_REASONS, SKIP_REASONS } from './skip-reasons.ts';
export { taskSkipReason } from './task-skip.ts';
export * from './types.ts';
export { parseBool, parsePort, parseScheme } from './values.ts';
