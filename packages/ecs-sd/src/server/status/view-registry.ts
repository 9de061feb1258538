/**
 * The views of the status page and how they are found: each names its path, its navigation entry
 * and the query parameters it takes, and renders from a `ViewContext`. A new view (the scraper
 * pools of issue 16) is one more entry in `STATUS_VIEWS`: the router, the navigation and the 404
 * list follow.
 */
import type { PoolAssignment } from '../../pools/pool-assignments.ts';
import type { Html } from './html.ts';
import type { DaemonStatus, DecisionsView } from './model.ts';

/** What a view renders from: the discovery view, the daemon's status, its request. */
export interface ViewContext {
  view: DecisionsView;
  /** The daemon's status now (taken on first call, once per request). */
  status(): DaemonStatus;
  /** Parameters the view declared, parsed (empty ones absent), and the page asked for. */
  values: ReadonlyMap<string, string>;
  page: number;
  /** The rest of the path after a prefix view's path (`/status/tasks/<this>`), decoded; '' otherwise. */
  rest: string;
  /** Every scraper pool's current assignment, by name; empty without pools. */
  pools(): ReadonlyMap<string, PoolAssignment>;
}

/** A rendered view: its HTTP status, its title and the content of `<main>`. */
export interface ViewPage {
  status: number;
  title: string;
  body: Html;
}

/** One view of the status page. */
export interface StatusView {
  /** The path it answers; with `prefix`, also every path under `path/`. */
  path: string;
  prefix?: boolean;
  /** Its entry in the navigation; undefined: reached through links (a task's detail). */
  nav?: string;
  /** Query parameters it takes besides `page`; any other is a 400. */
  params: readonly string[];
  render(context: ViewContext): ViewPage;
}

/** The view answering `path`, and the rest of the path for a prefix view. */
export function findView(
  views: readonly StatusView[],
  path: string,
): { view: StatusView; rest: string } | undefined {
  for (const view of views) {
    if (path === view.path) return { view, rest: '' };
    if (view.prefix === true && path.startsWith(`${view.path}/`))
      return { view, rest: path.slice(view.path.length + 1) };
  }
  return undefined;
}
