import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type EventDeliveryCounts,
  type EventDeliveryOptions,
  validateEventDelivery,
} from '../events/delivery.ts';
import { type FaultSpec, type Faults, parseFaultSpec } from '../faults/faults.ts';
import type { Throttler } from '../throttle/buckets.ts';
import type { Counters } from './counters.ts';

/**
 * What the admin API may see and do in a running simulator. A narrow view the simulator hands in, so `admin/` depends
 * on no part of what it controls (nor on `sim.ts`, which builds it).
 */
export interface AdminControl {
  readonly counters: Pick<Counters, 'snapshot' | 'reset' | 'registry'>;
  readonly faults: Pick<Faults, 'list' | 'add' | 'remove' | 'clear'>;
  readonly throttler: Pick<Throttler, 'settings' | 'configure'>;
  setLatency(ms: number): void;
  /** DescribeClusters and DescribeServices serve counts as they were `ms` ago (0: live). */
  setCountLag(ms: number): void;
  /** Moves the lifecycle clock forward and runs due steps. */
  advance(ms: number): void;
  /** Runs every pending lifecycle step now. */
  settle(): void;
  /** Lifecycle steps still pending. */
  pendingSteps(): number;
  setEventsQueue(queue: string | undefined, accountId?: string): void;
  eventDelivery(): EventDeliveryOptions & { counts: EventDeliveryCounts };
  setEventDelivery(options: Partial<EventDeliveryOptions>): EventDeliveryOptions;
  stopTask(taskArn: string, reason?: string): void;
  setTaskChaos(taskArn: string, chaos: { missing?: string[]; bindingUnassigned?: boolean }): void;
  /** The ground truth as the `GET /_sim/state` body. */
  stateJson(): string;
}

/** One admin answer. */
interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Route = (ctl: AdminControl, input: Record<string, unknown>, url: URL) => Reply | Promise<Reply>;

function json(status: number, value: unknown): Reply {
  const body = JSON.stringify(value);
  return {
    status,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}

const ok = (value: unknown = {}): Reply => json(200, value);
const bad = (error: string): Reply => json(400, { error });

function milliseconds(input: Record<string, unknown>): number | Reply {
  const ms = input['ms'];
  if (typeof ms !== 'number' || ms < 0) return bad(`ms: got ${JSON.stringify(ms)}, expected a number >= 0`);
  return ms;
}

/** Admin routes by `METHOD /path`. */
const ROUTES: Record<string, Route> = {
  'GET /_sim/health': () => ok({ status: 'ok' }),
  'GET /_sim/counters': (ctl, _, url) => {
    const account = url.searchParams.get('account');
    const snap = ctl.counters.snapshot();
    return ok(account ? { [account]: snap[account] ?? {} } : snap);
  },
  'POST /_sim/counters/reset': (ctl) => {
    ctl.counters.reset();
    return ok();
  },
  'GET /_sim/metrics': async (ctl) => ({
    status: 200,
    headers: { 'content-type': ctl.counters.registry.contentType },
    body: await ctl.counters.registry.metrics(),
  }),
  'GET /_sim/state': (ctl) => {
    const body = ctl.stateJson();
    return {
      status: 200,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body,
    };
  },
  'GET /_sim/faults': (ctl) => ok({ faults: ctl.faults.list() }),
  'POST /_sim/faults': (ctl, input) => {
    const spec: FaultSpec | string[] =
      typeof input['spec'] === 'string' ? parseFaultSpec(input['spec']) : (input as unknown as FaultSpec);
    if (Array.isArray(spec)) return bad(spec.join('; '));
    return ok({ id: ctl.faults.add(spec) });
  },
  'DELETE /_sim/faults': (ctl) => {
    ctl.faults.clear();
    return ok();
  },
  'GET /_sim/throttle': (ctl) => ok(ctl.throttler.settings),
  'POST /_sim/throttle': (ctl, input) => {
    const enabled = input['enabled'];
    const scale = input['scale'];
    if (
      (enabled !== undefined && typeof enabled !== 'boolean') ||
      (scale !== undefined && !(typeof scale === 'number' && scale > 0))
    ) {
      return bad('expected {"enabled": boolean, "scale": number > 0}');
    }
    ctl.throttler.configure({
      ...(enabled !== undefined ? { enabled } : {}),
      ...(scale !== undefined ? { scale } : {}),
    });
    return ok(ctl.throttler.settings);
  },
  'POST /_sim/latency': (ctl, input) => {
    const ms = milliseconds(input);
    if (typeof ms !== 'number') return ms;
    ctl.setLatency(ms);
    return ok({ ms });
  },
  'POST /_sim/count-lag': (ctl, input) => {
    const ms = milliseconds(input);
    if (typeof ms !== 'number') return ms;
    ctl.setCountLag(ms);
    return ok({ ms });
  },
  'POST /_sim/advance': (ctl, input) => {
    const ms = milliseconds(input);
    if (typeof ms !== 'number') return ms;
    ctl.advance(ms);
    return ok({ pending: ctl.pendingSteps() });
  },
  'POST /_sim/settle': (ctl) => {
    ctl.settle();
    return ok({ pending: ctl.pendingSteps() });
  },
  'POST /_sim/events': (ctl, input) => {
    const queue = input['queue'];
    if (queue !== null && typeof queue !== 'string') return bad('queue: expected a queue name or null');
    ctl.setEventsQueue(
      queue ?? undefined,
      typeof input['account'] === 'string' ? input['account'] : undefined,
    );
    return ok();
  },
  'GET /_sim/events/delivery': (ctl) => ok(ctl.eventDelivery()),
  'POST /_sim/events/delivery': (ctl, input) => {
    const r = validateEventDelivery(input);
    if (Array.isArray(r)) return bad(r.join('; '));
    ctl.setEventDelivery(r);
    return ok(ctl.eventDelivery());
  },
  'POST /_sim/tasks/stop': (ctl, input) => {
    ctl.stopTask(String(input['taskArn']), typeof input['reason'] === 'string' ? input['reason'] : undefined);
    return ok();
  },
  'POST /_sim/tasks/chaos': (ctl, input) => {
    const missing = input['missing'];
    ctl.setTaskChaos(String(input['taskArn']), {
      missing: Array.isArray(missing) ? missing.map(String) : [],
      bindingUnassigned: input['bindingUnassigned'] === true,
    });
    return ok();
  },
};

function route(
  ctl: AdminControl,
  key: string,
  input: Record<string, unknown>,
  url: URL,
): Reply | Promise<Reply> {
  const r = ROUTES[key];
  if (r) return r(ctl, input, url);
  const del = /^DELETE \/_sim\/faults\/([\w-]+)$/.exec(key);
  if (del) return json(ctl.faults.remove(del[1]!) ? 200 : 404, {});
  return json(404, { error: `no admin route ${key}` });
}

function parseInput(body: string): Record<string, unknown> | undefined {
  try {
    const input: unknown = body.trim() === '' ? {} : JSON.parse(body);
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
    return input as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Admin routes under `/_sim/` (paths the AWS SDKs never use):
 * counters, metrics, ground-truth state, faults, throttling, latency, lifecycle, event delivery and task chaos.
 */
export async function handleAdmin(
  ctl: AdminControl,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const key = `${req.method} ${url.pathname.replace(/\/$/, '')}`;
  const input = parseInput(body);
  let reply: Reply;
  if (input === undefined) {
    reply = bad(`request body: got ${JSON.stringify(body.slice(0, 40))}, expected a JSON object`);
  } else {
    try {
      reply = await route(ctl, key, input, url);
    } catch (err) {
      reply = bad((err as Error).message);
    }
  }
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}
