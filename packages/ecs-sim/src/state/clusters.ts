import { PortAllocator } from './addressing.ts';
import type {
  Account,
  ArnFormat,
  Cluster,
  ContainerInstance,
  Ec2Instance,
  ManagedInstance,
  Tag,
} from './model.ts';
import type { WorldCore } from './world-core.ts';

/** The host of a container instance: an EC2 instance, or an SSM managed instance (ECS Anywhere). */
export type ContainerInstanceHost =
  | { kind: 'EC2'; instance: Ec2Instance }
  | { kind: 'EXTERNAL'; instance: ManagedInstance };

/** Ports the ECS agent reserves on every container instance (SSH, Docker, the agent's own). */
const AGENT_PORTS = [22, 2375, 2376, 51678, 51679];

/** Creates (or returns the existing ACTIVE) cluster. */
export function createCluster(
  core: WorldCore,
  account: Account,
  name: string,
  opts: { arnFormat?: ArnFormat; tags?: Tag[] } = {},
): Cluster {
  const existing = account.clusters.get(name);
  if (existing) return existing;
  account.deletedClusters.delete(name);
  const cluster: Cluster = {
    name,
    arn: core.ecsArn(account, `cluster/${name}`),
    account,
    arnFormat: opts.arnFormat ?? 'long',
    status: 'ACTIVE',
    tags: opts.tags ?? [],
    tasks: new Map(),
    containerInstances: new Map(),
    services: new Map(),
    placementCursor: 0,
    seq: core.seq.next(),
  };
  account.clusters.set(name, cluster);
  return cluster;
}

/** Deletes a cluster (INACTIVE, kept for DescribeClusters) and drops every pending step of its tasks. */
export function deleteCluster(core: WorldCore, cluster: Cluster): void {
  cluster.status = 'INACTIVE';
  cluster.account.clusters.delete(cluster.name);
  cluster.account.deletedClusters.set(cluster.name, cluster);
  for (const t of cluster.tasks.values()) core.scheduler.cancel(t);
}

/** Registers an ACTIVE container instance on a host and announces it. */
export function registerContainerInstance(
  core: WorldCore,
  cluster: Cluster,
  host: ContainerInstanceHost,
  tags: Tag[],
): ContainerInstance {
  const id = core.prng.hex(32);
  const acct = cluster.account;
  const ci: ContainerInstance = {
    id,
    arn: core.ecsArn(
      acct,
      cluster.arnFormat === 'long' ? `container-instance/${cluster.name}/${id}` : `container-instance/${id}`,
    ),
    cluster,
    ec2InstanceId: host.instance.instanceId,
    launchType: host.kind,
    instanceType: host.kind === 'EC2' ? host.instance.instanceType : 'external',
    privateIp: host.kind === 'EC2' ? host.instance.eni.privateIpAddress : host.instance.ipAddress,
    availabilityZone: host.instance.subnet.availabilityZone,
    subnet: host.instance.subnet,
    status: 'ACTIVE',
    agentConnected: true,
    registeredAt: core.now(),
    version: 1,
    ports: new PortAllocator(),
    tasks: new Set(),
    tags,
    seq: core.seq.next(),
  };
  for (const p of AGENT_PORTS) ci.ports.reserve(p);
  cluster.containerInstances.set(id, ci);
  core.emit({ kind: 'containerInstance', ci });
  return ci;
}

/** Marks a container instance INACTIVE with its agent disconnected, and announces it (its tasks are the caller's). */
export function deactivateContainerInstance(core: WorldCore, ci: ContainerInstance): void {
  ci.status = 'INACTIVE';
  ci.agentConnected = false;
  ci.version++;
  core.emit({ kind: 'containerInstance', ci });
}
