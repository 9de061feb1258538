import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counters, Outcome } from '../admin/counters.ts';
import type { ClusterFaultHooks, RequestContext } from '../api/context.ts';
import type { CallScope, Faults } from '../faults/faults.ts';
import { ApiError } from '../protocols/errors.ts';
import { jsonError } from '../protocols/json.ts';
import type { OperationInput } from '../protocols/protocol.ts';
import type { World } from '../state/world.ts';
import type { Throttler } from '../throttle/buckets.ts';
import { type Reply, send } from './reply.ts';
import { type ApiRequest, authenticate, type Caller, classify } from './request.ts';
import { type Operation, SERVICES } from './services.ts';

/** What the request pipeline reads and drives: the world and the cross-cutting machinery. */
export interface PipelineDeps {
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
}

/** One call after parsing and authentication. */
interface Call extends ApiRequest {
  requestId: string;
  caller: Caller;
  /** Aborted when the connection closes or the simulator shuts down. */
  aborted: AbortSignal;
}

/** How a call ends, and how it is counted. */
interface Answer {
  reply: Reply;
  outcome: Outcome;
}

/**
 * Serves one AWS API request as named steps: parse → authenticate → operation and input → delay → fault → throttle →
 * dispatch (handler, serialize) → count → send. Every step that ends the call returns its Answer; nothing is thrown.
 */
export async function serveApi(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  // The request id is the first draw from the world's PRNG of every request: ids of a seeded run stay the same.
  const requestId = deps.world.prng.uuid();
  const request = classify(SERVICES, req.method, req.url, req.headers, body);
  if (request instanceof ApiError) {
    send(req, res, { kind: 'respond', wire: jsonError('1.1', request, requestId) });
    return;
  }
  const caller = authenticate(deps.world, req.headers.authorization);
  const call: Call = { ...request, requestId, caller, aborted: abortOnClose(res, deps.shutdown) };
  const { reply, outcome } = await answer(deps, call, body);
  count(deps.counters, call, outcome);
  send(req, res, reply);
}

async function answer(deps: PipelineDeps, call: Call, body: string): Promise<Answer> {
  const operation = Object.hasOwn(call.service.operations, call.operation)
    ? call.service.operations[call.operation]
    : undefined;
  if (!operation) return failure(call, call.service.protocol.unknownOperation(call.operation), 'error');
  let input: OperationInput;
  try {
    input = call.service.protocol.readInput(body, call.params);
  } catch (err) {
    return failure(call, err as ApiError, 'error');
  }
  const scope: CallScope = {
    operation: call.operation,
    account: call.caller.account.id,
    cluster: call.service.clusterOf(
      { world: deps.world, account: call.caller.account },
      call.operation,
      input,
    ),
  };
  await delay(deps, scope);
  const fault = injectFault(deps, call, scope);
  if ('reply' in fault) return fault;
  if (!deps.throttler.take(call.caller.account.id, call.service.throttleCategory(call.operation, input))) {
    return failure(call, call.service.errors.throttled(), 'throttled');
  }
  return dispatch(deps, call, scope, operation, input, fault.mangle);
}

/** An error answer in the service's protocol. */
function failure(call: Call, err: ApiError, outcome: Outcome, mangle?: 'truncate' | 'malformed'): Answer {
  return {
    reply: { kind: 'respond', wire: call.service.protocol.error(err, call.requestId), mangle },
    outcome,
  };
}

/** Step "delay": the global latency plus every latency fault that fires; ends early on shutdown. */
async function delay(deps: PipelineDeps, scope: CallScope): Promise<void> {
  const ms = deps.latencyMs() + deps.faults.latency(scope);
  if (ms <= 0 || deps.shutdown.aborted) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      deps.shutdown.removeEventListener('abort', done);
      resolve();
    }
    deps.shutdown.addEventListener('abort', done);
  });
}

/**
 * Step "fault": a rule that fires ends the call here (connection reset, HTTP 500/503, throttling, access denied to
 * the whole call), or marks its answer to be mangled on the wire (truncated or malformed body).
 */
