import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counters, Outcome } from '../admin/counters.ts';
import type { ClusterFaultHooks, RequestContext } from '../api/context.ts';
import { EC2_HANDLERS, isUnfilteredUnpaginated } from '../api/ec2.ts';
import { ECS_HANDLERS, requestClusterName } from '../api/ecs.ts';
import { SQS_HANDLERS } from '../api/sqs.ts';
import { SSM_HANDLERS } from '../api/ssm.ts';
import { STS_HANDLERS, STS_NS, sessions } from '../api/sts.ts';
import type { FaultKind, Faults } from '../faults/faults.ts';
import { ApiError } from '../protocols/errors.ts';
import { jsonError, jsonOk, parseJsonBody, type WireResponse } from '../protocols/json.ts';
import { parseQueryBody, type QueryParams } from '../protocols/query.ts';
import { ec2Error, ec2Ok, queryError, queryOk, type XmlElement } from '../protocols/xml.ts';
import type { World } from '../state/world.ts';
import { type Throttler, throttleCategory } from '../throttle/buckets.ts';

/** Largest accepted request body (AWS rejects far smaller bodies; this only guards the process). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** What the HTTP app needs: the world and the cross-cutting machinery. */
export interface AppDeps {
  world: World;
  throttler: Throttler;
  faults: Faults;
  counters: Counters;
  /** Global added latency in ms. */
  latencyMs: () => number;
  /** `http://host:port` once listening. */
  endpoint: () => string;
  /** Aborted on close(): ends long polls and pending latency. */
  shutdown: AbortSignal;
  /** Handles `/_sim/...` admin routes. */
  admin: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>;
}

type Service = 'ecs' | 'ssm' | 'sqs' | 'ec2' | 'sts';

interface Parsed {
  service: Service;
  operation: string;
  json?: Record<string, unknown>;
  query?: QueryParams;
}

