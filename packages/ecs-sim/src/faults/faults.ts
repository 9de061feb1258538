import { Prng } from '../state/prng.ts';

/** Kinds of injected faults. */
export const FAULT_KINDS = [
  'throttle',
  'http500',
  'http503',
  'reset',
  'truncate',
  'malformed',
  'latency',
  'access-denied',
  'delete-between-list-and-describe',
] as const;
/** One fault kind. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault rule: which calls it hits (operation, cluster, account), how often (rate, count) and what it does. */
export interface FaultSpec {
  kind: FaultKind;
  /** Operation name (e.g. DescribeTasks); absent or `*` hits every operation. */
  operation?: string | undefined;
  /** Probability per matching call, from the seeded PRNG. @default 1 */
  rate?: number | undefined;
  /** Fail only the next N matching calls, then the rule removes itself. */
  count?: number | undefined;
  /**
   * Only calls scoped to this cluster (required for delete-between-list-and-describe; access-denied needs a cluster or
   * an operation: without a cluster it denies every matching call, e.g. SQS ReceiveMessage).
   */
  cluster?: string | undefined;
  /** Only calls from this account. */
  account?: string | undefined;
  /** Added latency for kind `latency`. */
  latencyMs?: number | undefined;
}

/** A registered fault rule with its id. */
export interface FaultRule extends FaultSpec {
  id: string;
  hits: number;
}

/** What a matching call sees. */
export interface CallScope {
  operation: string;
  account: string;
  cluster: string | undefined;
}

/** Parses `op=DescribeTasks,rate=0.3,kind=http500` (also `latency=200`, `count=2`, `cluster=prod`); returns problems as strings. */
export function parseFaultSpec(text: string): FaultSpec | string[] {
  const problems: string[] = [];
  const spec: Partial<FaultSpec> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    switch (key) {
      case 'op':
      case 'operation':
        spec.operation = value;
        break;
      case 'kind':
        if ((FAULT_KINDS as readonly string[]).includes(value)) spec.kind = value as FaultKind;
        else
          problems.push(
            `fault kind: got ${JSON.stringify(value)}, expected one of ${FAULT_KINDS.join(', ')}`,
          );
        break;
      case 'rate': {
        const n = Number(value);
        if (value === '' || !(n >= 0 && n <= 1))
          problems.push(`fault rate: got ${JSON.stringify(value)}, expected a number from 0 to 1`);
        else spec.rate = n;
        break;
      }
      case 'count': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1)
          problems.push(`fault count: got ${JSON.stringify(value)}, expected a positive integer`);
        else spec.count = n;
        break;
      }
      case 'latency':
      case 'latencyMs': {
        const n = Number(value);
        if (value === '' || !Number.isFinite(n) || n < 0) {
          problems.push(`fault latency: got ${JSON.stringify(value)}, expected milliseconds >= 0`);
        } else {
          spec.latencyMs = n;
          spec.kind ??= 'latency';
        }
        break;
      }
      case 'cluster':
        spec.cluster = value;
        break;
      case 'account':
        spec.account = value;
        break;
      default:
        problems.push(
          `fault ${JSON.stringify(text)}: unknown key ${JSON.stringify(key)}, expected op, kind, rate, count, latency, cluster or account`,
        );
    }
  }
  if (spec.kind === undefined && problems.length === 0) {
    problems.push(`fault ${JSON.stringify(text)}: missing kind, expected kind=${FAULT_KINDS.join('|')}`);
  }
  const p = validateFault(spec);
  problems.push(...p);
  return problems.length > 0 ? problems : (spec as FaultSpec);
}

