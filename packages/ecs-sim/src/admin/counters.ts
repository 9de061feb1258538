import { Counter, Gauge, Registry } from 'prom-client';
import type { World } from '../state/world.ts';

/** Outcome of one API call as counted. */
export type Outcome = 'ok' | 'error' | 'throttled' | 'faulted';

/** Per-operation counts of one account. */
export interface OperationCounts {
  calls: number;
  ok: number;
  error: number;
  throttled: number;
  faulted: number;
}

/** Per account and operation call counters, mirrored into an own prom-client Registry. */
export class Counters {
  readonly registry = new Registry();
  readonly #byAccount = new Map<string, Map<string, OperationCounts>>();
  readonly #requests: Counter<'account' | 'service' | 'operation' | 'outcome'>;

  constructor(world: World) {
    this.#requests = new Counter({
      name: 'ecs_sim_requests_total',
      help: 'API calls served by ecs-sim, by account, service, operation and outcome',
      labelNames: ['account', 'service', 'operation', 'outcome'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'ecs_sim_tasks',
      help: 'Tasks in the simulated fleet by account and lastStatus',
      labelNames: ['account', 'last_status'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const a of world.accounts.values()) {
          const counts = new Map<string, number>();
          for (const c of a.clusters.values()) {
            for (const t of c.tasks.values()) counts.set(t.lastStatus, (counts.get(t.lastStatus) ?? 0) + 1);
          }
          for (const [s, n] of counts) this.set({ account: a.id, last_status: s }, n);
        }
      },
    });
  }

  /** Counts one call. */
  record(account: string, service: string, operation: string, outcome: Outcome): void {
    let ops = this.#byAccount.get(account);
    if (!ops) {
      ops = new Map();
      this.#byAccount.set(account, ops);
    }
    let c = ops.get(operation);
    if (!c) {
      c = { calls: 0, ok: 0, error: 0, throttled: 0, faulted: 0 };
      ops.set(operation, c);
    }
    c.calls++;
    c[outcome]++;
    this.#requests.inc({ account, service, operation, outcome });
  }

  /** `{ Operation: calls }` for one account. */
  calls(account: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, c] of this.#byAccount.get(account) ?? []) out[op] = c.calls;
    return out;
  }

  /** Everything: `{ accountId: { Operation: { calls, ok, error, throttled, faulted } } }`. */
  snapshot(): Record<string, Record<string, OperationCounts>> {
    const out: Record<string, Record<string, OperationCounts>> = {};
    for (const [a, ops] of this.#byAccount) {
      out[a] = {};
      for (const [op, c] of ops) out[a][op] = { ...c };
    }
    return out;
  }

  /** Zeroes every counter (JSON and Prometheus). */
  reset(): void {
    this.#byAccount.clear();
    this.#requests.reset();
  }
}
