/**
 * The status page's views, in navigation order: Overview (`/`), Targets, Skipped, and a task's
 * detail with the task search. Each keeps the rows it derives from a set of decisions for as long
 * as that set is current (`SelectionCache`), so paging through 100,000 targets sorts them once.
 * The scraper pools view (issue 16) slots in as one more entry of the list `statusViews` returns.
 */
import type { TaskDecision } from '../../discovery/types.ts';
import { scrapedBy } from '../../pools/scraped-by.ts';
import { html } from './html.ts';
import { TASKS_PAGE_PATH } from './layout.ts';
import { type DecisionTotals, decisionTotals, renderOverview } from './overview-view.ts';
import { POOLS_PATH, renderPools } from './pools-view.ts';
import { SelectionCache, slicePage } from './query.ts';
import {
  renderSkipped,
  type SelectedSkips,
  SKIPPED_PARAMS,
  SKIPPED_PATH,
  selectSkips,
} from './skipped-view.ts';
import { type SkipRow, skipRows } from './skips.ts';
import {
  distinct,
  type SelectedTargets,
  selectTargets,
  TARGET_PARAMS,
  type TargetRow,
  targetRows,
  targetSelection,
} from './targets.ts';
import { renderTargets, TARGETS_PATH, type TargetFacets } from './targets-view.ts';
import { renderNotFound, renderSearch, renderTask, suggestTasks } from './task-view.ts';
import type { StatusView, ViewContext } from './view-registry.ts';

/** Suggestions offered per filter field, at most. */
const MAX_SUGGESTIONS = 1000;

interface TargetRows {
  rows: TargetRow[];
  facets: TargetFacets;
}

interface SkipRows {
  rows: SkipRow[];
  notOptedIn: number;
  clusters: string[];
}

function clustersOf(decisions: readonly TaskDecision[]): string[] {
  return distinct(
    decisions.map((d) => d.clusterName),
    MAX_SUGGESTIONS,
  );
}

/** The views of the status page, each with its own caches. */
export function statusViews(): StatusView[] {
  const totals = new WeakMap<object, DecisionTotals>();
  const targets = new SelectionCache<TargetRows, SelectedTargets>((key) => {
    const decisions = key as readonly TaskDecision[];
    const rows = targetRows(decisions);
    return {
      rows,
      facets: {
        clusters: clustersOf(decisions),
        services: distinct(
          rows.map((row) => row.service),
          MAX_SUGGESTIONS,
        ),
        families: distinct(
          rows.map((row) => row.family),
          MAX_SUGGESTIONS,
        ),
      },
    };
  });
  const skips = new SelectionCache<SkipRows, SelectedSkips>((key) => {
    const decisions = key as readonly TaskDecision[];
    return { ...skipRows(decisions), clusters: clustersOf(decisions) };
  });

  const overview: StatusView = {
    path: '/',
    nav: 'Overview',
    params: [],
    render({ view, status }) {
      const decisions = view.decisions();
      let counted = totals.get(decisions);
      if (counted === undefined) {
        counted = decisionTotals(decisions);
        totals.set(decisions, counted);
      }
      return {
        status: 200,
        title: 'Overview',
        body: renderOverview(status(), counted, view.targets().length),
      };
    },
  };

  const targetsView: StatusView = {
    path: TARGETS_PATH,
    nav: 'Targets',
    params: TARGET_PARAMS,
    render({ view, values, page }) {
      const decisions = view.decisions();
      const selection = targetSelection(values);
      const selected = targets.select(decisions, JSON.stringify(selection), (all) =>
        selectTargets(all.rows, selection),
      );
      const slice = slicePage(selected.rows, page);
      const body = renderTargets(selected, slice, selection, targets.rows(decisions).facets);
      return { status: 200, title: 'Targets', body };
    },
  };

  const skippedView: StatusView = {
    path: SKIPPED_PATH,
    nav: 'Skipped',
    params: SKIPPED_PARAMS,
    render({ view, values, page }) {
      const decisions = view.decisions();
      const selection = {
        ...(values.has('reason') && { reason: values.get('reason')! }),
        ...(values.has('cluster') && { cluster: values.get('cluster')! }),
        ...(values.has('q') && { text: values.get('q')! }),
      };
      const all = skips.rows(decisions);
      const selected = skips.select(decisions, JSON.stringify(selection), (rows) =>
        selectSkips(rows.rows, selection),
      );
      const reasons = distinct(
        all.rows.map((row) => row.reason),
        MAX_SUGGESTIONS,
      );
      const facets = { clusters: all.clusters, reasons, notOptedIn: all.notOptedIn };
      const body = renderSkipped(selected, slicePage(selected.rows, page), selection, facets);
      return { status: 200, title: 'Skipped', body };
    },
  };

  const task: StatusView = {
    path: TASKS_PAGE_PATH,
    prefix: true,
    params: ['q'],
    render: renderTaskView,
  };

  const poolsView: StatusView = {
    path: POOLS_PATH,
    nav: 'Pools',
    params: [],
    render({ pools, status }) {
      return { status: 200, title: 'Pools', body: renderPools(pools(), status().nowMs) };
    },
  };

  return [overview, targetsView, skippedView, poolsView, task];
}

/** A task by id or ARN (from the path, or the search box's `q`), else the search's suggestions. */
function renderTaskView({ view, values, rest, pools }: ViewContext) {
  const asked = rest !== '' ? rest : values.get('q');
  if (asked === undefined) return { status: 200, title: 'Find a task', body: renderSearch() };
  const decision = view.decision(asked);
  if (decision !== undefined)
    return {
      status: 200,
      title: `Task ${decision.taskId}`,
      body: renderTask(decision, scrapedBy(decision, pools())),
    };
  const suggestions = suggestTasks(view.decisions(), asked);
  // One task contains the text (a prefix of an id, say): show it.
  if (suggestions.length === 1)
    return {
      status: 200,
      title: `Task ${suggestions[0]!.taskId}`,
      body: renderTask(suggestions[0]!, scrapedBy(suggestions[0]!, pools())),
    };
  return { status: 404, title: 'No such task', body: html`${renderNotFound(asked, suggestions)}` };
}
