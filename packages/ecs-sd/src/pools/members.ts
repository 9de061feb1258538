/**
 * Who is in a pool right now: the RUNNING tasks of its service or family in its cluster (from the
 * decisions the crawl and the events keep current), plus its static names. Pure.
 */
import type { PoolConfig } from '../config/types.ts';
import type { TaskDecision } from '../discovery/types.ts';
import { familyAndRevision } from '../lib/arn.ts';

/** One member of a pool. */
export interface PoolMember {
  /** The task id (last segment of its ARN), or the static name. */
  id: string;
  kind: 'ecs' | 'static';
  taskArn?: string;
  /** The task's ENI address: requests from it without `member=` are this member's. */
  privateIpv4?: string;
}

/** True when a decision's task is a RUNNING task of the pool's service or family in the pool's cluster. */
export function isMemberTask(ecs: NonNullable<PoolConfig['ecs']>, decision: TaskDecision): boolean {
  if (decision.lastStatus !== 'RUNNING') return false;
  if (decision.source !== ecs.source || decision.clusterName !== ecs.cluster) return false;
  if (ecs.service !== undefined) return decision.group === `service:${ecs.service}`;
  const family =
    decision.taskDefinitionArn === undefined
      ? undefined
      : familyAndRevision(decision.taskDefinitionArn)?.family;
  return family === ecs.family;
}

/** The members of a pool, by id (ECS tasks first, then static names not already taken by a task id). */
export function poolMembers(pool: PoolConfig, decisions: readonly TaskDecision[]): PoolMember[] {
  const members = new Map<string, PoolMember>();
  const { ecs } = pool;
  if (ecs !== undefined) {
    for (const decision of decisions) {
      if (decision.taskId === '' || !isMemberTask(ecs, decision)) continue;
      members.set(decision.taskId, {
        id: decision.taskId,
        kind: 'ecs',
        taskArn: decision.taskArn,
        ...(decision.privateIpv4 === undefined ? {} : { privateIpv4: decision.privateIpv4 }),
      });
    }
  }
  for (const name of pool.staticMembers) {
    if (!members.has(name)) members.set(name, { id: name, kind: 'static' });
  }
  return [...members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
