import { ApiError, invalidParameter } from '../protocols/errors.ts';
import { optBool, optInt, optString, optStringList, reqString } from '../protocols/json.ts';
import type { RequestContext } from './context.ts';
import {
  type Body,
  checkLaunchType,
  defaultLaunchType,
  includes,
  launchTypeIn,
  maxResults,
  networkConfig,
  tagsIn,
} from './ecs-input.ts';
import { DESCRIBE_SERVICES_MAX, LIST_PAGE_MAX, LIST_SERVICES_DEFAULT } from './ecs-limits.ts';
import { findService, missingArn, resolveCluster, taskDefinitionOrThrow } from './ecs-refs.ts';
import { renderService } from './ecs-shapes.ts';
import { decodeToken, page } from './paging.ts';

/** CreateService: a REPLICA or DAEMON service whose tasks start at once. */
export function createService(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const name = reqString(body, 'serviceName');
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) throw invalidParameter(`Invalid service name: ${name}.`);
  if (cluster.services.has(name)) throw invalidParameter('Creation of service was not idempotent.');
  const td = taskDefinitionOrThrow(ctx, reqString(body, 'taskDefinition'));
  const desiredCount = optInt(body, 'desiredCount') ?? 0;
  if (desiredCount < 0) throw invalidParameter(`desiredCount must be at least 0, got ${desiredCount}.`);
  const lt = launchTypeIn(body) ?? defaultLaunchType(td);
  checkLaunchType(td, lt);
  const strategy = optString(body, 'schedulingStrategy') ?? 'REPLICA';
  if (strategy !== 'REPLICA' && strategy !== 'DAEMON') {
    throw invalidParameter(`schedulingStrategy must be REPLICA or DAEMON, got ${strategy}.`);
  }
  if (strategy === 'DAEMON' && lt === 'FARGATE') {
    throw invalidParameter('The daemon scheduling strategy does not support the FARGATE launch type.');
  }
  const nc = networkConfig(ctx, body, td);
  const svc = ctx.world.createService(cluster, {
    name,
    taskDefinition: td,
    desiredCount,
    schedulingStrategy: strategy,
    launchType: lt,
    subnets: nc.subnets,
    assignIpv6: nc.ipv6,
    tags: tagsIn(body),
  });
  return { service: renderService(svc, true) };
}

/** UpdateService: desired count, a new task definition (a deployment) or a forced new deployment. */
export function updateService(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const svc = findService(cluster, reqString(body, 'service'));
  if (!svc) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  const tdRef = optString(body, 'taskDefinition');
  const td = tdRef ? taskDefinitionOrThrow(ctx, tdRef) : undefined;
  const desiredCount = optInt(body, 'desiredCount');
  if (desiredCount !== undefined && desiredCount < 0) {
    throw invalidParameter(`desiredCount must be at least 0, got ${desiredCount}.`);
  }
  ctx.world.updateService(svc, {
    desiredCount,
    taskDefinition: td,
    force: optBool(body, 'forceNewDeployment') ?? false,
  });
  return { service: renderService(svc, false) };
}

/** DeleteService: refused while scaled above 0 unless `force`. */
export function deleteService(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const svc = findService(cluster, reqString(body, 'service'));
  if (!svc) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  if (svc.desiredCount > 0 && !(optBool(body, 'force') ?? false)) {
    throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
  }
  ctx.world.deleteService(svc);
  return { service: renderService(svc, false) };
}

/** ListServices: 10 per page unless maxResults (up to 100), optionally by launch type. */
export function listServices(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const max = maxResults(body, LIST_SERVICES_DEFAULT, LIST_PAGE_MAX);
  const lt = launchTypeIn(body);
  const after = decodeToken('services', optString(body, 'nextToken'));
  const all = [...cluster.services.values()].filter((s) => lt === undefined || s.launchType === lt);
  const r = page(all, (s) => s.seq, after, max, 'services');
  ctx.faults.listed([cluster.name]);
  return { serviceArns: r.items.map((s) => s.arn), nextToken: r.nextToken };
}

/** DescribeServices: at most 10 services; unknown ones in `failures` (MISSING). */
export function describeServices(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const refs = optStringList(body, 'services') ?? [];
  if (refs.length === 0) throw invalidParameter('Services cannot be empty.');
  if (refs.length > DESCRIBE_SERVICES_MAX) {
    throw invalidParameter(`Services can have at most ${DESCRIBE_SERVICES_MAX} items, got ${refs.length}.`);
  }
  const tags = includes(body, 'TAGS');
  const services: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const s = findService(cluster, ref);
    if (s) services.push(renderService(s, tags, ctx.world.counts));
    else failures.push({ arn: missingArn(ctx, cluster, 'service', ref), reason: 'MISSING' });
  }
  return { services, failures };
}
