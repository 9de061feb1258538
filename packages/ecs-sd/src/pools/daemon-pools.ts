/**
 * The daemon's scraper pools: the assignments over the runtime's current config, targets and
 * decisions, the moved-targets counter, and a rate-limited log line for requests of members that
 * are not (yet) in their pool.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { Target, TaskDecision } from '../discovery/types.ts';
import { type PoolAssignment, PoolAssignments } from './pool-assignments.ts';
import type { PoolMetrics } from './pool-metrics.ts';

/** How often one pool member's "not in the pool" line is logged at most. */
export const NOT_A_MEMBER_LOG_INTERVAL_MS = 60_000;
/** Members whose last "not in the pool" line is remembered (the oldest is forgotten first). */
const MAX_REMEMBERED = 1000;

/** What the pools read: the running config and the state's current targets and decisions. */
export interface PoolSources {
  config(): Pick<Config, 'pools'>;
  targets(): readonly Target[];
  decisions(): readonly TaskDecision[];
}

/** The pool sources of a runtime (its config and state), as every daemon, explain and bench wires them. */
export function runtimePoolSources(runtime: {
  readonly config: Pick<Config, 'pools'>;
  readonly state: { targets(): readonly Target[]; decisions(): readonly TaskDecision[] };
}): PoolSources {
  return {
    config: () => runtime.config,
    targets: () => runtime.state.targets(),
    decisions: () => runtime.state.decisions(),
  };
}

/** The pools of one daemon: what the web app, the status page and the metrics read. */
export interface DaemonPools {
  assignments(): ReadonlyMap<string, PoolAssignment>;
  notAMember(pool: string, member: string, reason: string): void;
}

/** Wires the pools of a daemon to its state, metrics and log. */
export function createDaemonPools(
  sources: PoolSources,
  options: { metrics?: PoolMetrics; log?: Logger; now?: () => number } = {},
): DaemonPools {
  const now = options.now ?? Date.now;
  const assignments = new PoolAssignments({
    now,
    onMoved: (pool, count) => options.metrics?.targetsMoved.inc({ pool }, count),
  });
  // Every pool's moved counter exists from its first assignment on (0), so rate() has a start.
  const counted = new Set<string>();
  const current = (): ReadonlyMap<string, PoolAssignment> => {
    const pools = sources.config().pools;
    for (const { name } of pools) {
      if (counted.has(name)) continue;
      counted.add(name);
      options.metrics?.targetsMoved.inc({ pool: name }, 0);
    }
    return assignments.current({ pools, targets: sources.targets(), decisions: sources.decisions() });
  };
  options.metrics?.setPoolProvider(current);
  const logged = new Map<string, number>();
  const log = options.log?.child({ component: 'pools' });
  return {
    assignments: current,
    notAMember(pool, member, reason) {
      const key = `${pool}\u0000${member}`;
      const at = now();
      const last = logged.get(key);
      if (last !== undefined && at - last < NOT_A_MEMBER_LOG_INTERVAL_MS) return;
      logged.delete(key);
      logged.set(key, at);
      if (logged.size > MAX_REMEMBERED) logged.delete(logged.keys().next().value!);
      log?.warn(
        { pool, member, reason },
        'http_sd request of a member not in its pool, answered with no targets',
      );
    },
  };
}
