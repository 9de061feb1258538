/**
 * Paging of the "why" API (`/api/v1/tasks?limit=&after=`): decisions in taskArn order, a page is
 * the first `limit` decisions the filter selects whose taskArn sorts after the `after` cursor.
 * Keyset paging, so a walk over the pages returns every task that exists throughout the walk
 * exactly once, however the state changes between two pages. Pure: parsing returns a value or a
 * problem, never throws.
 */
import type { TaskDecision } from '../discovery/types.ts';
import { DECISION_FILTER_PARAMS, type DecisionFilter, matchesDecisionFilter } from './decision-filter.ts';

/** Decisions per page without `limit`. */
export const DEFAULT_TASKS_PAGE_SIZE = 500;
/** The largest `limit`: about 2 KB of JSON per decision, so a page stays near 10 MB at most. */
export const MAX_TASKS_PAGE_SIZE = 5_000;
/** Query parameters of paging. */
export const PAGE_PARAMS = ['limit', 'after'] as const;
/** Every query parameter `/api/v1/tasks` understands; any other is a 400. */
export const TASKS_QUERY_PARAMS: readonly string[] = [...DECISION_FILTER_PARAMS, ...PAGE_PARAMS];

/** Longest cursor accepted: a task ARN (cluster name up to 255 characters, id 32) is far shorter. */
const MAX_CURSOR_LENGTH = 1_024;
const TASK_ARN = /^arn:[^:\s]+:ecs:[^:\s]*:[^:\s]*:task\/\S+$/;

/** Which page a caller wants. */
export interface PageRequest {
  limit: number;
  /** Only decisions whose taskArn sorts after this one. */
  after?: string;
}

/** The outcome of parsing a query: a page request, or a one-line problem naming the parameter and value. */
export type ParsedPageRequest = { ok: true; page: PageRequest } | { ok: false; error: string };

function single(query: URLSearchParams, name: string): { value?: string } | { error: string } {
  const values = query.getAll(name);
  if (values.length > 1) return { error: `${name} is given ${values.length} times, expected it once` };
  return values[0] === undefined ? {} : { value: values[0] };
}

/** Parses `?limit=&after=`: limit an integer from 1 to MAX_TASKS_PAGE_SIZE, after a task ARN. */
export function parsePageRequest(query: URLSearchParams): ParsedPageRequest {
  const limit = single(query, 'limit');
  if ('error' in limit) return { ok: false, error: limit.error };
  const page: PageRequest = { limit: DEFAULT_TASKS_PAGE_SIZE };
  if (limit.value !== undefined) {
    const n = /^[0-9]{1,6}$/.test(limit.value) ? Number(limit.value) : Number.NaN;
    if (!(n >= 1 && n <= MAX_TASKS_PAGE_SIZE)) {
      return {
        ok: false,
        error: `limit "${limit.value}" is not a page size, expected an integer from 1 to ${MAX_TASKS_PAGE_SIZE}`,
      };
    }
    page.limit = n;
  }
  const after = single(query, 'after');
  if ('error' in after) return { ok: false, error: after.error };
  if (after.value !== undefined) {
    if (after.value.length > MAX_CURSOR_LENGTH || !TASK_ARN.test(after.value)) {
      const shown = after.value.length > 80 ? `${after.value.slice(0, 80)}…` : after.value;
      return {
        ok: false,
        error: `after "${shown}" is not a task ARN, expected the nextAfter of the previous page (arn:aws:ecs:REGION:ACCOUNT:task/…)`,
      };
    }
    page.after = after.value;
  }
  return { ok: true, page };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy: by taskArn (UTF-16 code units), then source, the order pages walk. */
export function sortByTaskArn(decisions: readonly TaskDecision[]): TaskDecision[] {
  return [...decisions].sort((a, b) => compare(a.taskArn, b.taskArn) || compare(a.source, b.source));
}

/** Index of the first decision whose taskArn sorts after `after` (binary search). */
function firstAfter(sorted: readonly TaskDecision[], after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]!.taskArn <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** One page of decisions and how to get the next. */
export interface TaskPage {
  tasks: TaskDecision[];
  /** Decisions the filter selects over every page, at the time of this request. */
  total: number;
  /** The cursor for `?after=` of the next page; undefined on the last page. */
  nextAfter?: string;
}

/**
 * The page of `selected` (filtered, in `sortByTaskArn` order) that the request asks for. A task seen
 * by several sources is never split across two pages, so such a page may exceed `limit`.
 */
export function pageOf(selected: readonly TaskDecision[], page: PageRequest): TaskPage {
  const start = page.after === undefined ? 0 : firstAfter(selected, page.after);
  let end = Math.min(selected.length, start + page.limit);
  while (end > start && end < selected.length && selected[end]!.taskArn === selected[end - 1]!.taskArn) end++;
  const tasks = selected.slice(start, end);
  return end < selected.length
    ? { tasks, total: selected.length, nextAfter: selected[end - 1]!.taskArn }
    : { tasks, total: selected.length };
}

/** Filter results kept per set of decisions; beyond, they are dropped and recomputed on demand. */
const MAX_CACHED_SELECTIONS = 16;

/**
 * Pages over the view's decisions. Sorting (about 40 ms at 50,000 decisions) and filtering (an
 * O(n) pass) happen once per set of decisions and filter, keyed on the decisions array, which the
 * view replaces whenever discovery changes it; a page then costs a binary search and a slice.
 */
export class TaskPager {
  readonly #cache = new WeakMap<
    readonly TaskDecision[],
    { sorted: readonly TaskDecision[]; selections: Map<string, readonly TaskDecision[]> }
  >();

  /** The page of `decisions` that the filter and the request select. */
  page(decisions: readonly TaskDecision[], filter: DecisionFilter, request: PageRequest): TaskPage {
    let entry = this.#cache.get(decisions);
    if (entry === undefined) {
      entry = { sorted: sortByTaskArn(decisions), selections: new Map() };
      this.#cache.set(decisions, entry);
    }
    const { clusters, status, reasons } = filter;
    if (clusters === undefined && status === undefined && reasons === undefined) {
      return pageOf(entry.sorted, request);
    }
    const key = JSON.stringify([clusters ?? null, status ?? null, reasons ?? null]);
    let selected = entry.selections.get(key);
    if (selected === undefined) {
      if (entry.selections.size >= MAX_CACHED_SELECTIONS) entry.selections.clear();
      selected = entry.sorted.filter((decision) => matchesDecisionFilter(decision, filter));
      entry.selections.set(key, selected);
    }
    return pageOf(selected, request);
  }
}

/** The query of the next page: the same filters and limit, `after` the page's cursor. */
export function nextPageQuery(query: URLSearchParams, page: PageRequest, nextAfter: string): string {
  const next = new URLSearchParams(query);
  next.set('limit', String(page.limit));
  next.set('after', nextAfter);
  return next.toString();
}
