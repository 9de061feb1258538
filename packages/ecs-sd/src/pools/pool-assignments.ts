/**
 * The current assignment of every pool, computed again only when the targets, the decisions (the
 * members) or the pools changed, and compared with the previous one to count the targets that moved.
 */
import type { PoolConfig } from '../config/types.ts';
import type { Target, TaskDecision } from '../discovery/types.ts';
import { filterTargets } from '../output/target-filter.ts';
import { assignTarget, prepareMembers } from './assign.ts';
import { type PoolMember, poolMembers } from './members.ts';

/** One pool's assignment. */
export interface PoolAssignment {
  pool: PoolConfig;
  members: readonly PoolMember[];
  /** Target key → the ids of the members that scrape it (highest weight first). */
  byTarget: ReadonlyMap<string, readonly string[]>;
  /** Member id → how many targets it scrapes. */
  perMember: ReadonlyMap<string, number>;
  /** Targets the pool shares (before replication). */
  targets: number;
  /** Epoch milliseconds when this assignment last changed (members, or a target added, removed or moved). */
  changedAtMs: number;
}

/** What the assignments are computed from: the daemon's current targets and decisions, and the pools. */
export interface PoolInputs {
  pools: readonly PoolConfig[];
  targets: readonly Target[];
  decisions: readonly TaskDecision[];
}

interface Cached {
  inputs: { pool: PoolConfig; targets: readonly Target[]; decisions: readonly TaskDecision[] };
  memberKey: string;
  assignment: PoolAssignment;
}

function sameMembers(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((id, index) => id === b[index]);
}

/** Computes each pool's assignment when its inputs change; counts moved targets through `onMoved`. */
export class PoolAssignments {
  readonly #now: () => number;
  readonly #onMoved: ((pool: string, count: number) => void) | undefined;
  #cache = new Map<string, Cached>();

  constructor(options: { now?: () => number; onMoved?: (pool: string, count: number) => void } = {}) {
    this.#now = options.now ?? Date.now;
    this.#onMoved = options.onMoved;
  }

  /** Every configured pool's assignment, by pool name, in config order. */
  current(inputs: PoolInputs): Map<string, PoolAssignment> {
    const out = new Map<string, PoolAssignment>();
    const next = new Map<string, Cached>();
    for (const pool of inputs.pools) {
      const cached = this.#cache.get(pool.name);
      const fresh =
        cached !== undefined &&
        cached.inputs.pool === pool &&
        cached.inputs.targets === inputs.targets &&
        cached.inputs.decisions === inputs.decisions
          ? cached
          : this.#compute(pool, inputs, cached);
      next.set(pool.name, fresh);
      out.set(pool.name, fresh.assignment);
    }
    this.#cache = next;
    return out;
  }

  /** One pool's assignment, if the pool is configured. */
  of(name: string, inputs: PoolInputs): PoolAssignment | undefined {
    return this.current(inputs).get(name);
  }

  #compute(pool: PoolConfig, inputs: PoolInputs, previous: Cached | undefined): Cached {
    const members = poolMembers(pool, inputs.decisions);
    const ids = members.map((member) => member.id);
    const memberKey = ids.join('\u0000');
    const selected = filterTargets(inputs.targets, pool.targets);
    const before = previous?.assignment;
    const reuse =
      before !== undefined &&
      previous!.memberKey === memberKey &&
      previous!.inputs.pool.replication === pool.replication;
    const prepared = prepareMembers(ids);
    const byTarget = new Map<string, readonly string[]>();
    const perMember = new Map<string, number>(ids.map((id) => [id, 0]));
    let moved = 0;
    let changed = before === undefined || !reuse || before.targets !== selected.length;
    for (const target of selected) {
      const old = before?.byTarget.get(target.key);
      const assigned =
        reuse && old !== undefined ? old : assignTarget(target.key, prepared, pool.replication);
      byTarget.set(target.key, assigned);
      for (const id of assigned) perMember.set(id, (perMember.get(id) ?? 0) + 1);
      if (old === undefined) changed = true;
      else if (!sameMembers(old, assigned)) moved++;
    }
    if (moved > 0) {
      changed = true;
      this.#onMoved?.(pool.name, moved);
    }
    const assignment: PoolAssignment = {
      pool,
      members,
      byTarget,
      perMember,
      targets: selected.length,
      changedAtMs: changed || before === undefined ? this.#now() : before.changedAtMs,
    };
    return { inputs: { pool, targets: inputs.targets, decisions: inputs.decisions }, memberKey, assignment };
  }
}
