/**
 * The Targets view's model: every target with its task and container, ordered by job, interval
 * bucket and address, selected by cluster, service, family and text, and counted per group. Pure;
 * built once per set of decisions (see `SelectionCache`).
 */
import type { Target, TaskDecision } from '../../discovery/types.ts';
import { familyAndRevision } from '../../lib/arn.ts';
import { INTERVALS } from '../../lib/intervals.ts';

/** One target and where it comes from. */
export interface TargetRow {
  target: Target;
  decision: TaskDecision;
  container: string;
  service?: string;
  family?: string;
}

/** Which targets a reader wants; an absent field selects all. `text` matches any part, case-insensitively. */
export interface TargetSelection {
  cluster?: string;
  service?: string;
  family?: string;
  text?: string;
}

/** The query parameters of the Targets view. */
export const TARGET_PARAMS = ['cluster', 'service', 'family', 'q'] as const;

/** The selection a parsed query asks for. */
export function targetSelection(values: ReadonlyMap<string, string>): TargetSelection {
  const selection: TargetSelection = {};
  const cluster = values.get('cluster');
  const service = values.get('service');
  const family = values.get('family');
  const text = values.get('q');
  if (cluster !== undefined) selection.cluster = cluster;
  if (service !== undefined) selection.service = service;
  if (family !== undefined) selection.family = family;
  if (text !== undefined) selection.text = text;
  return selection;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every target of the decisions, ordered by job, interval bucket (shortest first), address and key. */
export function targetRows(decisions: readonly TaskDecision[]): TargetRow[] {
  const rows: TargetRow[] = [];
  // Many tasks share a task definition: its family is read from its ARN once.
  const families = new Map<string, string | undefined>();
  const familyOf = (arn: string | undefined) => {
    if (!arn) return undefined;
    if (!families.has(arn)) families.set(arn, familyAndRevision(arn)?.family);
    return families.get(arn);
  };
  for (const decision of decisions) {
    const family = familyOf(decision.taskDefinitionArn);
    for (const container of decision.containers) {
      for (const target of container.targets) {
        const service = target.labels['__meta_ecs_service'];
        const row: TargetRow = { target, decision, container: container.containerName };
        if (service !== undefined) row.service = service;
        const named = family ?? target.labels['__meta_ecs_task_definition_family'];
        if (named !== undefined) row.family = named;
        rows.push(row);
      }
    }
  }
  // Bucketed by job and interval, then each bucket sorted by address: a comparator over every
  // field of 100,000 rows took seconds.
  const byJob = new Map<string, TargetRow[][]>();
  for (const row of rows) {
    let buckets = byJob.get(row.target.job);
    if (buckets === undefined) {
      buckets = INTERVALS.map(() => []);
      byJob.set(row.target.job, buckets);
    }
    buckets[Math.max(0, INTERVALS.indexOf(row.target.interval))]!.push(row);
  }
  const sorted: TargetRow[] = [];
  for (const job of [...byJob.keys()].sort(compare)) {
    for (const bucket of byJob.get(job)!) {
      bucket.sort(
        (a, b) => compare(a.target.address, b.target.address) || compare(a.target.key, b.target.key),
      );
      for (const row of bucket) sorted.push(row);
    }
  }
  return sorted;
}

/** A case-insensitive literal search: no lowercased copy of every label value per query. */
export function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'iu');
}

function matchesText(row: TargetRow, needle: RegExp): boolean {
  const { target, decision } = row;
  const has = (value: string) => needle.test(value);
  if (
    has(target.address) ||
    has(target.job) ||
    has(row.container) ||
    has(decision.taskArn) ||
    has(decision.clusterName)
  )
    return true;
  for (const [name, value] of Object.entries(target.labels)) if (has(name) || has(value)) return true;
  return false;
}

/** Whether the selection admits the row (`text` compiled once by `selectTargets`). */
function matchesTarget(row: TargetRow, selection: TargetSelection, text: RegExp | undefined): boolean {
  if (selection.cluster !== undefined && row.decision.clusterName !== selection.cluster) return false;
  if (selection.service !== undefined && row.service !== selection.service) return false;
  if (selection.family !== undefined && row.family !== selection.family) return false;
  return text === undefined || matchesText(row, text);
}

/** The selected rows and how many fall in each job and interval group (`job\u0000interval`). */
export interface SelectedTargets {
  rows: TargetRow[];
  groups: Map<string, number>;
  /** Tasks the selected targets come from. */
  tasks: number;
}

/** The group key of a row: job and interval bucket. */
export function groupKey(row: TargetRow): string {
  return `${row.target.job}\u0000${row.target.interval}`;
}

/** Selects rows (keeping their order) and counts the groups and tasks. */
export function selectTargets(rows: readonly TargetRow[], selection: TargetSelection): SelectedTargets {
  const all = Object.keys(selection).length === 0;
  const text = selection.text === undefined ? undefined : literal(selection.text);
  const selected = all ? [...rows] : rows.filter((row) => matchesTarget(row, selection, text));
  const groups = new Map<string, number>();
  const tasks = new Set<TaskDecision>();
  // Rows come grouped (targetRows' order): count each run of a group at once.
  let previous: TargetRow | undefined;
  let run = 0;
  const close = () => {
    if (previous !== undefined) groups.set(groupKey(previous), (groups.get(groupKey(previous)) ?? 0) + run);
  };
  for (const row of selected) {
    if (
      previous === undefined ||
      row.target.job !== previous.target.job ||
      row.target.interval !== previous.target.interval
    ) {
      close();
      previous = row;
      run = 0;
    }
    run++;
    tasks.add(row.decision);
  }
  close();
  return { rows: selected, groups, tasks: tasks.size };
}

/** Distinct values, sorted, at most `max` of them: the suggestions of a filter field. */
export function distinct(values: Iterable<string | undefined>, max: number): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    if (value === undefined || seen.has(value)) continue;
    seen.add(value);
    if (seen.size >= max) break;
  }
  return [...seen].sort(compare);
}