const ECS_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const SSM_PREFIX = 'AmazonSSM.';
const SQS_PREFIX = 'AmazonSQS.';
const STS_ACTIONS = new Set(['GetCallerIdentity', 'AssumeRole']);

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Reads the SigV4 `Credential=AKID/date/region/service/aws4_request` scope of the Authorization header (signatures are not checked). */
export function credentialScope(header: string | undefined): { accessKeyId?: string; service?: string } {
  const m = header ? /Credential=([^/,\s]+)\/[^/]*\/[^/]*\/([^/]+)\//.exec(header) : null;
  return m ? { accessKeyId: m[1]!, service: m[2]! } : {};
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

function newRequestId(world: World): string {
  return world.prng.uuid();
}

function renderError(
  p: Pick<Parsed, 'service' | 'operation'>,
  err: ApiError,
  requestId: string,
): WireResponse {
  switch (p.service) {
    case 'ecs':
    case 'ssm':
      return jsonError('1.1', err, requestId);
    case 'sqs':
      return jsonError('1.0', err, requestId, 'com.amazonaws.sqs#');
    case 'ec2':
      return ec2Error(err, requestId);
    case 'sts':
      return queryError(STS_NS, err, requestId);
  }
}

function throttleError(service: Service): ApiError {
  if (service === 'ec2') return new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
  if (service === 'sts') return new ApiError('Throttling', 'Rate exceeded', 400);
  if (service === 'sqs') return new ApiError('ThrottlingException', 'Rate exceeded', 400, 'Throttling');
  return new ApiError('ThrottlingException', 'Rate exceeded', 400);
}

function serverError(service: Service, status: 500 | 503): ApiError {
  if (status === 503) {
    const code =
      service === 'ec2'
        ? 'Unavailable'
        : service === 'sts'
          ? 'ServiceUnavailable'
          : 'ServiceUnavailableException';
    return new ApiError(
      code,
      'Service Unavailable',
      503,
      service === 'sqs' ? 'ServiceUnavailable' : undefined,
    );
  }
  const code =
    service === 'ec2'
      ? 'InternalError'
      : service === 'sts'
        ? 'InternalFailure'
        : service === 'ecs'
          ? 'ServerException'
          : 'InternalServerError';
  return new ApiError(
    code,
    'An internal error occurred. Please try again.',
    500,
    service === 'sqs' ? 'InternalError' : undefined,
  );
}

/** The error each service returns when IAM denies a whole call. */
function accessDenied(service: Service, operation: string, principalArn: string): ApiError {
  const action = `${service}:${operation}`;
  const message = `User: ${principalArn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
  if (service === 'ec2') return new ApiError('UnauthorizedOperation', message, 403);
  if (service === 'sts') return new ApiError('AccessDenied', message, 403);
  if (service === 'sqs') return new ApiError('AccessDeniedException', message, 403, 'AccessDenied');
  return new ApiError('AccessDeniedException', message, 400);
}

/** Decides which service a request is for: X-Amz-Target prefix for JSON protocols, Action (and SigV4 scope) for Query. */
function classify(req: IncomingMessage, body: string): Parsed | ApiError {
  const target = req.headers['x-amz-target'];
  const t = Array.isArray(target) ? target[0] : target;
  if (t) {
    const prefix = t.startsWith(ECS_PREFIX)
      ? ECS_PREFIX
      : t.startsWith(SSM_PREFIX)
        ? SSM_PREFIX
        : t.startsWith(SQS_PREFIX)
          ? SQS_PREFIX
          : undefined;
    const service: Service | undefined =
      prefix === ECS_PREFIX
        ? 'ecs'
        : prefix === SSM_PREFIX
          ? 'ssm'
          : prefix === SQS_PREFIX
            ? 'sqs'
            : undefined;
    if (!prefix || !service)
      return new ApiError('UnknownOperationException', `unknown X-Amz-Target ${JSON.stringify(t)}`);
    const operation = t.slice(prefix.length);
    return { service, operation };
  }
  const ct = String(req.headers['content-type'] ?? '');
  if (req.method === 'POST' && (ct.includes('x-www-form-urlencoded') || body.startsWith('Action='))) {
    const query = parseQueryBody(body);
    const action = query.get('Action') ?? '';
    const scope = credentialScope(req.headers.authorization);
    const service: Service =
      scope.service === 'sts' || (scope.service !== 'ec2' && STS_ACTIONS.has(action)) ? 'sts' : 'ec2';
    return { service, operation: action, query };
  }
  return new ApiError(
    'UnknownOperationException',
    `cannot tell the protocol of ${req.method} ${req.url}: no X-Amz-Target header and no form-encoded Action`,
  );
}

function handlerFor(p: Parsed): ((ctx: RequestContext, input: never) => unknown) | undefined {
  const table: Record<Service, Record<string, unknown>> = {
    ecs: ECS_HANDLERS,
    ssm: SSM_HANDLERS,
    sqs: SQS_HANDLERS,
    ec2: EC2_HANDLERS,
    sts: STS_HANDLERS,
  };
  const h = table[p.service][p.operation];
  return typeof h === 'function' ? (h as (ctx: RequestContext, input: never) => unknown) : undefined;
}

function unknownOperation(p: Parsed): ApiError {
  if ((p.service === 'ec2' || p.service === 'sts') && p.operation === '') {
    return new ApiError('MissingAction', 'The request must contain the parameter Action.');
  }
  if (p.service === 'ec2' || p.service === 'sts') {
    return new ApiError(
      'InvalidAction',
      `The action ${p.operation || '(none)'} is not valid for this web service.`,
    );
  }
  return new ApiError('UnknownOperationException', `unknown operation ${p.operation}`);
}

function ok(p: Parsed, result: unknown, requestId: string): WireResponse {
  switch (p.service) {
    case 'ecs':
    case 'ssm':
      return jsonOk('1.1', result, requestId);
    case 'sqs':
      return jsonOk('1.0', result, requestId);
    case 'ec2':
      return ec2Ok(p.operation, result as XmlElement, requestId);
    case 'sts':
      return queryOk(p.operation, STS_NS, result as XmlElement, requestId);
  }
}

function send(res: ServerResponse, w: WireResponse, fault?: FaultKind): void {
  if (res.destroyed) return;
  if (fault === 'truncate') {
    const cut = w.body.slice(0, Math.max(1, Math.floor(w.body.length / 2)));
    res.writeHead(w.status, { ...w.headers, 'content-length': String(Buffer.byteLength(w.body)) });
    res.write(cut);
    // End the connection mid-body: the client sees a short read, as with a proxy that drops the stream.
    setImmediate(() => res.destroy());
    return;
  }
  let body = w.body;
  if (fault === 'malformed') {
    body = w.headers['content-type']?.includes('xml')
      ? '<?xml version="1.0"?><Broken><unclosed>'
      : '{"malformed": [tru';
  }
  res.writeHead(w.status, { ...w.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Builds the request handler: admin routes under `/_sim/`, everything else dispatched to the AWS service by protocol. */
export function buildApp(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { world, throttler, faults, counters } = deps;
  return (req, res) => {
    void (async () => {
      const body = await readBody(req).catch(() => undefined);
      if (body === undefined) {
        if (!res.destroyed) {
          res.writeHead(413, { 'content-type': 'text/plain' });
          res.end('request body too large');
        }
        return;
      }
      if (req.url?.startsWith('/_sim/') || req.url === '/_sim') {
        await deps.admin(req, res, body);
        return;
      }
      const requestId = newRequestId(world);
      const classified = classify(req, body);
      if (classified instanceof ApiError) {
        send(res, jsonError('1.1', classified, requestId));
        return;
      }
      const p = classified;
      const scope = credentialScope(req.headers.authorization);
      const session = scope.accessKeyId ? sessions({ world }).get(scope.accessKeyId) : undefined;
      let accountId = session?.accountId ?? world.defaultAccountId;
      if (!session && scope.accessKeyId) {
        for (const a of world.accounts.values()) if (a.accessKeyIds.has(scope.accessKeyId)) accountId = a.id;
      }
      const account = world.account(accountId);
      const principalArn = session?.arn ?? `arn:aws:iam::${account.id}:user/ecs-sim`;
      const record = (outcome: Outcome): void =>
        counters.record(account.id, p.service, p.operation || '(none)', outcome);

      const abort = new AbortController();
      const onShutdown = (): void => abort.abort();
      deps.shutdown.addEventListener('abort', onShutdown);
      res.on('close', () => {
        abort.abort();
        deps.shutdown.removeEventListener('abort', onShutdown);
      });

      const handler = handlerFor(p);
      if (!handler) {
        record('error');
        send(res, renderError(p, unknownOperation(p), requestId));
        return;
      }
      let input: Record<string, unknown> | QueryParams;
      try {
        input = p.query ?? parseJsonBody(body);
      } catch (err) {
        record('error');
        send(res, renderError(p, err as ApiError, requestId));
        return;
      }
      const ctxBase = {
        world,
        account,
        operation: p.operation,
        requestId,
        principalArn,
        accessKeyId: scope.accessKeyId,
      };
      const clusterName =
        p.service === 'ecs' && !(input instanceof Map)
          ? requestClusterName(
              { ...ctxBase, endpoint: '', faults: NO_HOOKS, aborted: abort.signal },
              p.operation,
              input,
            )
          : undefined;
      const callScope = { operation: p.operation, account: account.id, cluster: clusterName };

      const delay = deps.latencyMs() + faults.latency(callScope);
      if (delay > 0) await sleep(delay, deps.shutdown);

      const fault = faults.pick(callScope);
      if (fault === 'reset') {
        record('faulted');
        req.socket.destroy();
        return;
      }
      if (fault === 'http500' || fault === 'http503') {
        record('faulted');
        send(res, renderError(p, serverError(p.service, fault === 'http500' ? 500 : 503), requestId));
        return;
      }
      if (fault === 'throttle') {
        record('faulted');
        send(res, renderError(p, throttleError(p.service), requestId));
        return;
      }
      if (faults.deniesCall(callScope)) {
        record('faulted');
        send(res, renderError(p, accessDenied(p.service, p.operation, principalArn), requestId));
        return;
      }
      const unfiltered = input instanceof Map ? isUnfilteredUnpaginated(input) : false;
      if (!throttler.take(account.id, throttleCategory(p.service, p.operation, unfiltered))) {
        record('throttled');
        send(res, renderError(p, throttleError(p.service), requestId));
        return;
      }
      const hooks: ClusterFaultHooks = {
        checkCluster(name) {
          if (faults.denies(callScope, name)) {
            const arn = world.ecsArn(account, `cluster/${name}`);
            throw new ApiError(
              'AccessDeniedException',
              `User: ${principalArn} is not authorized to perform: ecs:${p.operation} on resource: ${arn} because no identity-based policy allows the ecs:${p.operation} action`,
            );
          }
        },
        listed(names) {
          for (const n of names) {
            const c = account.clusters.get(n);
            if (c && faults.deletesAfterList(callScope, n)) deferred.push(() => world.deleteCluster(c));
          }
        },
      };
      const deferred: (() => void)[] = [];
      const ctx: RequestContext = {
        ...ctxBase,
        endpoint: deps.endpoint(),
        faults: hooks,
        aborted: abort.signal,
      };
      let wire: WireResponse;
      try {
        const result = await handler(ctx, input as never);
        wire = ok(p, result, requestId);
        record(fault ? 'faulted' : 'ok');
      } catch (err) {
        if (err instanceof ApiError) {
          record(err.code === 'AccessDeniedException' ? 'faulted' : 'error');
          wire = renderError(p, err, requestId);
        } else {
          record('error');
          wire = renderError(p, serverError(p.service, 500), requestId);
          process.emitWarning(`ecs-sim: ${p.operation} failed: ${(err as Error).stack ?? String(err)}`);
        }
      }
      for (const d of deferred) d();
      send(res, wire, fault);
    })().catch((err: unknown) => {
      process.emitWarning(`ecs-sim: request failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"__type":"InternalFailure","message":"internal error"}');
      } else res.destroy();
    });
  };
}

const NO_HOOKS: ClusterFaultHooks = { checkCluster() {}, listed() {} };
