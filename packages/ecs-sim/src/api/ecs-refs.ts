import { ApiError, invalidParameter } from '../protocols/errors.ts';
import type { Cluster, ContainerInstance, Service, Task, TaskDefinition } from '../state/model.ts';
import type { AccountScope, RequestContext } from './context.ts';
import type { Body } from './ecs-input.ts';

/** An ECS ARN: region, account, resource type and the rest (`cluster/NAME`, `task/CLUSTER/ID`, `task/ID`, ...). */
export const ARN_RE = /^arn:aws[\w-]*:ecs:([^:]+):(\d{12}):([a-z-]+)\/(.+)$/;

const clusterNotFound = (): ApiError => new ApiError('ClusterNotFoundException', 'Cluster not found.');

/** The cluster name a `cluster` parameter (name or ARN, default "default") refers to. */
export function clusterNameOf(ctx: AccountScope, ref: string | undefined): string {
  if (ref === undefined || ref === '') return 'default';
  if (!ref.startsWith('arn:')) return ref;
  const m = ARN_RE.exec(ref);
  if (m?.[3] !== 'cluster')
    throw invalidParameter(`Invalid identifier: Identifier is for an invalid resource type: ${ref}`);
  if (m[1] !== ctx.world.region || m[2] !== ctx.account.id) throw clusterNotFound();
  return m[4]!;
}

/** Resolves the request's cluster, applying cluster-scoped faults; unknown or deleted is ClusterNotFoundException. */
export function resolveCluster(ctx: RequestContext, ref: string | undefined): Cluster {
  const name = clusterNameOf(ctx, ref);
  ctx.faults.checkCluster(name);
  const c = ctx.account.clusters.get(name);
  if (c?.status !== 'ACTIVE') throw clusterNotFound();
  return c;
}

/** Splits a task / container-instance reference (bare id, long or short ARN) into cluster name (if any) and id. */
function parseResourceRef(
  ref: string,
  type: string,
): { cluster: string | undefined; id: string } | undefined {
  if (!ref.startsWith('arn:')) return { cluster: undefined, id: ref };
  const m = ARN_RE.exec(ref);
  if (!m || m[3] !== type) return undefined;
  const parts = m[4]!.split('/');
  if (parts.length === 1) return { cluster: undefined, id: parts[0]! };
  if (parts.length === 2) return { cluster: parts[0], id: parts[1]! };
  return undefined;
}

/** The task a reference (id, long or short ARN) names in this cluster. */
export function findTask(cluster: Cluster, ref: string): Task | undefined {
  const r = parseResourceRef(ref, 'task');
  if (!r || (r.cluster !== undefined && r.cluster !== cluster.name)) return undefined;
  return cluster.tasks.get(r.id);
}

/** The container instance a reference (id, long or short ARN) names in this cluster. */
export function findContainerInstance(cluster: Cluster, ref: string): ContainerInstance | undefined {
  const r = parseResourceRef(ref, 'container-instance');
  if (!r || (r.cluster !== undefined && r.cluster !== cluster.name)) return undefined;
  return cluster.containerInstances.get(r.id);
}

/** The service a reference (name or ARN) names in this cluster. */
export function findService(cluster: Cluster, ref: string): Service | undefined {
  if (!ref.startsWith('arn:')) return cluster.services.get(ref);
  const m = ARN_RE.exec(ref);
  if (m?.[3] !== 'service') return undefined;
  const parts = m[4]!.split('/');
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && parts[0] !== cluster.name) return undefined;
  return cluster.services.get(name);
}

/** The ARN to report in `failures[]` for a reference that names nothing (the reference itself if an ARN). */
export function missingArn(ctx: RequestContext, cluster: Cluster, type: string, ref: string): string {
  if (ref.startsWith('arn:')) return ref;
  return ctx.world.ecsArn(
    ctx.account,
    cluster.arnFormat === 'long' ? `${type}/${cluster.name}/${ref}` : `${type}/${ref}`,
  );
}

/** Resolves a task definition reference; unknown is ClientException "Unable to describe task definition." */
export function taskDefinitionOrThrow(ctx: RequestContext, ref: string): TaskDefinition {
  const td = ctx.world.resolveTaskDefinition(ctx.account, ref);
  if (!td) throw new ApiError('ClientException', 'Unable to describe task definition.');
  return td;
}

/** The cluster name an ECS request is scoped to, for cluster-scoped faults (undefined for account-wide calls). */
export function requestClusterName(ctx: AccountScope, op: string, body: Body): string | undefined {
  if (
    op === 'ListClusters' ||
    op === 'DescribeClusters' ||
    op.includes('TaskDefinition') ||
    op.endsWith('Resource')
  ) {
    return undefined;
  }
  if (op === 'CreateCluster') return undefined;
  const ref = body['cluster'];
  try {
    return clusterNameOf(ctx, typeof ref === 'string' ? ref : undefined);
  } catch {
    return undefined;
  }
}
