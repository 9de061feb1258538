import { ApiError, invalidParameter } from '../protocols/errors.ts';
import {
  optBool,
  optInt,
  optObject,
  optObjectList,
  optString,
  optStringList,
  reqString,
} from '../protocols/json.ts';
import type {
  Cluster,
  ContainerDefinition,
  ContainerInstance,
  LaunchType,
  NetworkMode,
  Service,
  Subnet,
  Tag,
  Task,
  TaskDefinition,
} from '../state/model.ts';
import type { AccountScope, RequestContext } from './context.ts';
import {
  renderCluster,
  renderContainerInstance,
  renderService,
  renderTask,
  renderTaskDefinition,
} from './ecs-shapes.ts';
import { decodeToken, page } from './paging.ts';

type Body = Record<string, unknown>;

/** DescribeTasks accepts at most 100 tasks. */
export const DESCRIBE_TASKS_MAX = 100;
/** DescribeContainerInstances accepts at most 100 container instances. */
export const DESCRIBE_CONTAINER_INSTANCES_MAX = 100;
/** DescribeServices accepts at most 10 services. */
export const DESCRIBE_SERVICES_MAX = 10;
/** DescribeClusters accepts at most 100 clusters. */
export const DESCRIBE_CLUSTERS_MAX = 100;
/** ListServices returns 10 per page unless maxResults (up to 100) says otherwise. */
export const LIST_SERVICES_DEFAULT = 10;
/** ListTasks, ListClusters and ListContainerInstances return up to 100 per page. */
export const LIST_PAGE_MAX = 100;
/** RunTask starts at most 10 tasks per call. */
export const RUN_TASK_MAX = 10;

const ARN_RE = /^arn:aws[\w-]*:ecs:([^:]+):(\d{12}):([a-z-]+)\/(.+)$/;

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

function maxResults(body: Body, def: number, max: number): number {
  const n = optInt(body, 'maxResults');
  if (n === undefined) return def;
  if (n < 1 || n > max) throw invalidParameter(`maxResults must be between 1 and ${max}, got ${n}.`);
  return n;
}

function includes(body: Body, what: string): boolean {
  return (optStringList(body, 'include') ?? []).includes(what);
}

function tagsIn(body: Body, key = 'tags'): Tag[] {
  const list = optObjectList(body, key) ?? [];
  return list.map((t) => {
    if (typeof t['key'] !== 'string' || t['key'] === '') throw invalidParameter('Tag key must not be empty.');
    return { key: t['key'], value: typeof t['value'] === 'string' ? t['value'] : '' };
  });
}

function mergeTags(target: Tag[], add: Tag[]): void {
  for (const t of add) {
    const i = target.findIndex((x) => x.key === t.key);
    if (i >= 0) target[i] = t;
    else target.push(t);
  }
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

function findTask(cluster: Cluster, ref: string): Task | undefined {
  const r = parseResourceRef(ref, 'task');
  if (!r || (r.cluster !== undefined && r.cluster !== cluster.name)) return undefined;
  return cluster.tasks.get(r.id);
}

function findContainerInstance(cluster: Cluster, ref: string): ContainerInstance | undefined {
  const r = parseResourceRef(ref, 'container-instance');
  if (!r || (r.cluster !== undefined && r.cluster !== cluster.name)) return undefined;
  return cluster.containerInstances.get(r.id);
}

function findService(cluster: Cluster, ref: string): Service | undefined {
  if (!ref.startsWith('arn:')) return cluster.services.get(ref);
  const m = ARN_RE.exec(ref);
  if (m?.[3] !== 'service') return undefined;
  const parts = m[4]!.split('/');
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && parts[0] !== cluster.name) return undefined;
  return cluster.services.get(name);
}

function missingArn(ctx: RequestContext, cluster: Cluster, type: string, ref: string): string {
  if (ref.startsWith('arn:')) return ref;
  return ctx.world.ecsArn(
    ctx.account,
    cluster.arnFormat === 'long' ? `${type}/${cluster.name}/${ref}` : `${type}/${ref}`,
  );
}

