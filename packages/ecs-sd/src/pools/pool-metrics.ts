/**
 * Metrics per scraper pool: members, targets per member, targets moved, assignment age. The
 * gauges read the current assignments on each scrape, so they never lag what http_sd serves.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PoolAssignment } from './pool-assignments.ts';

/** The pool metrics a daemon updates itself (the gauges read a provider). */
export interface PoolMetrics {
  /** Targets whose members changed from one assignment to the next, by pool. */
  targetsMoved: Counter<'pool'>;
  /** Sets where the gauges read the assignments from. */
  setPoolProvider(provider: () => ReadonlyMap<string, PoolAssignment>): void;
}

/** Registers the pool metrics in a registry. */
export function registerPoolMetrics(registry: Registry, now: () => number = Date.now): PoolMetrics {
  let provider: (() => ReadonlyMap<string, PoolAssignment>) | undefined;
  const read = (): ReadonlyMap<string, PoolAssignment> => provider?.() ?? new Map();
  new Gauge({
    name: 'ecs_sd_pool_members',
    help: 'Members of a scraper pool: RUNNING tasks of its service or family, and its static names.',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, assignment] of read()) this.set({ pool }, assignment.members.length);
    },
  });
  new Gauge({
    name: 'ecs_sd_pool_targets',
    help: 'Targets a scraper pool shares among its members (each counted once, whatever the replication).',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, assignment] of read()) this.set({ pool }, assignment.targets);
    },
  });
  new Gauge({
    name: 'ecs_sd_pool_member_targets',
    help: 'Targets a member of a scraper pool scrapes (its http_sd share).',
    labelNames: ['pool', 'member'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, assignment] of read()) {
        for (const [member, count] of assignment.perMember) this.set({ pool, member }, count);
      }
    },
  });
  new Gauge({
    name: 'ecs_sd_pool_assignment_age_seconds',
    help: "Seconds since a scraper pool's assignment last changed (a member joined or left, a target came, went or moved).",
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      const at = now();
      for (const [pool, assignment] of read())
        this.set({ pool }, Math.max(0, (at - assignment.changedAtMs) / 1000));
    },
  });
  const targetsMoved = new Counter({
    name: 'ecs_sd_pool_targets_moved_total',
    help: 'Targets of a scraper pool whose members changed from one assignment to the next (a member joined or left).',
    labelNames: ['pool'],
    registers: [registry],
  });
  return {
    targetsMoved,
    setPoolProvider(next) {
      provider = next;
    },
  };
}
