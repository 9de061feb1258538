import { ApiError, invalidParameter } from '../protocols/errors.ts';
import { optBool, optString, optStringList, reqString } from '../protocols/json.ts';
import type { ContainerInstance } from '../state/model.ts';
import type { RequestContext } from './context.ts';
import { type Body, includes, maxResults, tagsIn } from './ecs-input.ts';
import { DESCRIBE_CONTAINER_INSTANCES_MAX, LIST_PAGE_MAX } from './ecs-limits.ts';
import { findContainerInstance, missingArn, resolveCluster } from './ecs-refs.ts';
import { renderContainerInstance } from './ecs-shapes.ts';
import { decodeToken, page } from './paging.ts';

/** RegisterContainerInstance: on the EC2 or SSM managed instance of the identity document, else a new EC2 instance. */
export function registerContainerInstance(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const doc = optString(body, 'instanceIdentityDocument');
  let parsed: Record<string, unknown> = {};
  if (doc) {
    try {
      parsed = JSON.parse(doc) as Record<string, unknown>;
    } catch {
      throw new ApiError('ClientException', 'Invalid instanceIdentityDocument: not a JSON document.');
    }
  }
  const instanceId = typeof parsed['instanceId'] === 'string' ? parsed['instanceId'] : undefined;
  const tags = tagsIn(body);
  let ci: ContainerInstance;
  if (instanceId?.startsWith('mi-')) {
    const mi = ctx.account.managedInstances.get(instanceId);
    if (!mi)
      throw new ApiError('ClientException', `Managed instance ${instanceId} is not registered with SSM.`);
    ci = ctx.world.registerContainerInstance(cluster, { kind: 'EXTERNAL', instance: mi }, tags);
  } else if (instanceId) {
    const inst = ctx.account.ec2Instances.get(instanceId);
    if (!inst || inst.state === 'terminated') {
      throw new ApiError('ClientException', `EC2 instance ${instanceId} does not exist or is not running.`);
    }
    ci = ctx.world.registerContainerInstance(cluster, { kind: 'EC2', instance: inst }, tags);
  } else {
    const instanceType = typeof parsed['instanceType'] === 'string' ? parsed['instanceType'] : undefined;
    const inst = ctx.world.runInstance(ctx.account, instanceType ? { instanceType } : {});
    ci = ctx.world.registerContainerInstance(cluster, { kind: 'EC2', instance: inst }, tags);
  }
  return { containerInstance: renderContainerInstance(ci, true) };
}

/** DeregisterContainerInstance: refused with standalone running tasks unless `force`; its tasks stop. */
export function deregisterContainerInstance(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const ref = reqString(body, 'containerInstance');
  const ci = findContainerInstance(cluster, ref);
  if (!ci) throw invalidParameter('The referenced container instance was not found.');
  const force = optBool(body, 'force') ?? false;
  if (!force && [...ci.tasks].some((t) => t.service === undefined && t.desiredStatus === 'RUNNING')) {
    throw invalidParameter('Found running tasks on the instance. Use force to deregister it.');
  }
  ctx.world.deregisterContainerInstance(ci);
  return { containerInstance: renderContainerInstance(ci, false) };
}

const CI_STATUSES = new Set(['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED']);

/** ListContainerInstances: 100 per page, by status (no cluster query language `filter`). */
export function listContainerInstances(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const max = maxResults(body, LIST_PAGE_MAX, LIST_PAGE_MAX);
  const status = optString(body, 'status');
  if (status !== undefined && !CI_STATUSES.has(status)) {
    throw invalidParameter(`status must be one of ${[...CI_STATUSES].join(', ')}, got ${status}.`);
  }
  if (optString(body, 'filter') !== undefined) {
    throw invalidParameter('filter expressions (cluster query language) are not supported by ecs-sim.');
  }
  const after = decodeToken('ci', optString(body, 'nextToken'));
  const all = [...cluster.containerInstances.values()].filter((c) =>
    status ? c.status === status : c.status !== 'INACTIVE',
  );
  const r = page(all, (c) => c.seq, after, max, 'ci');
  ctx.faults.listed([cluster.name]);
  return { containerInstanceArns: r.items.map((c) => c.arn), nextToken: r.nextToken };
}

/** DescribeContainerInstances: at most 100; unknown ones in `failures` (MISSING). */
export function describeContainerInstances(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const refs = optStringList(body, 'containerInstances') ?? [];
  if (refs.length === 0) throw invalidParameter('ContainerInstances cannot be empty.');
  if (refs.length > DESCRIBE_CONTAINER_INSTANCES_MAX) {
    throw invalidParameter(
      `ContainerInstances can have at most ${DESCRIBE_CONTAINER_INSTANCES_MAX} items, got ${refs.length}.`,
    );
  }
  const tags = includes(body, 'TAGS');
  const containerInstances: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const ci = findContainerInstance(cluster, ref);
    if (ci) containerInstances.push(renderContainerInstance(ci, tags));
    else failures.push({ arn: missingArn(ctx, cluster, 'container-instance', ref), reason: 'MISSING' });
  }
  return { containerInstances, failures };
}
