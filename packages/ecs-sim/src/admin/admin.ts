import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateEventDelivery } from '../events/delivery.ts';
import { type FaultSpec, parseFaultSpec } from '../faults/faults.ts';
import type { Sim } from '../sim.ts';
import { groundTruthJson } from '../state/ground-truth.ts';
import type { World } from '../state/world.ts';
import type { Counters } from './counters.ts';

/** What the admin API reaches. */
export interface AdminDeps {
  sim: Sim;
  counters: Counters;
  world: World;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function parse(body: string): unknown {
  if (body.trim() === '') return {};
  return JSON.parse(body);
}

/**
 * Admin routes under `/_sim/` (paths the AWS SDKs never use):
 * counters, metrics, ground-truth state, faults, throttling, latency, lifecycle, event delivery and task chaos.
 */
export async function handleAdmin(
  deps: AdminDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const { sim, counters, world } = deps;
  const url = new URL(req.url ?? '/', 'http://sim');
  const route = `${req.method} ${url.pathname.replace(/\/$/, '')}`;
  let input: Record<string, unknown>;
  try {
    input = parse(body) as Record<string, unknown>;
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new Error('not an object');
  } catch {
    return json(res, 400, {
      error: `request body: got ${JSON.stringify(body.slice(0, 40))}, expected a JSON object`,
    });
  }
  try {
    switch (route) {
      case 'GET /_sim/health':
        return json(res, 200, { status: 'ok' });
      case 'GET /_sim/counters': {
        const account = url.searchParams.get('account');
        const snap = counters.snapshot();
        return json(res, 200, account ? { [account]: snap[account] ?? {} } : snap);
      }
      case 'POST /_sim/counters/reset':
        counters.reset();
        return json(res, 200, {});
      case 'GET /_sim/metrics': {
        const text = await counters.registry.metrics();
        res.writeHead(200, { 'content-type': counters.registry.contentType });
        res.end(text);
        return;
      }
      case 'GET /_sim/state': {
        const text = groundTruthJson(world);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      case 'GET /_sim/faults':
        return json(res, 200, { faults: sim.faults.list() });
      case 'POST /_sim/faults': {
        let spec: FaultSpec | string[];
        if (typeof input['spec'] === 'string') spec = parseFaultSpec(input['spec']);
        else spec = input as unknown as FaultSpec;
        if (Array.isArray(spec)) return json(res, 400, { error: spec.join('; ') });
        return json(res, 200, { id: sim.faults.add(spec) });
      }
      case 'DELETE /_sim/faults':
        sim.faults.clear();
        return json(res, 200, {});
      case 'GET /_sim/throttle':
        return json(res, 200, sim.throttler.settings);
      case 'POST /_sim/throttle': {
        const enabled = input['enabled'];
        const scale = input['scale'];
        if (
          (enabled !== undefined && typeof enabled !== 'boolean') ||
          (scale !== undefined && !(typeof scale === 'number' && scale > 0))
        ) {
          return json(res, 400, { error: 'expected {"enabled": boolean, "scale": number > 0}' });
        }
        sim.throttler.configure({
          ...(enabled !== undefined ? { enabled } : {}),
          ...(scale !== undefined ? { scale } : {}),
        });
        return json(res, 200, sim.throttler.settings);
      }
      case 'POST /_sim/latency': {
        const ms = input['ms'];
        if (typeof ms !== 'number' || ms < 0)
          return json(res, 400, { error: `ms: got ${JSON.stringify(ms)}, expected a number >= 0` });
        sim.setLatency(ms);
        return json(res, 200, { ms });
      }
      case 'POST /_sim/advance': {
        const ms = input['ms'];
        if (typeof ms !== 'number' || ms < 0)
          return json(res, 400, { error: `ms: got ${JSON.stringify(ms)}, expected a number >= 0` });
        sim.advance(ms);
        return json(res, 200, { pending: world.scheduler.pending });
      }
      case 'POST /_sim/settle':
        sim.settle();
        return json(res, 200, { pending: world.scheduler.pending });
      case 'POST /_sim/events': {
        const queue = input['queue'];
        if (queue !== null && typeof queue !== 'string')
          return json(res, 400, { error: 'queue: expected a queue name or null' });
        sim.setEventsQueue(
          queue ?? undefined,
          typeof input['account'] === 'string' ? input['account'] : undefined,
        );
        return json(res, 200, {});
      }
      case 'GET /_sim/events/delivery':
        return json(res, 200, sim.eventDelivery());
      case 'POST /_sim/events/delivery': {
        const r = validateEventDelivery(input);
        if (Array.isArray(r)) return json(res, 400, { error: r.join('; ') });
        sim.setEventDelivery(r);
        return json(res, 200, sim.eventDelivery());
      }
      case 'POST /_sim/tasks/stop': {
        sim.stopTask(
          String(input['taskArn']),
          typeof input['reason'] === 'string' ? input['reason'] : undefined,
        );
        return json(res, 200, {});
      }
      case 'POST /_sim/tasks/chaos': {
        const missing = input['missing'];
        sim.setTaskChaos(String(input['taskArn']), {
          missing: Array.isArray(missing) ? missing.map(String) : [],
          bindingUnassigned: input['bindingUnassigned'] === true,
        });
        return json(res, 200, {});
      }
      default: {
        const del = /^DELETE \/_sim\/faults\/([\w-]+)$/.exec(route);
        if (del) return json(res, sim.faults.remove(del[1]!) ? 200 : 404, {});
        return json(res, 404, { error: `no admin route ${route}` });
      }
    }
  } catch (err) {
    return json(res, 400, { error: (err as Error).message });
  }
}