function injectFault(
  deps: PipelineDeps,
  call: Call,
  scope: CallScope,
): Answer | { mangle: 'truncate' | 'malformed' | undefined } {
  const fault = deps.faults.pick(scope);
  const errors = call.service.errors;
  switch (fault) {
    case 'reset':
      return { reply: { kind: 'reset' }, outcome: 'faulted' };
    case 'http500':
      return failure(call, errors.internal(), 'faulted');
    case 'http503':
      return failure(call, errors.unavailable(), 'faulted');
    case 'throttle':
      return failure(call, errors.throttled(), 'faulted');
  }
  if (deps.faults.deniesCall(scope)) {
    return failure(call, errors.accessDenied(call.operation, call.caller.principalArn), 'faulted');
  }
  return { mangle: fault === 'truncate' || fault === 'malformed' ? fault : undefined };
}

/** Step "dispatch": runs the operation and serializes its result or error; cluster faults act through hooks. */
async function dispatch(
  deps: PipelineDeps,
  call: Call,
  scope: CallScope,
  operation: Operation,
  input: OperationInput,
  mangle: 'truncate' | 'malformed' | undefined,
): Promise<Answer> {
  const deferred: (() => void)[] = [];
  const { account, principalArn, accessKeyId } = call.caller;
  const ctx: RequestContext = {
    world: deps.world,
    account,
    operation: call.operation,
    requestId: call.requestId,
    principalArn,
    accessKeyId,
    endpoint: deps.endpoint(),
    faults: clusterFaults(deps, call, scope, deferred),
    aborted: call.aborted,
  };
  let done: Answer;
  try {
    const result = await operation(ctx, input as never);
    done = {
      reply: {
        kind: 'respond',
        wire: call.service.protocol.ok(call.operation, result, call.requestId),
        mangle,
      },
      outcome: mangle ? 'faulted' : 'ok',
    };
  } catch (err) {
    if (err instanceof ApiError) {
      done = failure(call, err, err.code === 'AccessDeniedException' ? 'faulted' : 'error', mangle);
    } else {
      done = failure(call, call.service.errors.internal(), 'error', mangle);
      process.emitWarning(`ecs-sim: ${call.operation} failed: ${(err as Error).stack ?? String(err)}`);
    }
  }
  for (const d of deferred) d();
  return done;
}

/** Cluster-scoped faults as handlers see them: access denied to one cluster, a cluster deleted after a List. */
function clusterFaults(
  deps: PipelineDeps,
  call: Call,
  scope: CallScope,
  deferred: (() => void)[],
): ClusterFaultHooks {
  const { world, faults } = deps;
  const { account, principalArn } = call.caller;
  const op = call.operation;
  return {
    checkCluster(name) {
      if (!faults.denies(scope, name)) return;
      const arn = world.ecsArn(account, `cluster/${name}`);
      throw new ApiError(
        'AccessDeniedException',
        `User: ${principalArn} is not authorized to perform: ecs:${op} on resource: ${arn} because no identity-based policy allows the ecs:${op} action`,
      );
    },
    listed(names) {
      for (const n of names) {
        const c = account.clusters.get(n);
        if (c && faults.deletesAfterList(scope, n)) deferred.push(() => world.deleteCluster(c));
      }
    },
  };
}

/** Step "count": one call, by account, service, operation and outcome. */
function count(counters: Counters, call: Call, outcome: Outcome): void {
  counters.record(call.caller.account.id, call.service.name, call.operation || '(none)', outcome);
}

/** A signal aborted when the response's connection closes or the simulator shuts down. */
function abortOnClose(res: ServerResponse, shutdown: AbortSignal): AbortSignal {
  const abort = new AbortController();
  const onShutdown = (): void => abort.abort();
  shutdown.addEventListener('abort', onShutdown);
  res.on('close', () => {
    abort.abort();
    shutdown.removeEventListener('abort', onShutdown);
  });
  return abort.signal;
}
