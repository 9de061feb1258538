/**
 * The daemon's web app: http_sd, the "why" API over task decisions, its own /metrics and the
 * health endpoints. Built, then listened: `buildApp` returns a request listener and only the
 * entry point calls `listen()`, so tests run the same app on port 0.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TaskDecision } from '../discovery/types.ts';
import { filterTargets, parseTargetFilter } from '../output/target-filter.ts';
import { tryRenderTargetGroups } from '../output/target-groups.ts';
import type { PoolAssignment } from '../pools/pool-assignments.ts';
import { type ScrapedBy, scrapedBy } from '../pools/scraped-by.ts';
import { parseDecisionFilter } from './decision-filter.ts';
import { jsonArrayChunks, writeChunks } from './json-stream.ts';
import { POOL_HEADER, resolvePoolRequest, withoutPoolParams } from './pool-request.ts';
import type { StatusProvider } from './status/model.ts';
import { STATUS_API_PATH, statusRoutes } from './status/routes.ts';
import { nextPageQuery, parsePageRequest, TASKS_QUERY_PARAMS, TaskPager } from './task-pages.ts';
import type { DiscoveryView } from './view.ts';

/** Path of the http_sd endpoint: `http_sd_configs: [{ url: http://HOST:PORT/http-sd }]`. */
export const HTTP_SD_PATH = '/http-sd';
/** Path of the "why" API: decisions a page at a time, or one task's under `/api/v1/tasks/<task id or ARN>`. */
export const TASKS_API_PATH = '/api/v1/tasks';

/** What the app reads: the discovery view, the daemon's own metrics registry, a logger. */
export interface AppDeps {
  view: DiscoveryView;
  registry: Registry;
  log?: Logger;
  /** The daemon's refresh interval: sent as `Retry-After` on 503s. */
  refreshIntervalSeconds?: number;
  /** Called when an http_sd target list cannot be rendered (`too-large`, `render-error`), e.g. to count it. */
  onHttpSdFailure?: (reason: 'too-large' | 'render-error') => void;
  /** Longest http_sd target list in UTF-16 code units (default `MAX_OUTPUT_LENGTH`); tests make it small. */
  maxOutputLength?: number;
  /** Reloads the config files (`POST /-/reload`); answered only with `lifecycle` on. */
  reload?: () => Promise<ReloadReply>;
  /** `--web.enable-lifecycle`: POST /-/reload is served; without it, 403 (as Prometheus). */
  lifecycle?: boolean;
  /** What the status page shows beyond the view (the runtime); without it, only what the view tells. */
  status?: StatusProvider;
  /** ecs-sd's version, in the status page's footer. */
  version?: string;
  /** Every configured scraper pool's current assignment, by name (`/http-sd?pool=`); without it, no pools. */
  pools?: () => ReadonlyMap<string, PoolAssignment>;
  /** Called when a pool request gets an empty share because the member is not in the pool (to log it, rate-limited). */
  onNotAMember?: (pool: string, member: string, reason: string) => void;
}

/** What a reload answers: 200 with what changed, 400 with the config's problems, 500 when it failed otherwise; one line each. */
export interface ReloadReply {
  status: 200 | 400 | 500;
  lines: string[];
}

/** Path of the reload endpoint (POST or PUT), as Prometheus's. */
export const RELOAD_PATH = '/-/reload';

const NOT_READY = 'no discovery has completed yet';

interface Reply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

/** A reply whose body is written chunk by chunk (`writeChunks`), without a Content-Length. */
interface StreamedReply {
  status: number;
  chunks: Iterable<string>;
  contentType: string;
  headers?: Record<string, string>;
}

function text(status: number, body: string, headers?: Record<string, string>): Reply {
  return { status, body: `${body}\n`, contentType: 'text/plain; charset=utf-8', ...(headers && { headers }) };
}

function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return {
    status,
    body: `${JSON.stringify(value)}\n`,
    contentType: 'application/json',
    ...(headers && { headers }),
  };
}

/** The endpoints every status page links to in its footer. */
const ENDPOINTS: readonly (readonly [string, string])[] = [
  [HTTP_SD_PATH, 'http_sd target list (filters: job, interval, cluster, shard & shards; pool & member)'],
  [TASKS_API_PATH, 'why: every task decision, by page (cluster, status, reason, limit, after)'],
  [STATUS_API_PATH, "the overview's data: sources, clusters, event mode, rate budgets, totals"],
  ['/metrics', 'metrics of ecs-sd itself'],
  ['/-/healthy', 'health'],
  ['/-/ready', 'readiness: 200 once a first discovery has completed and while every file_sd file is written'],
];

