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

/** Query parameters `/api/v1/tasks` understands; any other parameter is a 400. */
export const DECISION_FILTER_PARAMS = ['cluster', 'status', 'reason'] as const;

const STATUSES: readonly DecisionStatus[] = ['target', 'skipped'];

/** The outcome of parsing a query: a filter, or a one-line problem naming the parameter and value. */
export type ParsedDecisionFilter = { ok: true; filter: DecisionFilter } | { ok: false; error: string };

/** Parses `?cluster=&status=target|skipped&reason=` into a filter. */
export function parseDecisionFilter(query: URLSearchParams): ParsedDecisionFilter {
  for (const name of new Set(query.keys())) {
    if (!(DECISION_FILTER_PARAMS as readonly string[]).includes(name)) {
      return {
        ok: false,
        error: `unknown query parameter "${name}", expected one of ${DECISION_FILTER_PARAMS.join(', ')}`,
      };
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

/** The decisions the filter selects, in their original order. */
export function filterDecisions(decisions: readonly TaskDecision[], filter: DecisionFilter): TaskDecision[] {
  const { clusters, status, reasons } = filter;
  return decisions.filter(
    (decision) =>
      (clusters === undefined || clusters.includes(decision.clusterName)) &&
      (status === undefined || hasTargets(decision) === (status === 'target')) &&
      (reasons === undefined || skipReasons(decision).some((reason) => reasons.includes(reason))),
  );
}
