/**
 * Selection of task decisions for the "why" API (`/api/v1/tasks?cluster=&status=&reason=`).
 * Pure: parsing returns a value or a problem, never throws.
 */
import type { TaskDecision } from '../discovery/types.ts';

/** Whether a task yields at least one target (`target`) or none (`skipped`). */
export type DecisionStatus = 'target' | 'skipped';

/** Which decisions a caller wants; an absent field selects everything. Values within a field are ORed. */
export interface DecisionFilter {
  clusters?: readonly string[];
  status?: DecisionStatus;
  reasons?: readonly string[];
}

/** The filter's query parameters. */
export const DECISION_FILTER_PARAMS = ['cluster', 'status', 'reason'] as const;

const STATUSES: readonly DecisionStatus[] = ['target', 'skipped'];

/** The outcome of parsing a query: a filter, or a one-line problem naming the parameter and value. */
export type ParsedDecisionFilter = { ok: true; filter: DecisionFilter } | { ok: false; error: string };

/**
 * Parses `?cluster=&status=target|skipped&reason=` into a filter; a parameter not in `known` (by
 * default the filter's own; the tasks API adds its paging parameters) is a problem.
 */
export function parseDecisionFilter(
  query: URLSearchParams,
  known: readonly string[] = DECISION_FILTER_PARAMS,
): ParsedDecisionFilter {
  for (const name of new Set(query.keys())) {
    if (!known.includes(name)) {
      return { ok: false, error: `unknown query parameter "${name}", expected one of ${known.join(', ')}` };
    }
  }
  const filter: DecisionFilter = {};
  const clusters = query.getAll('cluster');
  if (clusters.length > 0) filter.clusters = clusters;
  const reasons = query.getAll('reason');
  if (reasons.length > 0) filter.reasons = reasons;
  const statuses = query.getAll('status');
  if (statuses.length > 1) {
    return { ok: false, error: `status is given ${statuses.length} times, expected it once` };
  }
  const [status] = statuses;
  if (status !== undefined) {
    if (!(STATUSES as readonly string[]).includes(status)) {
      return { ok: false, error: `status "${status}" is not a decision status, expected target or skipped` };
    }
    filter.status = status as DecisionStatus;
  }
  return { ok: true, filter };
}

/** Whether any container of the task produced a target. */
export function hasTargets(decision: TaskDecision): boolean {
  return decision.containers.some((container) => container.targets.length > 0);
}

/** Every skip reason recorded for the task: the whole-task skip and each container's skips. */
export function skipReasons(decision: TaskDecision): string[] {
  const reasons = decision.containers.flatMap((container) => container.skips.map((skip) => skip.reason));
  return decision.skip === undefined ? reasons : [decision.skip.reason, ...reasons];
}

/** Whether the filter selects the decision. */
export function matchesDecisionFilter(decision: TaskDecision, filter: DecisionFilter): boolean {
  const { clusters, status, reasons } = filter;
  return (
    (clusters === undefined || clusters.includes(decision.clusterName)) &&
    (status === undefined || hasTargets(decision) === (status === 'target')) &&
    (reasons === undefined || skipReasons(decision).some((reason) => reasons.includes(reason)))
  );
}

/** The decisions the filter selects, in their original order. */
export function filterDecisions(decisions: readonly TaskDecision[], filter: DecisionFilter): TaskDecision[] {
  return decisions.filter((decision) => matchesDecisionFilter(decision, filter));
}