/** Splits a request target into its raw path and its query, without resolving it against a host. */
function splitTarget(url: string): { path: string; query: URLSearchParams } {
  const at = url.indexOf('?');
  return at === -1
    ? { path: url, query: new URLSearchParams() }
    : { path: url.slice(0, at), query: new URLSearchParams(url.slice(at + 1)) };
}

/** Builds the request listener; every route answers GET and HEAD, anything else is a 405. */
export function buildApp(deps: AppDeps): RequestListener {
  const { view, registry, refreshIntervalSeconds } = deps;
  const statusPage = statusRoutes({
    view,
    endpoints: ENDPOINTS,
    ...(deps.status === undefined ? {} : { status: deps.status }),
    ...(deps.version === undefined ? {} : { version: deps.version }),
    ...(deps.pools === undefined ? {} : { pools: deps.pools }),
  });
  const log = deps.log?.child({ component: 'server' });
  const retryAfter: Record<string, string> =
    refreshIntervalSeconds === undefined ? {} : { 'Retry-After': String(Math.ceil(refreshIntervalSeconds)) };

  function httpSd(req: IncomingMessage, query: URLSearchParams): Reply {
    const prometheusRefresh = req.headers['x-prometheus-refresh-interval-seconds'];
    if (prometheusRefresh !== undefined) {
      log?.debug({ refreshIntervalSeconds: prometheusRefresh }, 'http_sd request from prometheus');
    }
    const pooled = query.has('pool') || query.has('member');
    if (pooled && !query.has('pool'))
      return text(400, 'member is given without pool, expected pool=NAME&member=ID');
    const parsed = parseTargetFilter(pooled ? withoutPoolParams(query) : query);
    if (!parsed.ok) return text(400, parsed.error);
    // Served once discovery is complete, whatever happens to the file_sd files; until then no
    // member is known either, so a pool request waits too.
    if (!view.ready()) return text(503, `${NOT_READY}, so no target list to serve yet`, retryAfter);
    const pool = pooled
      ? resolvePoolRequest(query, req.socket.remoteAddress, deps.pools?.() ?? new Map())
      : undefined;
    if (pool?.kind === 'error') return text(pool.status, pool.message);
    if (pool?.kind === 'empty') {
      deps.onNotAMember?.(pool.pool, pool.member, pool.reason);
      return {
        status: 200,
        body: '[]\n',
        contentType: 'application/json',
        headers: { 'Cache-Control': 'no-store', [POOL_HEADER]: pool.reason },
      };
    }
    const all = filterTargets(view.targets(), parsed.filter);
    const selected = pool === undefined ? all : all.filter(pool.keep);
    const rendered = tryRenderTargetGroups(selected, 'compact', deps.maxOutputLength);
    if (!rendered.ok) {
      // Only this request fails; Prometheus keeps its current targets on an error response.
      log?.error({ reason: rendered.reason, err: rendered.cause, query: String(query) }, rendered.message);
      deps.onHttpSdFailure?.(rendered.reason);
      const hint =
        rendered.reason === 'too-large'
          ? '; select fewer targets with job, interval, cluster or shard=i&shards=n'
          : '';
      return text(500, `the target list cannot be served (${rendered.reason}): ${rendered.message}${hint}`, {
        'Cache-Control': 'no-store',
      });
    }
    return {
      status: 200,
      body: `${rendered.content}\n`,
      contentType: 'application/json',
      headers: { 'Cache-Control': 'no-store' },
    };
  }

  /**
   * 503 until a first discovery has completed, and while the last write of any file_sd file failed
   * (one line per file; http_sd serves meanwhile); 200 otherwise.
   */
  function ready(): Reply {
    if (!view.ready()) return text(503, `ecs-sd is not ready: ${NOT_READY}.`, retryAfter);
    const problems = view.outputProblems?.() ?? [];
    if (problems.length > 0) {
      return text(
        503,
        `ecs-sd is not ready: ${problems.length} file_sd file(s) not written, each keeps its previous targets (http_sd serves the current ones):\n${problems.join('\n')}`,
        retryAfter,
      );
    }
    return text(200, 'ecs-sd is ready.');
  }

  const pager = new TaskPager();

  function tasks(query: URLSearchParams): Reply | StreamedReply {
    const parsed = parseDecisionFilter(query, TASKS_QUERY_PARAMS);
    if (!parsed.ok) return json(400, { error: parsed.error });
    const request = parsePageRequest(query);
    if (!request.ok) return json(400, { error: request.error });
    if (!view.ready()) return json(503, { error: NOT_READY }, retryAfter);
    const page = pager.page(view.decisions(), parsed.filter, request.page);
    const head = `{"total":${page.total},"limit":${request.page.limit},"nextAfter":${JSON.stringify(page.nextAfter ?? null)},"tasks":[`;
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (page.nextAfter !== undefined) {
      headers['Link'] =
        `<${TASKS_API_PATH}?${nextPageQuery(query, request.page, page.nextAfter)}>; rel="next"`;
    }
    return {
      status: 200,
      chunks: jsonArrayChunks(head, page.tasks.map(withScrapers), ']}\n'),
      contentType: 'application/json',
      headers,
    };
  }

  function task(rawId: string, query: URLSearchParams): Reply {
    if ([...query.keys()].length > 0) {
      return json(400, { error: `query parameters are not accepted on a single task, received "${query}"` });
    }
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return json(400, { error: `task "${rawId}" is not valid percent-encoding, expected a task id or ARN` });
    }
    if (!view.ready()) return json(503, { error: NOT_READY }, retryAfter);
    const decision = view.decision(id);
    if (decision === undefined) {
      return json(404, {
        error: `task "${id}" is unknown, expected the id or ARN of a task discovery has seen`,
      });
    }
    return json(200, withScrapers(decision));
  }

  /** A decision with the pool members that scrape its targets, when pools are configured. */
  function withScrapers(decision: TaskDecision): TaskDecision & { scrapedBy?: ScrapedBy[] } {
    const assignments = deps.pools?.();
    if (assignments === undefined || assignments.size === 0) return decision;
    return { ...decision, scrapedBy: scrapedBy(decision, assignments) };
  }

  async function reload(req: IncomingMessage): Promise<Reply> {
    if (req.method !== 'POST' && req.method !== 'PUT') {
      return text(405, `method ${req.method} is not allowed on ${RELOAD_PATH}, expected POST or PUT`, {
        Allow: 'POST, PUT',
      });
    }
    if (deps.lifecycle !== true || deps.reload === undefined) {
      return text(
        403,
        'the lifecycle API is not enabled, expected ecs-sd started with --web.enable-lifecycle (or send SIGHUP)',
      );
    }
    const outcome = await deps.reload();
    const head = outcome.status === 200 ? 'config reloaded' : 'config not reloaded, the running config stays';
    return text(outcome.status, [head, ...outcome.lines].join('\n'), { 'Cache-Control': 'no-store' });
  }

  async function route(req: IncomingMessage): Promise<Reply | StreamedReply> {
    const { path, query } = splitTarget(req.url ?? '/');
    if (path === RELOAD_PATH) return reload(req);
    const isApi = path.startsWith('/api/');
    let handler: (() => Reply | StreamedReply | Promise<Reply>) | undefined;
    if (statusPage.owns(path)) {
      handler = () => statusPage.handle(path, query);
    } else if (path === HTTP_SD_PATH) {
      handler = () => httpSd(req, query);
    } else if (path === '/metrics') {
      handler = async () => ({
        status: 200,
        body: await registry.metrics(),
        contentType: registry.contentType,
      });
    } else if (path === '/-/healthy') {
      handler = () => text(200, 'ecs-sd is healthy.');
    } else if (path === '/-/ready') {
      handler = () => ready();
    } else if (path === TASKS_API_PATH || path === `${TASKS_API_PATH}/`) {
      handler = () => tasks(query);
    } else if (path.startsWith(`${TASKS_API_PATH}/`)) {
      handler = () => task(path.slice(TASKS_API_PATH.length + 1), query);
    }
    if (handler === undefined) {
      const message = `path "${path}" is not found, expected one of ${[...statusPage.paths, HTTP_SD_PATH, TASKS_API_PATH, '/metrics', '/-/healthy', '/-/ready', RELOAD_PATH].join(', ')}`;
      return isApi ? json(404, { error: message }) : text(404, message);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const message = `method ${req.method} is not allowed on ${path}, expected GET or HEAD`;
      const allow = { Allow: 'GET, HEAD' };
      return isApi ? json(405, { error: message }, allow) : text(405, message, allow);
    }
    return handler();
  }

  async function send(
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply | StreamedReply,
  ): Promise<void> {
    if ('chunks' in reply) {
      res.writeHead(reply.status, { 'Content-Type': reply.contentType, ...reply.headers });
      if (req.method === 'HEAD') res.end();
      else await writeChunks(res, reply.chunks);
      return;
    }
    res.writeHead(reply.status, {
      'Content-Type': reply.contentType,
      'Content-Length': Buffer.byteLength(reply.body),
      ...reply.headers,
    });
    res.end(reply.body);
  }

  return (req, res) => {
    route(req)
      .then((reply) => {
        log?.debug({ method: req.method, url: req.url, status: reply.status }, 'request');
        return send(req, res, reply);
      })
      .catch((err: unknown) => {
        log?.error({ err, method: req.method, url: req.url }, 'request failed');
        if (res.headersSent) {
          res.destroy();
          return;
        }
        void send(req, res, text(500, 'internal error, see the ecs-sd log'));
      });
  };
}
