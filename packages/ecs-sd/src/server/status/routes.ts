/**
 * The status page's routes on the daemon's own listener (behind its auth and TLS, like every
 * endpoint): the views of the registry, their assets under `/status/static/`, and the overview's
 * data as JSON at `/api/v1/status`. Every HTML page carries a strict Content-Security-Policy: only
 * ecs-sd's own style sheet, script and icon load.
 */
import type { TaskDecision } from '../../discovery/types.ts';
import type { PoolAssignment } from '../../pools/pool-assignments.ts';
import { ASSETS } from './assets.ts';
import { type Html, html } from './html.ts';
import { page } from './layout.ts';
import type { ClusterStatus, DaemonStatus, DecisionsView, StatusProvider } from './model.ts';
import { decisionTotals } from './overview-view.ts';
import { parseViewQuery } from './query.ts';
import { skippedWithIntent } from './skips.ts';
import { findView, type StatusView } from './view-registry.ts';
import { statusViews } from './views.ts';

/** The path of the overview's data as JSON. */
export const STATUS_API_PATH = '/api/v1/status';

/** Only ecs-sd's own assets load; no inline script or style, no framing, forms post only to ecs-sd. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Headers of every status page. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** A reply of the status routes (the app's reply shape). */
export interface StatusReply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

/** What the status routes read. */
export interface StatusRoutesDeps {
  view: DecisionsView;
  /** The runtime's status; without it, the clusters are those of the decisions and nothing else is known. */
  status?: StatusProvider;
  version?: string;
  /** ecs-sd's other endpoints, linked from every page's footer: path and what it serves. */
  endpoints: readonly (readonly [string, string])[];
  /** The views; default `statusViews()`. */
  views?: StatusView[];
  /** Every scraper pool's current assignment (the Pools view, a task's members); default: none. */
  pools?: () => ReadonlyMap<string, PoolAssignment>;
  /** Epoch milliseconds clock of the fallback status. @default Date.now */
  now?: () => number;
}

/** The status routes: the paths they own, and their answer on one. */
export interface StatusRoutes {
  owns(path: string): boolean;
  handle(path: string, query: URLSearchParams): StatusReply;
  /** The paths, for the 404 message. */
  paths: readonly string[];
}

/** Builds the status routes. */
export function statusRoutes(deps: StatusRoutesDeps): StatusRoutes {
  const views = deps.views ?? statusViews();
  const now = deps.now ?? Date.now;
  const takeStatus = () => deps.status?.status() ?? statusFromView(deps.view, now());

  function framed(
    status: number,
    title: string,
    body: Html,
    current: StatusView,
    snapshot: { nowMs: number; ready: boolean },
    search?: string,
  ): StatusReply {
    const text = page({
      title,
      body,
      views,
      current,
      nowMs: snapshot.nowMs,
      ready: snapshot.ready,
      ...(search === undefined ? {} : { search }),
      endpoints: deps.endpoints,
      ...(deps.version === undefined ? {} : { version: deps.version }),
    });
    return { status, body: text, contentType: 'text/html; charset=utf-8', headers: { ...PAGE_HEADERS } };
  }

  const owns = (path: string) =>
    ASSETS.has(path) || path === STATUS_API_PATH || findView(views, path) !== undefined;

  function handle(path: string, query: URLSearchParams): StatusReply {
    const asset = ASSETS.get(path);
    if (asset !== undefined) {
      return {
        status: 200,
        body: asset.body,
        contentType: asset.contentType,
        // Pages link to a versioned URL, so a changed asset is a new URL.
        headers: { 'Cache-Control': 'private, max-age=86400', 'X-Content-Type-Options': 'nosniff' },
      };
    }
    if (path === STATUS_API_PATH) return statusJson(query);
    const found = findView(views, path)!;
    const bad = (error: string) =>
      framed(
        400,
        'Bad request',
        html`<h1>Bad request</h1><p class="banner bad" role="alert">${error}</p>`,
        found.view,
        {
          nowMs: now(),
          ready: deps.view.ready(),
        },
      );
    const parsed = parseViewQuery(query, found.view.params);
    if (!parsed.ok) return bad(parsed.error);
    let rest: string;
    try {
      rest = decodeURIComponent(found.rest);
    } catch {
      return bad(`path "${found.rest}" is not valid percent-encoding, expected a task id or ARN`);
    }
    let taken: DaemonStatus | undefined;
    const status = () => (taken ??= takeStatus());
    const rendered = found.view.render({
      view: deps.view,
      status,
      values: parsed.values,
      page: parsed.page,
      rest,
      pools: deps.pools ?? (() => new Map()),
    });
    // A task's page keeps what was searched for in the search box.
    const search = found.view.prefix === true ? rest || parsed.values.get('q') : undefined;
    return framed(rendered.status, rendered.title, rendered.body, found.view, status(), search);
  }

  function statusJson(query: URLSearchParams): StatusReply {
    if ([...query.keys()].length > 0) {
      return json(400, {
        error: `query parameters are not accepted on ${STATUS_API_PATH}, received "${query}"`,
      });
    }
    const status = takeStatus();
    const totals = { targets: deps.view.targets().length, ...decisionTotals(deps.view.decisions()) };
    const pools = [...(deps.pools?.().values() ?? [])].map(poolSummary);
    return json(200, { ...status, totals, ...(pools.length > 0 && { pools }) });
  }

  const paths = [...views.map((view) => (view.prefix ? `${view.path}/…` : view.path)), STATUS_API_PATH];
  return { owns, handle, paths };
}

/** A pool as the status JSON gives it: its members with their shares, its targets, replication and last change. */
function poolSummary(assignment: PoolAssignment) {
  return {
    name: assignment.pool.name,
    replication: assignment.pool.replication,
    targets: assignment.targets,
    changedAtMs: assignment.changedAtMs,
    members: assignment.members.map((member) => ({
      ...member,
      targets: assignment.perMember.get(member.id) ?? 0,
    })),
  };
}

function json(status: number, value: unknown): StatusReply {
  return {
    status,
    body: `${JSON.stringify(value)}\n`,
    contentType: 'application/json',
    headers: { 'Cache-Control': 'no-store' },
  };
}

/** The status a view alone can tell: each cluster of the decisions, fresh; no sources, budgets or files. */
export function statusFromView(view: DecisionsView, nowMs: number): DaemonStatus {
  const clusters = new Map<string, ClusterStatus>();
  const add = (decision: TaskDecision) => {
    const key = `${decision.source}\u0000${decision.clusterName}`;
    let cluster = clusters.get(key);
    if (cluster === undefined) {
      cluster = {
        source: decision.source,
        clusterName: decision.clusterName,
        clusterArn: '',
        state: 'fresh',
        tasks: 0,
        targets: 0,
        skippedTasks: 0,
      };
      clusters.set(key, cluster);
    }
    cluster.tasks++;
    cluster.targets += decision.containers.reduce((n, c) => n + c.targets.length, 0);
    if (skippedWithIntent(decision)) cluster.skippedTasks++;
  };
  for (const decision of view.decisions()) add(decision);
  return {
    nowMs,
    ready: view.ready(),
    refreshIntervalMs: 0,
    sources: [],
    clusters: [...clusters.values()],
    budgets: [],
    files: [],
  };
}
