import { ApiError, invalidParameter } from '../protocols/errors.ts';
import { optInt, optString, optStringList, reqString } from '../protocols/json.ts';
import type { ContainerInstance, Service, Task } from '../state/model.ts';
import type { RequestContext } from './context.ts';
import {
  type Body,
  checkLaunchType,
  defaultLaunchType,
  envOverrides,
  includes,
  launchTypeIn,
  maxResults,
  networkConfig,
  tagsIn,
} from './ecs-input.ts';
import { DESCRIBE_TASKS_MAX, LIST_PAGE_MAX, RUN_TASK_MAX } from './ecs-limits.ts';
import {
  findContainerInstance,
  findService,
  findTask,
  missingArn,
  resolveCluster,
  taskDefinitionOrThrow,
} from './ecs-refs.ts';
import { renderTask } from './ecs-shapes.ts';
import { decodeToken, page } from './paging.ts';

/** RunTask: up to 10 tasks placed by the simulator; those that do not fit in `failures`. */
export function runTask(ctx: RequestContext, body: Body): unknown {
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

/** StartTask: one task on each named container instance. */
export function startTaskOp(ctx: RequestContext, body: Body): unknown {
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

/** StopTask: the task walks its stop path. */
export function stopTaskOp(ctx: RequestContext, body: Body): unknown {
  const cluster = resolveCluster(ctx, optString(body, 'cluster'));
  const ref = reqString(body, 'task');
  const task = findTask(cluster, ref);
  if (!task) throw invalidParameter('The referenced task was not found.');
  ctx.world.stopTask(task, optString(body, 'reason') ?? 'Task stopped by user');
  return { task: renderTask(task, false) };
}

const DESIRED = new Set(['RUNNING', 'PENDING', 'STOPPED']);

/** ListTasks: by desired status, family, service, startedBy, launch type or container instance, 100 per page. */
export function listTasks(ctx: RequestContext, body: Body): unknown {
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

/** DescribeTasks: at most 100 tasks; unknown ones in `failures` (MISSING). */
export function describeTasks(ctx: RequestContext, body: Body): unknown {
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
