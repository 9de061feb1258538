import { invalidParameter } from '../protocols/errors.ts';
import { optInt, optObject, optObjectList, optString, optStringList } from '../protocols/json.ts';
import type { LaunchType, Subnet, Tag, TaskDefinition } from '../state/model.ts';
import type { RequestContext } from './context.ts';

/** The input of an ECS operation (AWS JSON). */
export type Body = Record<string, unknown>;

/** `maxResults`, default `def`, between 1 and `max`. */
export function maxResults(body: Body, def: number, max: number): number {
  const n = optInt(body, 'maxResults');
  if (n === undefined) return def;
  if (n < 1 || n > max) throw invalidParameter(`maxResults must be between 1 and ${max}, got ${n}.`);
  return n;
}

/** Whether `include` asks for this (e.g. TAGS). */
export function includes(body: Body, what: string): boolean {
  return (optStringList(body, 'include') ?? []).includes(what);
}

/** Tags of a request (`[{key, value}]`); an empty key is InvalidParameterException. */
export function tagsIn(body: Body, key = 'tags'): Tag[] {
  const list = optObjectList(body, key) ?? [];
  return list.map((t) => {
    if (typeof t['key'] !== 'string' || t['key'] === '') throw invalidParameter('Tag key must not be empty.');
    return { key: t['key'], value: typeof t['value'] === 'string' ? t['value'] : '' };
  });
}

/** Adds tags in place, replacing those with the same key. */
export function mergeTags(target: Tag[], add: Tag[]): void {
  for (const t of add) {
    const i = target.findIndex((x) => x.key === t.key);
    if (i >= 0) target[i] = t;
    else target.push(t);
  }
}

/** The request's `launchType`, if any. */
export function launchTypeIn(body: Body): LaunchType | undefined {
  const lt = optString(body, 'launchType');
  if (lt === undefined) return undefined;
  if (lt !== 'EC2' && lt !== 'FARGATE' && lt !== 'EXTERNAL') {
    throw invalidParameter(`launchType must be one of EC2, FARGATE, EXTERNAL, got ${lt}.`);
  }
  return lt;
}

/** The launch type a task definition implies when the request names none. */
export function defaultLaunchType(td: TaskDefinition): LaunchType {
  const rc = td.requiresCompatibilities;
  if (rc.length === 1 && rc[0] === 'FARGATE') return 'FARGATE';
  if (rc.length === 1 && rc[0] === 'EXTERNAL') return 'EXTERNAL';
  return 'EC2';
}

/** The subnets of an awsvpc task (required there, refused for other network modes). */
export function networkConfig(
  ctx: RequestContext,
  body: Body,
  td: TaskDefinition,
): { subnets: Subnet[]; ipv6: boolean } {
  const nc = optObject(body, 'networkConfiguration');
  const vpc = nc ? optObject(nc, 'awsvpcConfiguration') : undefined;
  if (td.networkMode !== 'awsvpc') {
    if (vpc) {
      throw invalidParameter(
        `Network Configuration is not valid for the given networkMode of this task definition.`,
      );
    }
    return { subnets: [], ipv6: false };
  }
  if (!vpc)
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  const ids = optStringList(vpc, 'subnets') ?? [];
  if (ids.length === 0) throw invalidParameter('subnets can not be empty.');
  const subnets = ids.map((id) => {
    const s = ctx.account.subnets.get(id) ?? ctx.world.subnets(ctx.account).find((x) => x.id === id);
    if (!s)
      throw invalidParameter(
        `Error retrieving subnet information for [${id}]: The subnet ID '${id}' does not exist.`,
      );
    return s;
  });
  // Dual-stack is on in the simulator: a task in a subnet with an IPv6 CIDR gets an IPv6 address, as with the ECS
  // account setting dualStackIPv6 enabled.
  return { subnets, ipv6: true };
}

/** FARGATE needs an awsvpc task definition. */
export function checkLaunchType(td: TaskDefinition, lt: LaunchType): void {
  if (lt === 'FARGATE' && td.networkMode !== 'awsvpc') {
    throw invalidParameter('Task definition does not support launch_type FARGATE.');
  }
}

/** Environment overrides per container name from `overrides.containerOverrides`. */
export function envOverrides(body: Body): Map<string, { name: string; value: string }[]> | undefined {
  const ov = optObject(body, 'overrides');
  const list = ov ? optObjectList(ov, 'containerOverrides') : undefined;
  if (!list || list.length === 0) return undefined;
  const out = new Map<string, { name: string; value: string }[]>();
  for (const c of list) {
    const name = optString(c, 'name');
    if (!name) throw invalidParameter('Container Overrides: container name can not be blank.');
    const env = (optObjectList(c, 'environment') ?? []).map((e) => ({
      name: String(e['name'] ?? ''),
      value: String(e['value'] ?? ''),
    }));
    out.set(name, env);
  }
  return out;
}
