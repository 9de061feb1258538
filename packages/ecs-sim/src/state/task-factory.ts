import type {
  Cluster,
  ContainerInstance,
  Eni,
  LaunchType,
  Service,
  Subnet,
  Tag,
  Task,
  TaskChaos,
  TaskDefinition,
  TaskStatus,
} from './model.ts';
import type { Network } from './network.ts';
import type { Placed } from './placement.ts';
import type { WorldCore } from './world-core.ts';

/** Input of startTask: everything that decides placement and the initial state. */
export interface StartTaskInput {
  taskDefinition: TaskDefinition;
  launchType: LaunchType;
  group?: string | undefined;
  startedBy?: string | undefined;
  service?: Service | undefined;
  containerInstance?: ContainerInstance | undefined;
  subnets?: Subnet[] | undefined;
  assignIpv6?: boolean | undefined;
  environmentOverrides?: Map<string, { name: string; value: string }[]> | undefined;
  tags?: Tag[] | undefined;
  /** RUNNING immediately (fleet load) or a pinned status; otherwise walk the lifecycle. */
  initialStatus?: TaskStatus | undefined;
  pinned?: boolean | undefined;
  chaos?: TaskChaos | undefined;
}

/**
 * Creates a placed task in its cluster, on its container instance and in its service, before its first lifecycle
 * step: id and ARN, an ENI in a subnet for awsvpc, and its containers. Draws from the PRNG in a fixed order (task id,
 * ENI, container ids), so a seeded fleet keeps its ids.
 */
export function createTask(
  core: WorldCore,
  network: Pick<Network, 'pickSubnet' | 'createEni'>,
  cluster: Cluster,
  input: StartTaskInput,
  placed: Placed,
): Task {
  const td = input.taskDefinition;
  const acct = cluster.account;
  const ci = placed.containerInstance;
  const staticPorts = placed.staticPorts;
  let subnet: Subnet | undefined;
  let eni: Eni | undefined;
  const id = core.prng.hex(32);
  const arn = core.ecsArn(acct, cluster.arnFormat === 'long' ? `task/${cluster.name}/${id}` : `task/${id}`);
  if (td.networkMode === 'awsvpc') {
    subnet = network.pickSubnet(acct, input.subnets);
    core.seq.next();
    eni = network.createEni(
      acct,
      subnet,
      `arn:aws:ecs:${core.region}:${acct.id}:attachment/${id}`,
      input.assignIpv6 ?? false,
      'interface',
    );
  }
  const now = core.now();
  const task: Task = {
    id,
    arn,
    seq: core.seq.next(),
    cluster,
    taskDefinition: td,
    launchType: input.launchType,
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    group: input.group ?? (input.service ? `service:${input.service.name}` : `family:${td.family}`),
    startedBy: input.startedBy,
    service: input.service,
    containerInstance: ci,
    subnet,
    eni,
    assignIpv6: input.assignIpv6 ?? false,
    availabilityZone: subnet?.availabilityZone ?? ci?.availabilityZone ?? `${core.region}a`,
    containers: td.containerDefinitions.map((def) => ({
      id: core.prng.uuid(),
      def,
      lastStatus: 'PENDING' as const,
      runtimeId: undefined,
      exitCode: undefined,
      hostPorts: def.portMappings.map(() => undefined),
      environmentOverrides: input.environmentOverrides?.get(def.name),
    })),
    staticPorts,
    createdAt: now,
    pullStartedAt: undefined,
    pullStoppedAt: undefined,
    startedAt: undefined,
    connectivityAt: undefined,
    stoppingAt: undefined,
    executionStoppedAt: undefined,
    stoppedAt: undefined,
    stoppedReason: undefined,
    stopCode: undefined,
    version: 0,
    tags: input.tags ?? [],
    pinned: input.pinned ?? false,
    chaos: input.chaos,
    platformVersion: input.launchType === 'FARGATE' ? '1.4.0' : undefined,
    cpu: td.cpu ?? String(td.containerDefinitions.reduce((s, c) => s + c.cpu, 0) || 256),
    memory: td.memory ?? String(td.containerDefinitions.reduce((s, c) => s + (c.memory ?? 0), 0) || 512),
  };
  cluster.tasks.set(id, task);
  ci?.tasks.add(task);
  input.service?.tasks.add(task);
  return task;
}
