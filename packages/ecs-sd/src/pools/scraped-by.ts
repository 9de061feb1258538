/**
 * Which pool members scrape a task's targets: what `explain`, `/api/v1/tasks` and the status
 * page's task detail say beside a decision. Pure.
 */
import type { TaskDecision } from '../discovery/types.ts';
import type { PoolAssignment } from './pool-assignments.ts';

/** One target of a task in one pool, and the members that scrape it. */
export interface ScrapedBy {
  pool: string;
  /** The target's address (host:port) and its identity. */
  address: string;
  key: string;
  /** Member ids, highest weight first; empty while the pool has no members. */
  members: string[];
}

/** Every pool that shares one of the task's targets, and by whom each is scraped. */
export function scrapedBy(
  decision: TaskDecision,
  assignments: ReadonlyMap<string, PoolAssignment>,
): ScrapedBy[] {
  const out: ScrapedBy[] = [];
  for (const [pool, assignment] of assignments) {
    for (const container of decision.containers) {
      for (const target of container.targets) {
        const members = assignment.byTarget.get(target.key);
        if (members === undefined) continue;
        out.push({ pool, address: target.address, key: target.key, members: [...members] });
      }
    }
  }
  return out;
}

/** The lines `explain` prints: one per target and pool. */
export function scrapedByLines(entries: readonly ScrapedBy[]): string[] {
  return entries.map(
    (entry) =>
      `  pool ${JSON.stringify(entry.pool)}: ${entry.address} scraped by ${
        entry.members.length === 0
          ? 'nobody (the pool has no members)'
          : `member${entry.members.length === 1 ? '' : 's'} ${entry.members.join(', ')}`
      }`,
  );
}
