import { ApiError, invalidParameter } from '../protocols/errors.ts';
import { optString, optStringList, reqString } from '../protocols/json.ts';
import type { Tag } from '../state/model.ts';
import type { RequestContext } from './context.ts';
import { type Body, includes, maxResults, mergeTags, tagsIn } from './ecs-input.ts';
import { DESCRIBE_CLUSTERS_MAX, LIST_PAGE_MAX } from './ecs-limits.ts';
import {
  ARN_RE,
  clusterNameOf,
  findContainerInstance,
  findService,
  findTask,
  resolveCluster,
} from './ecs-refs.ts';
import { renderCluster } from './ecs-shapes.ts';
import { decodeToken, page } from './paging.ts';

// ECS clusters and the tags of every ECS resource.

/** CreateCluster: creates the cluster, or returns the ACTIVE one of that name. */
export function createCluster(ctx: RequestContext, body: Body): unknown {
  const name = optString(body, 'clusterName') ?? 'default';
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) {
    throw invalidParameter(
      `Cluster name can only contain alphanumerics, hyphens and underscores, up to 255 characters, got ${name}.`,
    );
  }
  const c = ctx.world.createCluster(ctx.account, name, { tags: tagsIn(body) });
  return { cluster: renderCluster(c, true) };
}

/** DeleteCluster: refused while services, tasks or container instances remain, as on ECS. */
export function deleteCluster(ctx: RequestContext, body: Body): unknown {
  const c = resolveCluster(ctx, reqString(body, 'cluster'));
  if (c.services.size > 0) {
    throw new ApiError(
      'ClusterContainsServicesException',
      'The Cluster cannot be deleted while Services are active.',
    );
  }
  if ([...c.tasks.values()].some((t) => t.lastStatus !== 'STOPPED')) {
    throw new ApiError(
      'ClusterContainsTasksException',
      'The Cluster cannot be deleted while Tasks are active.',
    );
  }
  if (c.containerInstances.size > 0) {
    throw new ApiError(
      'ClusterContainsContainerInstancesException',
      'The Cluster cannot be deleted while Container Instances are active or draining.',
    );
  }
  ctx.world.deleteCluster(c);
  return { cluster: renderCluster(c, true) };
}

/** ListClusters: the account's ACTIVE clusters, 100 per page. */
export function listClusters(ctx: RequestContext, body: Body): unknown {
  const max = maxResults(body, LIST_PAGE_MAX, LIST_PAGE_MAX);
  const after = decodeToken('clusters', optString(body, 'nextToken'));
  const r = page(ctx.account.clusters.values(), (c) => c.seq, after, max, 'clusters');
  ctx.faults.listed(r.items.map((c) => c.name));
  return { clusterArns: r.items.map((c) => c.arn), nextToken: r.nextToken };
}

/** DescribeClusters: ACTIVE and deleted (INACTIVE) clusters; unknown ones in `failures` (MISSING). */
export function describeClusters(ctx: RequestContext, body: Body): unknown {
  const refs = optStringList(body, 'clusters') ?? ['default'];
  if (refs.length > DESCRIBE_CLUSTERS_MAX) {
    throw invalidParameter(`clusters can have at most ${DESCRIBE_CLUSTERS_MAX} items, got ${refs.length}.`);
  }
  const tags = includes(body, 'TAGS');
  const clusters: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    let name: string;
    try {
      name = clusterNameOf(ctx, ref);
    } catch {
      failures.push({ arn: ref, reason: 'MISSING' });
      continue;
    }
    ctx.faults.checkCluster(name);
    const c = ctx.account.clusters.get(name) ?? ctx.account.deletedClusters.get(name);
    if (c) clusters.push(renderCluster(c, tags, ctx.world.counts));
    else failures.push({ arn: ctx.world.ecsArn(ctx.account, `cluster/${name}`), reason: 'MISSING' });
  }
  return { clusters, failures };
}

function taggable(ctx: RequestContext, arn: string): Tag[] {
  const m = ARN_RE.exec(arn);
  const notFound = (): ApiError => invalidParameter(`The specified resource is not found: ${arn}.`);
  if (!m || m[2] !== ctx.account.id) throw notFound();
  const [, , , type, rest] = m as unknown as [string, string, string, string, string];
  const parts = rest.split('/');
  const find = (): { tags: Tag[] } | undefined => {
    if (type === 'cluster') {
      ctx.faults.checkCluster(rest);
      return ctx.account.clusters.get(rest);
    }
    if (type === 'task-definition') return ctx.world.resolveTaskDefinition(ctx.account, arn);
    const clusters =
      parts.length === 2 ? [ctx.account.clusters.get(parts[0]!)] : [...ctx.account.clusters.values()];
    for (const c of clusters) {
      if (!c) continue;
      const ref = arn;
      if (type === 'task') {
        const t = findTask(c, ref);
        if (t) return t;
      } else if (type === 'container-instance') {
        const ci = findContainerInstance(c, ref);
        if (ci) return ci;
      } else if (type === 'service') {
        const s = findService(c, ref);
        if (s) return s;
      }
    }
    return undefined;
  };
  const r = find();
  if (!r) throw notFound();
  return r.tags;
}

/** TagResource: adds or replaces tags of a cluster, task definition, task, container instance or service. */
export function tagResource(ctx: RequestContext, body: Body): unknown {
  const tags = taggable(ctx, reqString(body, 'resourceArn'));
  mergeTags(tags, tagsIn(body));
  return {};
}

/** UntagResource: removes tags by key. */
export function untagResource(ctx: RequestContext, body: Body): unknown {
  const tags = taggable(ctx, reqString(body, 'resourceArn'));
  const keys = new Set(optStringList(body, 'tagKeys') ?? []);
  for (let i = tags.length - 1; i >= 0; i--) if (keys.has(tags[i]!.key)) tags.splice(i, 1);
  return {};
}

/** ListTagsForResource: the tags of one resource. */
export function listTagsForResource(ctx: RequestContext, body: Body): unknown {
  return { tags: taggable(ctx, reqString(body, 'resourceArn')) };
}