function taskDefinitionOrThrow(ctx: RequestContext, ref: string): TaskDefinition {
  const td = ctx.world.resolveTaskDefinition(ctx.account, ref);
  if (!td) throw new ApiError('ClientException', 'Unable to describe task definition.');
  return td;
}

function launchTypeIn(body: Body): LaunchType | undefined {
  const lt = optString(body, 'launchType');
  if (lt === undefined) return undefined;
  if (lt !== 'EC2' && lt !== 'FARGATE' && lt !== 'EXTERNAL') {
    throw invalidParameter(`launchType must be one of EC2, FARGATE, EXTERNAL, got ${lt}.`);
  }
  return lt;
}

function defaultLaunchType(td: TaskDefinition): LaunchType {
  const rc = td.requiresCompatibilities;
  if (rc.length === 1 && rc[0] === 'FARGATE') return 'FARGATE';
  if (rc.length === 1 && rc[0] === 'EXTERNAL') return 'EXTERNAL';
  return 'EC2';
}

function networkConfig(
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

function checkLaunchType(td: TaskDefinition, lt: LaunchType): void {
  if (lt === 'FARGATE' && td.networkMode !== 'awsvpc') {
    throw invalidParameter('Task definition does not support launch_type FARGATE.');
  }
}

function envOverrides(body: Body): Map<string, { name: string; value: string }[]> | undefined {
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

// ---- clusters -----------------------------------------------------------------

function createCluster(ctx: RequestContext, body: Body): unknown {
  const name = optString(body, 'clusterName') ?? 'default';
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) {
    throw invalidParameter(
      `Cluster name can only contain alphanumerics, hyphens and underscores, up to 255 characters, got ${name}.`,
    );
  }
  const c = ctx.world.createCluster(ctx.account, name, { tags: tagsIn(body) });
  return { cluster: renderCluster(c, true) };
}

function deleteCluster(ctx: RequestContext, body: Body): unknown {
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

function listClusters(ctx: RequestContext, body: Body): unknown {
  const max = maxResults(body, LIST_PAGE_MAX, LIST_PAGE_MAX);
  const after = decodeToken('clusters', optString(body, 'nextToken'));
  const r = page(ctx.account.clusters.values(), (c) => c.seq, after, max, 'clusters');
  ctx.faults.listed(r.items.map((c) => c.name));
  return { clusterArns: r.items.map((c) => c.arn), nextToken: r.nextToken };
}

function describeClusters(ctx: RequestContext, body: Body): unknown {
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
    if (c) clusters.push(renderCluster(c, tags));
    else failures.push({ arn: ctx.world.ecsArn(ctx.account, `cluster/${name}`), reason: 'MISSING' });
  }
  return { clusters, failures };
}

// ---- task definitions ---------------------------------------------------------

const NETWORK_MODES: readonly NetworkMode[] = ['awsvpc', 'bridge', 'host', 'none'];

/** Converts an ECS RegisterTaskDefinition containerDefinitions entry into the model, validating as ECS does. */
export function containerDefinitionFromApi(c: Body, mode: NetworkMode): ContainerDefinition {
  const name = optString(c, 'name');
  if (!name) throw new ApiError('ClientException', 'Container.name should not be null or empty.');
  const image = optString(c, 'image');
  if (!image) throw new ApiError('ClientException', 'Container.image should not be null or empty.');
  const portMappings = (optObjectList(c, 'portMappings') ?? []).map((p) => {
    const containerPort = optInt(p, 'containerPort');
    if (containerPort === undefined || containerPort < 1 || containerPort > 65535) {
      throw new ApiError('ClientException', `Invalid 'containerPort' setting for container '${name}'.`);
    }
    const hostPort = optInt(p, 'hostPort') ?? (mode === 'bridge' ? 0 : containerPort);
    if ((mode === 'awsvpc' || mode === 'host') && hostPort !== containerPort) {
      throw new ApiError(
        'ClientException',
        `When networkMode=${mode}, the host ports must either be undefined or equal to the container port values.`,
      );
    }
    return { containerPort, hostPort, protocol: optString(p, 'protocol') ?? 'tcp' };
  });
  const environment = (optObjectList(c, 'environment') ?? []).map((e) => ({
    name: String(e['name'] ?? ''),
    value: String(e['value'] ?? ''),
  }));
  const labels = optObject(c, 'dockerLabels') ?? {};
  const dockerLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) dockerLabels[k] = String(v);
  return {
    name,
    image,
    cpu: optInt(c, 'cpu') ?? 0,
    memory: optInt(c, 'memory'),
    essential: optBool(c, 'essential') ?? true,
    portMappings,
    environment,
    dockerLabels,
  };
}

