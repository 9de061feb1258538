import { clusterCounts, type LaggedCounts, taskCounts } from '../state/counts.ts';
import type {
  Cluster,
  ContainerInstance,
  Service,
  Task,
  TaskContainer,
  TaskDefinition,
} from '../state/model.ts';

/** AWS JSON timestamps are epoch seconds (with fractions). */
export const epoch = (d: Date | undefined): number | undefined => (d ? d.getTime() / 1000 : undefined);

const BEFORE_ENI: ReadonlySet<string> = new Set(['PROVISIONING']);

function attachmentStatus(task: Task): string {
  switch (task.lastStatus) {
    case 'PROVISIONING':
      return 'PRECREATED';
    case 'DEPROVISIONING':
      return 'DETACHING';
    case 'STOPPED':
      return 'DETACHED';
    default:
      return 'ATTACHED';
  }
}

function containerArn(task: Task, c: TaskContainer): string {
  const base = task.arn.slice(0, task.arn.indexOf(':task/'));
  return task.cluster.arnFormat === 'long'
    ? `${base}:container/${task.cluster.name}/${task.id}/${c.id}`
    : `${base}:container/${c.id}`;
}

const RENDERED = new WeakMap<Task, { version: number; value: Record<string, unknown> }>();

/**
 * A task as DescribeTasks returns it: fields appear only once ECS would have them (IP from PENDING, bindings once
 * RUNNING). The shape is cached per task `version` (every change bumps it); callers must not mutate the result.
 */
export function renderTask(task: Task, includeTags: boolean): Record<string, unknown> {
  let cached = RENDERED.get(task);
  if (cached?.version !== task.version) {
    cached = { version: task.version, value: renderTaskUncached(task) };
    RENDERED.set(task, cached);
  }
  return includeTags && task.tags.length > 0 ? { ...cached.value, tags: task.tags } : cached.value;
}

