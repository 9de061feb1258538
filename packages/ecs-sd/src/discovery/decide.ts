/**
 * From a ClusterSnapshot to targets and per-task decisions. Pure: no I/O, no clock, never throws on
 * bad input; every task gets a decision and every container that yields nothing says why.
 */
import type { Container, ContainerDefinition, Task } from '@aws-sdk/client-ecs';
import { accountFromArn, familyAndRevision, taskIdFromArn } from '../lib/arn.ts';
import { intern } from '../lib/intern.ts';
import {
  eniInfo,
  isFailure,
  NETWORK_MODES,
  type Placement,
  placement,
  resolvePort,
  taskIp,
} from './address.ts';
import {
  type ConventionResult,
  configRules,
  ecsSdLabels,
  prometheusEcsDiscovery,
  prometheusEcsSd,
  prometheusEnv,
} from './conventions.ts';
import type { Declaration } from './declaration.ts';
import { boundsOf, type DroppedLabel, LIMITS, listNames } from './limits.ts';
import { Messages } from './messages.ts';
import { serviceNameFromGroup, type TaskFacts, taskMetaLabels } from './meta-labels.ts';
import { buildTarget } from './target.ts';
import type {
  ClusterDiscovery,
  ClusterSnapshot,
  ContainerDecision,
  Convention,
  DiscoveryOptions,
  Skip,
  Target,
  TaskDecision,
} from './types.ts';
import { quote } from './values.ts';

/** Precedence of conventions on the same container and port, highest first (docs/conventions.md). */
export const PRECEDENCE: readonly Convention[] = [
  'ecs-sd-labels',
  'prometheus-ecs-sd',
  'prometheus-ecs-discovery',
  'rule',
];

/** The first task lastStatus that can be scraped; every other status is skipped as `task-not-running`. */
const RUNNING = 'RUNNING';

interface Sortable {
  target: Target;
  cluster: string;
  taskArn: string;
  container: string;
  port: number;
  path: string;
}

interface Decided {
  decision: TaskDecision;
  sortables: Sortable[];
}

/** Decides every task of one cluster; targets come sorted by cluster, task ARN, container, port and path. */
export function discoverCluster(snapshot: ClusterSnapshot, options: DiscoveryOptions): ClusterDiscovery {
  // DescribeTasks batches can overlap (a task listed twice while paging): decide each task ARN once.
  const seen = new Set<string>();
  const unique = snapshot.tasks.filter((task) => {
    if (task.taskArn === undefined) return true;
    if (seen.has(task.taskArn)) return false;
    seen.add(task.taskArn);
    return true;
  });
  const all = unique.map((task) => decide(task, snapshot, options));
  all.sort((a, b) => compare(a.decision.taskArn, b.decision.taskArn));
  const sortables = all.flatMap((d) => d.sortables);
  sortables.sort(
    (a, b) =>
      compare(a.cluster, b.cluster) ||
      compare(a.taskArn, b.taskArn) ||
      compare(a.container, b.container) ||
      a.port - b.port ||
      compare(a.path, b.path),
  );
  return { targets: sortables.map((s) => s.target), decisions: all.map((d) => d.decision) };
}