function registerTaskDefinition(ctx: RequestContext, body: Body): unknown {
  const family = reqString(body, 'family', 'ClientException');
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family)) {
    throw new ApiError('ClientException', `Family contains invalid characters: ${family}.`);
  }
  const mode = (optString(body, 'networkMode') ?? 'bridge') as NetworkMode;
  if (!NETWORK_MODES.includes(mode)) {
    throw invalidParameter(`networkMode must be one of awsvpc, bridge, host, none, got ${String(mode)}.`);
  }
  const defs = optObjectList(body, 'containerDefinitions') ?? [];
  if (defs.length === 0) throw new ApiError('ClientException', 'Container list cannot be empty.');
  const requires = (optStringList(body, 'requiresCompatibilities') ?? []) as LaunchType[];
  if (requires.includes('FARGATE') && mode !== 'awsvpc') {
    throw new ApiError('ClientException', 'Fargate only supports network mode ‘awsvpc’.');
  }
  const tags = tagsIn(body);
  const td = ctx.world.registerTaskDefinition(ctx.account, {
    family,
    networkMode: mode,
    requiresCompatibilities: requires,
    cpu: optString(body, 'cpu'),
    memory: optString(body, 'memory'),
    containerDefinitions: defs.map((c) => containerDefinitionFromApi(c, mode)),
    tags,
  });
  return { taskDefinition: renderTaskDefinition(td), tags };
}

function deregisterTaskDefinition(ctx: RequestContext, body: Body): unknown {
  const ref = reqString(body, 'taskDefinition');
  if (!ref.includes(':'))
    throw invalidParameter('A revision must be specified: family:revision or a full ARN.');
  const td = taskDefinitionOrThrow(ctx, ref);
  if (td.status === 'ACTIVE') {
    td.status = 'INACTIVE';
    td.deregisteredAt = new Date();
  }
  return { taskDefinition: renderTaskDefinition(td) };
}

function describeTaskDefinition(ctx: RequestContext, body: Body): unknown {
  const td = taskDefinitionOrThrow(ctx, reqString(body, 'taskDefinition'));
  const out: Record<string, unknown> = { taskDefinition: renderTaskDefinition(td) };
  if (includes(body, 'TAGS')) out['tags'] = td.tags;
  return out;
}

// ---- container instances ---------------------------------------------------------