function renderTaskUncached(task: Task): Record<string, unknown> {
  const td = task.taskDefinition;
  const mode = td.networkMode;
  const chaos = task.chaos;
  const eniVisible = task.eni !== undefined && !BEFORE_ENI.has(task.lastStatus);
  const attachments: Record<string, unknown>[] = [];
  if (task.eni && !chaos?.missing.has('attachments')) {
    const eni = task.eni;
    const details: { name: string; value: string }[] = [{ name: 'subnetId', value: eni.subnet.id }];
    if (eniVisible) {
      details.push({ name: 'networkInterfaceId', value: eni.id });
      details.push({ name: 'macAddress', value: eni.macAddress });
      details.push({
        name: 'privateDnsName',
        value: `ip-${eni.privateIpAddress.replace(/\./g, '-')}.ec2.internal`,
      });
      details.push({ name: 'privateIPv4Address', value: eni.privateIpAddress });
      if (eni.ipv6Address) details.push({ name: 'privateIPv6Address', value: eni.ipv6Address });
    }
    attachments.push({
      id: eni.attachmentId,
      type: 'ElasticNetworkInterface',
      status: attachmentStatus(task),
      details,
    });
  }
  const containers = task.containers.map((c) => {
    const out: Record<string, unknown> = {
      containerArn: containerArn(task, c),
      taskArn: task.arn,
      name: c.def.name,
      image: c.def.image,
      lastStatus: c.lastStatus,
      healthStatus: 'UNKNOWN',
      cpu: String(c.def.cpu),
    };
    if (c.def.memory !== undefined) out['memory'] = String(c.def.memory);
    if (c.runtimeId) out['runtimeId'] = c.runtimeId;
    if (c.exitCode !== undefined) out['exitCode'] = c.exitCode;
    if (mode === 'bridge' || mode === 'host') {
      const bindings: Record<string, unknown>[] = [];
      if (c.lastStatus !== 'PENDING') {
        c.def.portMappings.forEach((p, i) => {
          const hp = c.hostPorts[i];
          if (hp === undefined) return;
          if (chaos?.bindingUnassigned && mode === 'bridge') return;
          bindings.push({
            bindIP: '0.0.0.0',
            containerPort: p.containerPort,
            hostPort: hp,
            protocol: p.protocol,
          });
        });
      }
      out['networkBindings'] = bindings;
    }
    if (mode === 'awsvpc' && task.eni && eniVisible && !chaos?.missing.has('attachments')) {
      const ni: Record<string, unknown> = {
        attachmentId: task.eni.attachmentId,
        privateIpv4Address: task.eni.privateIpAddress,
      };
      if (task.eni.ipv6Address) ni['ipv6Address'] = task.eni.ipv6Address;
      out['networkInterfaces'] = [ni];
    } else {
      out['networkInterfaces'] = [];
    }
    return out;
  });
  const overrides = task.containers
    .filter((c) => c.environmentOverrides !== undefined)
    .map((c) => ({ name: c.def.name, environment: c.environmentOverrides }));
  const out: Record<string, unknown> = {
    taskArn: task.arn,
    clusterArn: task.cluster.arn,
    taskDefinitionArn: td.arn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    launchType: task.launchType,
    group: task.group,
    availabilityZone: task.availabilityZone,
    attachments,
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    containers,
    cpu: task.cpu,
    memory: task.memory,
    createdAt: epoch(task.createdAt),
    healthStatus: 'UNKNOWN',
    overrides: { containerOverrides: overrides, inferenceAcceleratorOverrides: [] },
    version: task.version,
    tags: [],
    enableExecuteCommand: false,
  };
  if (task.containerInstance) out['containerInstanceArn'] = task.containerInstance.arn;
  if (task.startedBy) out['startedBy'] = task.startedBy;
  if (task.launchType === 'FARGATE') {
    out['platformVersion'] = task.platformVersion;
    out['platformFamily'] = 'Linux';
    out['ephemeralStorage'] = { sizeInGiB: 20 };
  }
  if (task.pullStartedAt) out['pullStartedAt'] = epoch(task.pullStartedAt);
  if (task.pullStoppedAt) out['pullStoppedAt'] = epoch(task.pullStoppedAt);
  if (task.startedAt) out['startedAt'] = epoch(task.startedAt);
  if (task.connectivityAt) {
    out['connectivity'] = 'CONNECTED';
    out['connectivityAt'] = epoch(task.connectivityAt);
  }
  if (task.stoppingAt) out['stoppingAt'] = epoch(task.stoppingAt);
  if (task.executionStoppedAt) out['executionStoppedAt'] = epoch(task.executionStoppedAt);
  if (task.stoppedAt) out['stoppedAt'] = epoch(task.stoppedAt);
  if (task.stoppedReason) out['stoppedReason'] = task.stoppedReason;
  if (task.stopCode) out['stopCode'] = task.stopCode;
  if (chaos) for (const f of chaos.missing) if (f !== 'attachments') delete out[f];
  return out;
}

/** A container instance as DescribeContainerInstances returns it. */
export function renderContainerInstance(
  ci: ContainerInstance,
  includeTags: boolean,
): Record<string, unknown> {
  const { running, pending } = taskCounts(ci.tasks);
  const resources = [
    { name: 'CPU', type: 'INTEGER', integerValue: 2048, doubleValue: 0, longValue: 0 },
    { name: 'MEMORY', type: 'INTEGER', integerValue: 7680, doubleValue: 0, longValue: 0 },
  ];
  return {
    containerInstanceArn: ci.arn,
    ec2InstanceId: ci.ec2InstanceId,
    version: ci.version,
    versionInfo: { agentVersion: '1.89.0', agentHash: 'sim', dockerVersion: 'DockerVersion: 25.0.0' },
    remainingResources: resources,
    registeredResources: resources,
    status: ci.status,
    agentConnected: ci.agentConnected,
    runningTasksCount: running,
    pendingTasksCount: pending,
    registeredAt: epoch(ci.registeredAt),
    attributes: [
      { name: 'ecs.instance-type', value: ci.instanceType },
      { name: 'ecs.availability-zone', value: ci.availabilityZone },
      { name: 'ecs.os-type', value: 'linux' },
      { name: 'ecs.capability.external', value: ci.launchType === 'EXTERNAL' ? 'true' : undefined },
    ].filter((a) => a.value !== undefined),
    attachments: [],
    tags: includeTags ? ci.tags : [],
  };
}