/** Decides one task: its targets per container, or the typed reason it (or a container) yields none. */
export function decideTask(task: Task, snapshot: ClusterSnapshot, options: DiscoveryOptions): TaskDecision {
  return decide(task, snapshot, options).decision;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decide(task: Task, snapshot: ClusterSnapshot, options: DiscoveryOptions): Decided {
  const messages = new Messages();
  const decided = decideWith(task, snapshot, options, (cd, skips) => messages.addSkips(cd, skips));
  messages.finish(decided.decision);
  fit(decided.decision);
  return decided;
}

/**
 * A decision is kept until its task changes, and an array built by `push` keeps room for 16 more
 * elements: its lists are copied to their length (about 400 bytes a task, 4 MiB at 10,000 tasks).
 */
function fit(decision: TaskDecision): void {
  decision.containers = decision.containers.slice();
  for (const cd of decision.containers) {
    cd.targets = cd.targets.slice();
    cd.skips = cd.skips.slice();
    if (cd.notes !== undefined) cd.notes = cd.notes.slice();
  }
}

/** The task's own private IPv4 address (awsvpc ENI), which identifies a pool member by a request's source address. */
function privateIpv4Of(task: Task): { privateIpv4?: string } {
  const ipv4 = eniInfo(task).ipv4;
  return ipv4 === undefined ? {} : { privateIpv4: ipv4 };
}

function decideWith(
  task: Task,
  snapshot: ClusterSnapshot,
  options: DiscoveryOptions,
  addSkips: (cd: ContainerDecision, skips: readonly Skip[]) => void,
): Decided {
  const taskArn = task.taskArn ?? '';
  const decision: TaskDecision = {
    taskArn,
    taskId: taskArn === '' ? '' : taskIdFromArn(taskArn),
    clusterName: snapshot.clusterName,
    source: snapshot.source,
    lastStatus: task.lastStatus ?? '',
    ...(task.taskDefinitionArn ? { taskDefinitionArn: intern(task.taskDefinitionArn) } : {}),
    ...(task.launchType ? { launchType: task.launchType } : {}),
    ...(task.group ? { group: task.group } : {}),
    ...privateIpv4Of(task),
    containers: [],
    incomplete: false,
  };
  const skipTask = (skip: Skip, incomplete = false): Decided => {
    decision.skip = skip;
    decision.incomplete = incomplete;
    return { decision, sortables: [] };
  };

  if (taskArn === '') return skipTask({ reason: 'task-missing-fields', message: 'task has no taskArn' });
  if (task.lastStatus === undefined || task.lastStatus === '') {
    return skipTask({ reason: 'task-missing-fields', message: 'task has no lastStatus' });
  }
  if (task.lastStatus !== RUNNING) {
    return skipTask({
      reason: 'task-not-running',
      message: `lastStatus ${quote(task.lastStatus)} is not RUNNING`,
    });
  }
  const tdArn = task.taskDefinitionArn;
  if (tdArn === undefined || tdArn === '') {
    return skipTask({ reason: 'task-missing-fields', message: 'task has no taskDefinitionArn' });
  }
  if (!task.containers || task.containers.length === 0) {
    return skipTask({ reason: 'task-missing-fields', message: 'task has no containers' });
  }
  const td = snapshot.taskDefinitions.get(tdArn);
  if (!td) {
    return skipTask(
      {
        reason: 'task-definition-missing',
        message: `task definition ${quote(tdArn)} is not in the snapshot`,
      },
      true,
    );
  }

  const networkMode = td.networkMode ?? (task.launchType === 'FARGATE' ? 'awsvpc' : 'bridge');
  decision.networkMode = networkMode;
  const parsed = familyAndRevision(tdArn);
  const family = td.family ?? parsed?.family;
  const revision = td.revision !== undefined ? String(td.revision) : parsed?.revision;
  const serviceName = serviceNameFromGroup(task.group);
  const service = serviceName !== undefined ? snapshot.services?.get(serviceName) : undefined;
  const definitions = new Map<string, ContainerDefinition>();
  for (const d of td.containerDefinitions ?? []) if (d.name !== undefined) definitions.set(d.name, d);

  // 1. What each container declares, by convention.
  const containers = [...task.containers].sort((a, b) => compare(a.name ?? '', b.name ?? ''));
  const declared: {
    container: Container;
    definition?: ContainerDefinition;
    cd: ContainerDecision;
    decls: Declaration[];
  }[] = [];
  for (const container of containers) {
    const name = container.name ?? '';
    const cd: ContainerDecision = { containerName: name, targets: [], skips: [] };
    const notes: string[] = [];
    decision.containers.push(cd);
    const definition = definitions.get(name);
    if (name === '' || !definition) {
      notes.push(
        name === '' ? 'container has no name' : 'container is not in the task definition: not opted in',
      );
      cd.notes = notes;
      declared.push({ container, cd, decls: [] });
      continue;
    }
    const labels = definition.dockerLabels ?? {};
    const results: ConventionResult[] = [];
    if (options.conventions.ecsSdLabels)
      results.push(ecsSdLabels(labels, options.defaultPath, options.defaultInterval));
    if (options.conventions.prometheusEcsSd) {
      results.push(prometheusEcsSd(prometheusEnv(definition, task), options.defaultPath));
    }
    if (options.conventions.prometheusEcsDiscovery)
      results.push(prometheusEcsDiscovery(labels, options.defaultPath));
    if (options.conventions.rules) {
      results.push(
        configRules(options.rules, {
          clusterName: snapshot.clusterName,
          ...(serviceName !== undefined ? { serviceName } : {}),
          ...(family !== undefined ? { family } : {}),
          taskDefinitionArn: tdArn,
          containerName: name,
          dockerLabels: labels,
          mappedPorts: (definition.portMappings ?? []).flatMap((m) =>
            m.containerPort !== undefined ? [m.containerPort] : [],
          ),
        }),
      );
    }
    const decls = results.flatMap((r) => r.declarations);
    for (const r of results) {
      addSkips(cd, r.skips);
      notes.push(...r.notes);
    }
    if (decls.length > 0 && container.lastStatus !== undefined && container.lastStatus !== RUNNING) {
      addSkips(cd, [
        {
          reason: 'container-not-running',
          message: `container lastStatus ${quote(container.lastStatus)} is not RUNNING`,
        },
      ]);
      if (['PENDING', 'PROVISIONING', 'ACTIVATING'].includes(container.lastStatus))
        decision.incomplete = true;
      declared.push({ container, definition, cd, decls: [] });
    } else {
      declared.push({ container, definition, cd, decls });
    }
    if (notes.length > 0) cd.notes = notes;
  }

  const anyDeclared = declared.some((d) => d.decls.length > 0);
  if (!anyDeclared) {
    const anySkip = declared.some((d) => d.cd.skips.length > 0);
    if (!anySkip) decision.skip = { reason: 'no-container-opted-in', message: 'no container opted in' };
    return { decision, sortables: [] };
  }

  // 2. Where the task is reached.
  if (networkMode === 'none') {
    return skipTask({
      reason: 'network-mode-none',
      message: 'network mode "none" gives the task no address to scrape',
    });
  }
  if (!(NETWORK_MODES as readonly string[]).includes(networkMode)) {
    return skipTask({
      reason: 'unknown-network-mode',
      message: `network mode ${quote(networkMode)} is not one of awsvpc, bridge, host, none`,
    });
  }
  const mode = networkMode as 'awsvpc' | 'bridge' | 'host';
  const eni = eniInfo(task);
  const where: Placement =
    task.containerInstanceArn !== undefined || mode !== 'awsvpc' ? placement(task, snapshot) : {};
  const ip = taskIp(mode, eni, where);
  if (isFailure(ip)) return skipTask(ip.skip, ip.incomplete);

  const accountId = snapshot.accountId ?? accountFromArn(taskArn);
  const facts: TaskFacts = {
    snapshot,
    task,
    taskArn,
    taskId: decision.taskId,
    networkMode,
    ...(family !== undefined ? { family } : {}),
    ...(revision !== undefined ? { revision } : {}),
    ...(accountId !== undefined ? { accountId } : {}),
    ip,
    eni,
    placement: where,
    ...(serviceName !== undefined ? { serviceName } : {}),
    ...(service ? { service } : {}),
  };
  const taskLabels = taskMetaLabels(facts);

  // 3. Per container: resolve ports in precedence order; a port taken by a higher convention suppresses the lower.
  const sortables: Sortable[] = [];
  let taskTargets = 0;
  for (const { container, definition, cd, decls } of declared) {
    if (!definition || decls.length === 0) continue;
    const sorted = [...decls].sort(
      (a, b) => PRECEDENCE.indexOf(a.convention) - PRECEDENCE.indexOf(b.convention),
    );
    const ordered = sorted.slice(0, LIMITS.endpointsPerContainer);
    if (sorted.length > ordered.length) {
      const left = sorted.slice(ordered.length).map((d) => d.origin);
      addSkips(cd, [
        {
          reason: 'too-many-endpoints',
          message: `the container declares ${sorted.length} endpoints, over the limit of ${LIMITS.endpointsPerContainer} per container: ${left.length} of lowest precedence left out (${listNames(left)})`,
        },
      ]);
    }
    const dropped: DroppedLabel[][] = [];
    const overTask: string[] = [];
    const claimed = new Map<number, Convention>();
    const keys = new Set<string>();
    const notes = cd.notes ?? [];
    const supersede = (d: Declaration, port: number): boolean => {
      const owner = claimed.get(port);
      if (owner === undefined || owner === d.convention) return false;
      notes.push(`${d.origin} on container port ${port} superseded by ${owner}`);
      return true;
    };
    for (const d of ordered) {
      if (d.port.kind === 'container' && supersede(d, d.port.port)) continue;
      const resolved = resolvePort(d.port, mode, container, definition);
      if (isFailure(resolved)) {
        addSkips(cd, [resolved.skip]);
        if (resolved.incomplete) decision.incomplete = true;
        const port = resolved.containerPort ?? (d.port.kind === 'container' ? d.port.port : undefined);
        if (port !== undefined && !claimed.has(port)) claimed.set(port, d.convention);
        continue;
      }
      if (supersede(d, resolved.containerPort)) continue;
      if (!claimed.has(resolved.containerPort)) claimed.set(resolved.containerPort, d.convention);
      const key = `${taskArn}/${cd.containerName}/${resolved.containerPort}${d.path}`;
      if (keys.has(key)) continue;
      keys.add(key);
      if (taskTargets >= LIMITS.targetsPerTask) {
        overTask.push(d.origin);
        continue;
      }
      const built = buildTarget(d, key, facts, container, definition, resolved, taskLabels, options);
      if ('skip' in built) {
        addSkips(cd, [built.skip]);
        continue;
      }
      const { target } = built;
      taskTargets++;
      dropped.push(built.dropped);
      cd.targets.push(target);
      sortables.push({
        target,
        cluster: snapshot.clusterName,
        taskArn,
        container: cd.containerName,
        port: resolved.containerPort,
        path: d.path,
      });
    }
    if (overTask.length > 0) {
      addSkips(cd, [
        {
          reason: 'too-many-targets',
          message: `the task reached the limit of ${LIMITS.targetsPerTask} targets per task: ${overTask.length} more of this container left out (${listNames(overTask)})`,
        },
      ]);
    }
    const bounded = boundsOf(dropped);
    if (bounded.length > 0) cd.bounded = bounded;
    if (notes.length > 0) cd.notes = notes;
  }
  return { decision, sortables };
}
