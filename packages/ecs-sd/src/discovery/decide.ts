/**
 * From a ClusterSnapshot to targets and per-task decisions. Pure: no I/O, no clock, never throws on
 * bad input; every task gets a decision and every container that yields nothing says why.
 */
import type { Container, ContainerDefinition, Task } from '@aws-sdk/client-ecs';
import {
  eniInfo,
  hostPart,
  isFailure,
  NETWORK_MODES,
  type Placement,
  placement,
  resolvePort,
  taskIp,
} from './address.ts';
import { accountFromArn, familyAndRevision, nameFromArn, taskIdFromArn } from './arn.ts';
import {
  type ConventionResult,
  configRules,
  ecsSdLabels,
  prometheusEcsDiscovery,
  prometheusEcsSd,
  prometheusEnv,
} from './conventions.ts';
import type { Declaration } from './declaration.ts';
import { bucketFor, parseInterval } from './interval.ts';
import { containerMetaLabels, serviceNameFromGroup, type TaskFacts, taskMetaLabels } from './meta-labels.ts';
import type {
  ClusterDiscovery,
  ClusterSnapshot,
  ContainerDecision,
  Convention,
  DiscoveryOptions,
  Interval,
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
  const taskArn = task.taskArn ?? '';
  const decision: TaskDecision = {
    taskArn,
    taskId: taskArn === '' ? '' : taskIdFromArn(taskArn),
    clusterName: snapshot.clusterName,
    source: snapshot.source,
    lastStatus: task.lastStatus ?? '',
    ...(task.taskDefinitionArn ? { taskDefinitionArn: task.taskDefinitionArn } : {}),
    ...(task.launchType ? { launchType: task.launchType } : {}),
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
    if (options.conventions.ecsSdLabels) results.push(ecsSdLabels(labels, options.defaultPath));
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
  for (const { container, definition, cd, decls } of declared) {
    if (!definition || decls.length === 0) continue;
    const ordered = [...decls].sort(
      (a, b) => PRECEDENCE.indexOf(a.convention) - PRECEDENCE.indexOf(b.convention),
    );
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
      const target = buildTarget(d, key, facts, container, definition, resolved, taskLabels, options);
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
    if (notes.length > 0) cd.notes = notes;
  }
  return { decision, sortables };
}

function addSkips(cd: ContainerDecision, skips: readonly Skip[]): void {
  for (const s of skips) {
    if (!cd.skips.some((x) => x.reason === s.reason && x.message === s.message)) cd.skips.push(s);
  }
}

function intervalOf(d: Declaration, options: DiscoveryOptions): Interval {
  if (!d.interval) return options.defaultInterval;
  return parseInterval(d.interval.text) ?? bucketFor(d.interval.ms);
}

function buildTarget(
  d: Declaration,
  key: string,
  f: TaskFacts,
  container: Container,
  definition: ContainerDefinition,
  resolved: { port: number; containerPort: number; hostPort?: number },
  taskLabels: Readonly<Record<string, string>>,
  options: DiscoveryOptions,
): Target {
  const address = `${d.serverName ?? hostPart(f.ip)}:${resolved.port}`;
  const family = f.family ?? '';
  const job = d.job ?? family;
  const visible: Record<string, string> = {};
  const ecsLabels = (): void => {
    visible['ecs_task_id'] = f.taskId;
    if (f.revision !== undefined) visible['ecs_task_version'] = f.revision;
    visible['ecs_cluster'] = f.snapshot.clusterName;
    if (f.placement.containerInstanceArn !== undefined) {
      if (container.containerArn) visible['ecs_container_id'] = nameFromArn(container.containerArn);
      const instanceId = f.placement.host?.ec2InstanceId ?? f.placement.containerInstance?.ec2InstanceId;
      if (instanceId) visible['instance_id'] = instanceId;
    }
  };
  switch (d.convention) {
    case 'prometheus-ecs-sd':
      visible['metrics_path'] = d.path;
      if (d.noLabels) {
        visible['instance'] = family;
      } else {
        visible['instance'] = address;
        ecsLabels();
      }
      break;
    case 'prometheus-ecs-discovery':
      visible['task_arn'] = f.taskArn;
      visible['task_name'] = family;
      if (f.revision !== undefined) visible['task_revision'] = f.revision;
      if (f.task.group) visible['task_group'] = f.task.group;
      visible['cluster_arn'] = f.snapshot.clusterArn;
      visible['container_name'] = container.name ?? '';
      if (container.containerArn) visible['container_arn'] = container.containerArn;
      if (container.image ?? definition.image)
        visible['docker_image'] = (container.image ?? definition.image)!;
      ecsLabels();
      break;
    case 'ecs-sd-labels':
    case 'rule':
      ecsLabels();
      visible['ecs_container'] = container.name ?? '';
      Object.assign(visible, d.labels);
      break;
  }
  visible['job'] = job;

  const scrape: Record<string, string> = { __metrics_path__: d.path };
  if (d.scheme) scrape['__scheme__'] = d.scheme;
  if (d.interval) scrape['__scrape_interval__'] = d.interval.text;
  if (d.timeout) scrape['__scrape_timeout__'] = d.timeout.text;
  else if (d.interval && d.interval.ms < 15_000) scrape['__scrape_timeout__'] = d.interval.text;

  const meta = containerMetaLabels(
    container,
    definition,
    resolved.containerPort,
    resolved.hostPort,
    d.convention,
    options.dockerLabelAllowlist,
    {
      ...(d.ruleName !== undefined ? { ruleName: d.ruleName } : {}),
      ...(d.endpointName !== undefined ? { endpointName: d.endpointName } : {}),
    },
  );
  const labels: Record<string, string> = {};
  const all = { ...taskLabels, ...meta, ...scrape, ...visible };
  for (const name of Object.keys(all).sort()) labels[name] = all[name as keyof typeof all]!;
  return {
    key,
    address,
    interval: intervalOf(d, options),
    job,
    clusterName: f.snapshot.clusterName,
    convention: d.convention,
    labels,
  };
}
