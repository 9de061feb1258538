/**
 * `/http-sd?pool=NAME&member=ID`: which member asks, and which of the targets http_sd selected are
 * its share. A member not (yet) in the pool gets an empty list and a header saying why, never
 * another member's targets. Without `member`, the caller is the member whose task's private IP is
 * the request's source address, when exactly one is.
 */
import type { Target } from '../discovery/types.ts';
import type { PoolAssignment } from '../pools/pool-assignments.ts';

/** Query parameters of a pool request, besides http_sd's job, interval and cluster. */
export const POOL_PARAMS = ['pool', 'member'] as const;
/** Header that says why a pool request got an empty share. */
export const POOL_HEADER = 'X-ECS-SD-Pool';

/** A member id as a header may quote it: a task id or a static name. */
const MEMBER_ID = /^[\x21-\x7e]{0,255}$/;

/** What a pool request resolves to: a member's share, an empty list with a reason, or an error reply. */
export type PoolRequest =
  | { kind: 'share'; pool: string; member: string; keep: (target: Target) => boolean }
  | { kind: 'empty'; pool: string; member: string; reason: string }
  | { kind: 'error'; status: 400 | 404; message: string };

/** The request's parameters without `pool` and `member`, for the ordinary http_sd filter. */
export function withoutPoolParams(query: URLSearchParams): URLSearchParams {
  const rest = new URLSearchParams(query);
  for (const name of POOL_PARAMS) rest.delete(name);
  return rest;
}

/** An IPv4-mapped IPv6 source address (`::ffff:10.0.0.1`) as the IPv4 address a task's ENI has. */
export function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function listed(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, 10).map((name) => `"${name}"`);
  return names.length > 10 ? `${shown.join(', ')} and ${names.length - 10} more` : shown.join(', ');
}

/** Resolves a request with `pool=` against the current assignments. */
export function resolvePoolRequest(
  query: URLSearchParams,
  sourceAddress: string | undefined,
  assignments: ReadonlyMap<string, PoolAssignment>,
): PoolRequest {
  for (const name of ['pool', 'member', 'shard', 'shards']) {
    const values = query.getAll(name);
    if (values.length === 0) continue;
    if (name === 'shard' || name === 'shards') {
      return {
        kind: 'error',
        status: 400,
        message: `${name} is given with pool, expected either pool=NAME&member=ID or shard=i&shards=n, not both (a pool shares its targets among its members itself)`,
      };
    }
    if (values.length > 1) {
      return {
        kind: 'error',
        status: 400,
        message: `${name} is given ${values.length} times, expected it once`,
      };
    }
  }
  const name = query.get('pool') ?? '';
  const assignment = assignments.get(name);
  if (assignment === undefined) {
    return {
      kind: 'error',
      status: 404,
      message: `pool "${name}" is not configured, expected one of ${listed([...assignments.keys()])}`,
    };
  }
  const members = assignment.members;
  let member = query.get('member') ?? undefined;
  if (member !== undefined && !MEMBER_ID.test(member)) {
    return {
      kind: 'error',
      status: 400,
      message: `member ${JSON.stringify(member.slice(0, 64))} is not a member id, expected a task id or static name (up to 255 printable ASCII characters)`,
    };
  }
  if (member === '') {
    return {
      kind: 'error',
      status: 400,
      message: 'member is empty, expected the task id or static name of a member',
    };
  }
  if (member === undefined) {
    const address = plainAddress(sourceAddress);
    const matching = members.filter(
      (candidate) => candidate.privateIpv4 !== undefined && candidate.privateIpv4 === address,
    );
    if (matching.length !== 1) {
      return {
        kind: 'error',
        status: 400,
        message: `member is not given and the source address ${address ?? 'unknown'} is the private IP of ${matching.length === 0 ? 'no' : matching.length} running member task${matching.length === 1 ? '' : 's'} of pool "${name}", expected member=ID (the scraper's ECS task id or static name)`,
      };
    }
    member = matching[0]!.id;
  }
  const wanted = member;
  if (!members.some((candidate) => candidate.id === wanted)) {
    const where = assignment.pool.ecs;
    const why =
      where === undefined
        ? `it is not one of the static members`
        : `no RUNNING task with this id of ${where.service === undefined ? `family "${where.family}"` : `service "${where.service}"`} in cluster "${where.cluster}" (source "${where.source}") is known yet${assignment.pool.staticMembers.length > 0 ? ', nor is it a static member' : ''}`;
    return {
      kind: 'empty',
      pool: name,
      member: wanted,
      reason: `member "${wanted}" is not in pool "${name}": ${why}; its members are ${listed(members.map((m) => m.id))}`,
    };
  }
  const byTarget = assignment.byTarget;
  return {
    kind: 'share',
    pool: name,
    member: wanted,
    keep: (target) => byTarget.get(target.key)?.includes(wanted) ?? false,
  };
}