/** Checks a programmatic fault spec; returns problems. */
export function validateFault(spec: Partial<FaultSpec>): string[] {
  const problems: string[] = [];
  if (spec.kind !== undefined && !(FAULT_KINDS as readonly string[]).includes(spec.kind)) {
    problems.push(`fault kind: got ${JSON.stringify(spec.kind)}, expected one of ${FAULT_KINDS.join(', ')}`);
  }
  if (spec.kind === 'delete-between-list-and-describe' && !spec.cluster) {
    problems.push(`fault kind ${spec.kind}: missing cluster, expected cluster=NAME`);
  }
  if (
    spec.kind === 'access-denied' &&
    !spec.cluster &&
    (spec.operation === undefined || spec.operation === '' || spec.operation === '*')
  ) {
    problems.push(
      `fault kind ${spec.kind}: missing cluster or operation, expected cluster=NAME or op=OPERATION`,
    );
  }
  if (spec.rate !== undefined && !(spec.rate >= 0 && spec.rate <= 1)) {
    problems.push(`fault rate: got ${spec.rate}, expected a number from 0 to 1`);
  }
  if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count >= 1)) {
    problems.push(`fault count: got ${spec.count}, expected a positive integer`);
  }
  return problems;
}

/** The fault rules of one simulator; decisions come from a seeded PRNG so tests are deterministic. */
export class Faults {
  readonly #rules = new Map<string, FaultRule>();
  readonly #prng: Prng;
  #next = 1;

  constructor(seed: number) {
    this.#prng = new Prng(seed ^ 0x5eed);
  }

  /** Adds a rule; throws an Error listing the problems when the spec is invalid. */
  add(spec: FaultSpec): string {
    const problems = validateFault(spec);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const id = `f${this.#next++}`;
    this.#rules.set(id, { ...spec, id, hits: 0 });
    return id;
  }

  /** Removes one rule. */
  remove(id: string): boolean {
    return this.#rules.delete(id);
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules.clear();
  }

  /** The current rules. */
  list(): FaultRule[] {
    return [...this.#rules.values()].map((r) => ({ ...r }));
  }

  #matches(r: FaultRule, scope: CallScope): boolean {
    if (r.operation !== undefined && r.operation !== '*' && r.operation !== scope.operation) return false;
    if (r.account !== undefined && r.account !== scope.account) return false;
    if (r.cluster !== undefined && r.cluster !== scope.cluster) return false;
    return true;
  }

  #fire(r: FaultRule): boolean {
    const rate = r.rate ?? 1;
    if (rate < 1 && this.#prng.next() >= rate) return false;
    r.hits++;
    if (r.count !== undefined) {
      r.count--;
      if (r.count <= 0) this.#rules.delete(r.id);
    }
    return true;
  }

  /** Total added latency for a call (latency rules that fire). */
  latency(scope: CallScope): number {
    let ms = 0;
    for (const r of [...this.#rules.values()]) {
      if (r.kind === 'latency' && this.#matches(r, scope) && this.#fire(r)) ms += r.latencyMs ?? 0;
    }
    return ms;
  }

  /** The first transport/response fault that fires for this call, if any. */
  pick(scope: CallScope): FaultKind | undefined {
    for (const r of [...this.#rules.values()]) {
      if (r.kind === 'latency' || r.kind === 'access-denied' || r.kind === 'delete-between-list-and-describe')
        continue;
      if (this.#matches(r, scope) && this.#fire(r)) return r.kind;
    }
    return undefined;
  }

  /** Whether an access-denied rule fires for this call on `cluster`. */
  denies(scope: CallScope, cluster: string): boolean {
    for (const r of [...this.#rules.values()]) {
      if (r.kind !== 'access-denied' || r.cluster !== cluster) continue;
      if (this.#matches(r, { ...scope, cluster }) && this.#fire(r)) return true;
    }
    return false;
  }

  /** Whether an access-denied rule without a cluster fires for this whole call (any service, e.g. SQS). */
  deniesCall(scope: CallScope): boolean {
    for (const r of [...this.#rules.values()]) {
      if (r.kind !== 'access-denied' || r.cluster !== undefined) continue;
      if (this.#matches(r, scope) && this.#fire(r)) return true;
    }
    return false;
  }

  /** Whether a delete-between-list-and-describe rule fires after a List that returned `cluster`. */
  deletesAfterList(scope: CallScope, cluster: string): boolean {
    for (const r of [...this.#rules.values()]) {
      if (r.kind !== 'delete-between-list-and-describe' || r.cluster !== cluster) continue;
      if (this.#matches(r, { ...scope, cluster }) && this.#fire(r)) return true;
    }
    return false;
  }
}