/** A service as DescribeServices returns it, with one PRIMARY deployment (counts as of `counts`' lag). */
export function renderService(
  svc: Service,
  includeTags: boolean,
  counts?: LaggedCounts,
): Record<string, unknown> {
  const current = () => taskCounts(svc.tasks);
  const { running, pending } = counts === undefined ? current() : counts.read(svc, current);
  const out: Record<string, unknown> = {
    serviceArn: svc.arn,
    serviceName: svc.name,
    clusterArn: svc.cluster.arn,
    loadBalancers: [],
    serviceRegistries: [],
    status: svc.status,
    desiredCount: svc.desiredCount,
    runningCount: running,
    pendingCount: pending,
    launchType: svc.launchType,
    taskDefinition: svc.taskDefinition.arn,
    deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
    deployments: [
      {
        id: `ecs-svc/${svc.deploymentId}`,
        status: 'PRIMARY',
        taskDefinition: svc.taskDefinition.arn,
        desiredCount: svc.desiredCount,
        pendingCount: pending,
        runningCount: running,
        failedTasks: 0,
        createdAt: epoch(svc.createdAt),
        updatedAt: epoch(svc.updatedAt),
        launchType: svc.launchType,
        rolloutState: running >= svc.desiredCount ? 'COMPLETED' : 'IN_PROGRESS',
      },
    ],
    events: [],
    createdAt: epoch(svc.createdAt),
    placementConstraints: [],
    placementStrategy: [],
    schedulingStrategy: svc.schedulingStrategy,
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
    tags: includeTags ? svc.tags : [],
  };
  if (svc.taskDefinition.networkMode === 'awsvpc') {
    out['networkConfiguration'] = {
      awsvpcConfiguration: {
        subnets: svc.subnets.map((s) => s.id),
        securityGroups: [],
        assignPublicIp: 'DISABLED',
      },
    };
  }
  if (svc.launchType === 'FARGATE') out['platformVersion'] = 'LATEST';
  return out;
}

/** A cluster as DescribeClusters returns it (counts from the live model, as of `counts`' lag). */
export function renderCluster(
  c: Cluster,
  includeTags: boolean,
  counts?: LaggedCounts,
): Record<string, unknown> {
  const current = () => clusterCounts(c);
  return {
    clusterArn: c.arn,
    clusterName: c.name,
    status: c.status,
    ...(counts === undefined ? current() : counts.read(c, current)),
    statistics: [],
    tags: includeTags ? c.tags : [],
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
}

/** A task definition as DescribeTaskDefinition returns it. */
export function renderTaskDefinition(td: TaskDefinition): Record<string, unknown> {
  const compat = ['EC2', 'EXTERNAL'];
  if (td.networkMode === 'awsvpc') compat.push('FARGATE');
  const out: Record<string, unknown> = {
    taskDefinitionArn: td.arn,
    family: td.family,
    revision: td.revision,
    status: td.status,
    networkMode: td.networkMode,
    containerDefinitions: td.containerDefinitions.map((c) => {
      const d: Record<string, unknown> = {
        name: c.name,
        image: c.image,
        cpu: c.cpu,
        essential: c.essential,
        portMappings: c.portMappings,
        environment: c.environment,
        mountPoints: [],
        volumesFrom: [],
      };
      if (c.memory !== undefined) d['memory'] = c.memory;
      if (Object.keys(c.dockerLabels).length > 0) d['dockerLabels'] = c.dockerLabels;
      return d;
    }),
    volumes: [],
    placementConstraints: [],
    requiresAttributes: [],
    compatibilities: compat,
    requiresCompatibilities: td.requiresCompatibilities,
    registeredAt: epoch(td.registeredAt),
    registeredBy: `arn:aws:iam::${td.arn.split(':')[4]}:root`,
  };
  if (td.cpu !== undefined) out['cpu'] = td.cpu;
  if (td.memory !== undefined) out['memory'] = td.memory;
  if (td.deregisteredAt) out['deregisteredAt'] = epoch(td.deregisteredAt);
  return out;
}