function registerContainerInstance(ctx: RequestContext, body: Body): unknown {
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

function deregisterContainerInstance(ctx: RequestContext, body: Body): unknown {
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

function listContainerInstances(ctx: RequestContext, body: Body): unknown {
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

function describeContainerInstances(ctx: RequestContext, body: Body): unknown {
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

// ---- services ---------------------------------------------------------------------

function createService(ctx: RequestContext, body: Body): unknown {
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

function updateService(ctx: RequestContext, body: Body): unknown {
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

function deleteService(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const svc = findService(cluster, reqString(body, 'service'));
  if (!svc) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  if (svc.desiredCount > 0 && !(optBool(body, 'force') ?? false)) {
    throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
  }
  ctx.world.deleteService(svc);
  return { service: renderService(svc, false) };
}

function listServices(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const max = maxResults(body, LIST_SERVICES_DEFAULT, LIST_PAGE_MAX);
  const lt = launchTypeIn(body);
  const after = decodeToken('services', optString(body, 'nextToken'));
  const all = [...cluster.services.values()].filter((s) => lt === undefined || s.launchType === lt);
  const r = page(all, (s) => s.seq, after, max, 'services');
  ctx.faults.listed([cluster.name]);
  return { serviceArns: r.items.map((s) => s.arn), nextToken: r.nextToken };
}

function describeServices(ctx: RequestContext, body: Body): unknown {
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
    if (s) services.push(renderService(s, tags));
    else failures.push({ arn: missingArn(ctx, cluster, 'service', ref), reason: 'MISSING' });
  }
  return { services, failures };
}

// ---- tasks ---------------------------------------------------------------------------

function runTask(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const td = taskDefinitionOrThrow(ctx, reqString(body, 'taskDefinition'));
  if (td.status !== 'ACTIVE') throw new ApiError('ClientException', 'TaskDefinition is inactive');
  const count = optInt(body, 'count') ?? 1;
  if (count < 1 || count > RUN_TASK_MAX) {
    throw invalidParameter(`count must be between 1 and ${RUN_TASK_MAX}, got ${count}.`);
  }
  const lt = launchTypeIn(body) ?? defaultLaunchType(td);
  checkLaunchType(td, lt);
  const nc = networkConfig(ctx, body, td);
  const env = envOverrides(body);
  const tags = tagsIn(body);
  const tasks: Task[] = [];
  const failures: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const r = ctx.world.startTask(cluster, {
      taskDefinition: td,
      launchType: lt,
      group: optString(body, 'group'),
      startedBy: optString(body, 'startedBy'),
      subnets: nc.subnets,
      assignIpv6: nc.ipv6,
      environmentOverrides: env,
      tags: tags.map((t) => ({ ...t })),
    });
    if ('reason' in r) failures.push({ arn: cluster.arn, reason: r.reason });
    else tasks.push(r);
  }
  return { tasks: tasks.map((t) => renderTask(t, true)), failures };
}

function startTaskOp(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const td = taskDefinitionOrThrow(ctx, reqString(body, 'taskDefinition'));
  const refs = optStringList(body, 'containerInstances') ?? [];
  if (refs.length === 0) throw invalidParameter('Container instances cannot be empty.');
  if (refs.length > RUN_TASK_MAX) {
    throw invalidParameter(`containerInstances can have at most ${RUN_TASK_MAX} items, got ${refs.length}.`);
  }
  const nc = networkConfig(ctx, body, td);
  const env = envOverrides(body);
  const tags = tagsIn(body);
  const tasks: Task[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const ci = findContainerInstance(cluster, ref);
    if (ci?.status !== 'ACTIVE') {
      failures.push({ arn: missingArn(ctx, cluster, 'container-instance', ref), reason: 'MISSING' });
      continue;
    }
    const r = ctx.world.startTask(cluster, {
      taskDefinition: td,
      launchType: ci.launchType,
      containerInstance: ci,
      group: optString(body, 'group'),
      startedBy: optString(body, 'startedBy'),
      subnets: nc.subnets,
      assignIpv6: nc.ipv6,
      environmentOverrides: env,
      tags,
    });
    if ('reason' in r) failures.push({ arn: ci.arn, reason: r.reason });
    else tasks.push(r);
  }
  return { tasks: tasks.map((t) => renderTask(t, true)), failures };
}

function stopTaskOp(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const ref = reqString(body, 'task');
  const task = findTask(cluster, ref);
  if (!task) throw invalidParameter('The referenced task was not found.');
  ctx.world.stopTask(task, optString(body, 'reason') ?? 'Task stopped by user');
  return { task: renderTask(task, false) };
}

const DESIRED = new Set(['RUNNING', 'PENDING', 'STOPPED']);

function listTasks(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const max = maxResults(body, LIST_PAGE_MAX, LIST_PAGE_MAX);
  const desired = optString(body, 'desiredStatus') ?? 'RUNNING';
  if (!DESIRED.has(desired))
    throw invalidParameter(`desiredStatus must be one of RUNNING, PENDING, STOPPED, got ${desired}.`);
  const family = optString(body, 'family');
  const serviceName = optString(body, 'serviceName');
  const startedBy = optString(body, 'startedBy');
  const lt = launchTypeIn(body);
  const ciRef = optString(body, 'containerInstance');
  if (family !== undefined && serviceName !== undefined) {
    throw invalidParameter('family and serviceName cannot both be specified.');
  }
  let ci: ContainerInstance | undefined;
  if (ciRef !== undefined) {
    ci = findContainerInstance(cluster, ciRef);
    if (!ci) throw invalidParameter('The referenced container instance was not found.');
  }
  let svc: Service | undefined;
  if (serviceName !== undefined) {
    svc = findService(cluster, serviceName);
    if (!svc) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  }
  const after = decodeToken('tasks', optString(body, 'nextToken'));
  const want = desired === 'PENDING' ? 'PENDING_NONE' : desired;
  const filter = (t: Task): boolean =>
    t.desiredStatus === want &&
    (family === undefined || t.taskDefinition.family === family) &&
    (svc === undefined || t.service === svc) &&
    (startedBy === undefined || t.startedBy === startedBy) &&
    (lt === undefined || t.launchType === lt) &&
    (ci === undefined || t.containerInstance === ci);
  const ordered = ctx.world.orderedTasks(cluster);
  let lo = 0;
  let hi = ordered.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ordered[mid]!.seq <= after) lo = mid + 1;
    else hi = mid;
  }
  const source = filterIter(ordered, filter, lo);
  const r = page(source, (t) => t.seq, after, max, 'tasks');
  ctx.faults.listed([cluster.name]);
  return { taskArns: r.items.map((t) => t.arn), nextToken: r.nextToken };
}

function* filterIter<T>(list: T[], f: (t: T) => boolean, from: number): Generator<T> {
  for (let i = from; i < list.length; i++) if (f(list[i]!)) yield list[i]!;
}

function describeTasks(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const refs = optStringList(body, 'tasks') ?? [];
  if (refs.length === 0) throw invalidParameter('Tasks cannot be empty.');
  if (refs.length > DESCRIBE_TASKS_MAX) {
    throw invalidParameter(`Tasks can have at most ${DESCRIBE_TASKS_MAX} items, got ${refs.length}.`);
  }
  const tags = includes(body, 'TAGS');
  const tasks: unknown[] = [];
  const failures: unknown[] = [];
  for (const ref of refs) {
    const t = findTask(cluster, ref);
    if (t) tasks.push(renderTask(t, tags));
    else failures.push({ arn: missingArn(ctx, cluster, 'task', ref), reason: 'MISSING' });
  }
  return { tasks, failures };
}

// ---- tags ------------------------------------------------------------------------------

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

function tagResource(ctx: RequestContext, body: Body): unknown {
  const tags = taggable(ctx, reqString(body, 'resourceArn'));
  mergeTags(tags, tagsIn(body));
  return {};
}

function untagResource(ctx: RequestContext, body: Body): unknown {
  const tags = taggable(ctx, reqString(body, 'resourceArn'));
  const keys = new Set(optStringList(body, 'tagKeys') ?? []);
  for (let i = tags.length - 1; i >= 0; i--) if (keys.has(tags[i]!.key)) tags.splice(i, 1);
  return {};
}

function listTagsForResource(ctx: RequestContext, body: Body): unknown {
  return { tags: taggable(ctx, reqString(body, 'resourceArn')) };
}

function listTaskDefinitionFamilies(ctx: RequestContext, body: Body): unknown {
  const prefix = optString(body, 'familyPrefix') ?? '';
  return { families: [...ctx.account.taskDefinitions.keys()].filter((f) => f.startsWith(prefix)) };
}

/** ECS operations by name (AWS JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113). */
export const ECS_HANDLERS: Record<string, (ctx: RequestContext, body: Body) => unknown> = {
  CreateCluster: createCluster,
  DeleteCluster: deleteCluster,
  ListClusters: listClusters,
  DescribeClusters: describeClusters,
  RegisterTaskDefinition: registerTaskDefinition,
  DeregisterTaskDefinition: deregisterTaskDefinition,
  DescribeTaskDefinition: describeTaskDefinition,
  ListTaskDefinitionFamilies: listTaskDefinitionFamilies,
  RegisterContainerInstance: registerContainerInstance,
  DeregisterContainerInstance: deregisterContainerInstance,
  ListContainerInstances: listContainerInstances,
  DescribeContainerInstances: describeContainerInstances,
  CreateService: createService,
  UpdateService: updateService,
  DeleteService: deleteService,
  ListServices: listServices,
  DescribeServices: describeServices,
  RunTask: runTask,
  StartTask: startTaskOp,
  StopTask: stopTaskOp,
  ListTasks: listTasks,
  DescribeTasks: describeTasks,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
};

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
