/**
 * Where a container's metrics are reached (docs/conventions.md "Where a target is"):
 * awsvpc → the task's ENI; bridge and host → the container instance's host (EC2 private IP, or the SSM
 * address on ECS Anywhere). Failures are skips, with `incomplete` when a later refresh may fix them.
 */
import type { Container, ContainerDefinition, ContainerInstance, Task } from '@aws-sdk/client-ecs';
import type { Declaration } from './declaration.ts';
import type { ClusterSnapshot, HostInfo, Skip } from './types.ts';
import { quote } from './values.ts';

/** A skip, and whether the same task may become a target later without changing. */
export interface Failure {
  skip: Skip;
  incomplete: boolean;
  /** The container port the failed declaration was about, when known (it still claims that port). */
  containerPort?: number;
}

/** The network modes ecs-sd knows; Windows `default`/`nat` and others are skipped as unknown. */
export const NETWORK_MODES = ['awsvpc', 'bridge', 'host', 'none'] as const;
export type KnownNetworkMode = (typeof NETWORK_MODES)[number];

/** The task's ENI as DescribeTasks reports it (attachments, then the containers' networkInterfaces). */
export interface EniInfo {
  ipv4?: string;
  ipv6?: string;
  subnetId?: string;
  networkInterfaceId?: string;
  /** True when the task has an ENI attachment or a container with networkInterfaces. */
  attached: boolean;
}

/** The ENI details of an awsvpc task: `attachments[type=ElasticNetworkInterface].details`, then `containers[].networkInterfaces`. */
export function eniInfo(task: Task): EniInfo {
  const eni = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
  const info: EniInfo = {
    attached:
      eni !== undefined || (task.containers ?? []).some((c) => (c.networkInterfaces ?? []).length > 0),
  };
  for (const d of eni?.details ?? []) {
    if (d.value === undefined || d.value === '') continue;
    if (d.name === 'privateIPv4Address') info.ipv4 = d.value;
    else if (d.name === 'ipv6Address' || d.name === 'privateIPv6Address') info.ipv6 = d.value;
    else if (d.name === 'subnetId') info.subnetId = d.value;
    else if (d.name === 'networkInterfaceId') info.networkInterfaceId = d.value;
  }
  for (const c of task.containers ?? []) {
    for (const ni of c.networkInterfaces ?? []) {
      if (info.ipv4 === undefined && ni.privateIpv4Address) info.ipv4 = ni.privateIpv4Address;
      if (info.ipv6 === undefined && ni.ipv6Address) info.ipv6 = ni.ipv6Address;
    }
  }
  return info;
}

/** The host a task runs on, looked up through containerInstanceArn → ec2InstanceId → hosts. */
export interface Placement {
  containerInstanceArn?: string;
  containerInstance?: ContainerInstance;
  host?: HostInfo;
  /** Why the host could not be found; only fatal for bridge and host network modes. */
  failure?: Failure;
}

/** Finds the container instance and host of a task; awsvpc on Fargate has neither, which is no failure. */
export function placement(task: Task, snapshot: ClusterSnapshot): Placement {
  const arn = task.containerInstanceArn;
  if (arn === undefined || arn === '') {
    return {
      failure: {
        skip: {
          reason: 'task-missing-fields',
          message: 'task has no containerInstanceArn (expected one on EC2 and EXTERNAL)',
        },
        incomplete: false,
      },
    };
  }
  const containerInstance = snapshot.containerInstances.get(arn);
  if (!containerInstance) {
    return {
      containerInstanceArn: arn,
      failure: {
        skip: {
          reason: 'container-instance-missing',
          message: `container instance ${quote(arn)} is not in the snapshot`,
        },
        incomplete: true,
      },
    };
  }
  const id = containerInstance.ec2InstanceId;
  if (id === undefined || id === '') {
    return {
      containerInstanceArn: arn,
      containerInstance,
      failure: {
        skip: { reason: 'host-missing', message: `container instance ${quote(arn)} has no ec2InstanceId` },
        incomplete: true,
      },
    };
  }
  const host = snapshot.hosts.get(id);
  if (!host) {
    return {
      containerInstanceArn: arn,
      containerInstance,
      failure: {
        skip: {
          reason: 'host-missing',
          message: `host ${quote(id)} of container instance ${quote(arn)} is not in the snapshot`,
        },
        incomplete: true,
      },
    };
  }
  return { containerInstanceArn: arn, containerInstance, host };
}

/** An IP as the host part of host:port: IPv6 in brackets. */
export function hostPart(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

/** The IP to dial for a task: the ENI's (IPv4, else IPv6) for awsvpc, the host's for bridge and host. */
export function taskIp(mode: 'awsvpc' | 'bridge' | 'host', eni: EniInfo, where: Placement): string | Failure {
  if (mode === 'awsvpc') {
    if (!eni.attached) {
      return {
        skip: {
          reason: 'task-missing-fields',
          message: 'awsvpc task has no ElasticNetworkInterface attachment and no container networkInterfaces',
        },
        incomplete: true,
      };
    }
    const ip = eni.ipv4 ?? eni.ipv6;
    if (ip === undefined) {
      return {
        skip: {
          reason: 'no-address',
          message: 'awsvpc task has no privateIPv4Address or IPv6 address on its ENI yet',
        },
        incomplete: true,
      };
    }
    return ip;
  }
  if (where.failure) return where.failure;
  const host = where.host!;
  const ip = host.privateIpAddress ?? host.ipv6Address;
  if (ip === undefined || ip === '') {
    const what = host.source === 'ssm' ? 'SSM IPAddress' : 'private IP address';
    return {
      skip: { reason: 'no-address', message: `host ${quote(host.ec2InstanceId)} has no ${what}` },
      incomplete: true,
    };
  }
  return ip;
}

/** A declaration's port resolved for one container: the port to dial and the container port behind it. */
export interface ResolvedPort {
  port: number;
  containerPort: number;
  /** The host port, in bridge and host network modes. */
  hostPort?: number;
}

function tcp(b: { protocol?: string | undefined }): boolean {
  return b.protocol === undefined || b.protocol === 'tcp';
}

/** Resolves a declared port to the port to dial, per network mode (see docs/conventions.md). */
export function resolvePort(
  spec: Declaration['port'],
  mode: 'awsvpc' | 'bridge' | 'host',
  container: Container,
  definition: ContainerDefinition,
): ResolvedPort | Failure {
  const mappings = (definition.portMappings ?? []).filter(tcp);
  const bindings = (container.networkBindings ?? []).filter(
    (b) => tcp(b) && b.hostPort !== undefined && b.hostPort > 0,
  );
  const notAssigned = (containerPort: number): Failure => ({
    skip: {
      reason: 'binding-not-assigned-yet',
      message: `bridge binding for container port ${containerPort} not assigned yet`,
    },
    incomplete: true,
    containerPort,
  });
  const hostPortOf = (containerPort: number): number | undefined =>
    bindings.find((b) => b.containerPort === containerPort)?.hostPort;

  switch (spec.kind) {
    case 'container': {
      if (mode !== 'bridge')
        return { port: spec.port, containerPort: spec.port, ...hostish(mode, spec.port) };
      const hostPort = hostPortOf(spec.port);
      if (hostPort !== undefined) return { port: hostPort, containerPort: spec.port, hostPort };
      if (mappings.some((m) => m.containerPort === spec.port)) return notAssigned(spec.port);
      return {
        skip: {
          reason: 'port-missing',
          message: `${spec.source}: container port ${spec.port} has no port mapping (bridge network mode reaches mapped ports only)`,
        },
        incomplete: false,
      };
    }
    case 'target': {
      if (mode !== 'bridge')
        return { port: spec.port, containerPort: spec.port, ...hostish(mode, spec.port) };
      const byHost = bindings.find((b) => b.hostPort === spec.port);
      if (byHost)
        return { port: spec.port, containerPort: byHost.containerPort ?? spec.port, hostPort: spec.port };
      const hostPort = hostPortOf(spec.port);
      if (hostPort !== undefined) return { port: hostPort, containerPort: spec.port, hostPort };
      const mapping = mappings.find((m) => m.containerPort === spec.port || m.hostPort === spec.port);
      if (
        mapping &&
        (mapping.hostPort === undefined || mapping.hostPort === 0) &&
        mapping.containerPort !== undefined
      ) {
        return notAssigned(mapping.containerPort);
      }
      // As prometheus-ecs-sd: PROMETHEUS_PORT is dialed as is on the host.
      return { port: spec.port, containerPort: spec.port, hostPort: spec.port };
    }
    case 'first-mapping': {
      if (mode !== 'bridge') {
        const first = mappings[0];
        const port = first ? first.hostPort || first.containerPort : undefined;
        // prometheus-ecs-sd falls back to port 80 when nothing is mapped.
        const p = port ?? 80;
        return { port: p, containerPort: first?.containerPort ?? p, ...hostish(mode, p) };
      }
      const first = bindings[0];
      if (first?.hostPort !== undefined) {
        return {
          port: first.hostPort,
          containerPort: first.containerPort ?? first.hostPort,
          hostPort: first.hostPort,
        };
      }
      const firstMapping = mappings[0];
      if (firstMapping?.containerPort !== undefined) return notAssigned(firstMapping.containerPort);
      return {
        skip: {
          reason: 'port-missing',
          message:
            'PROMETHEUS=true but no PROMETHEUS_PORT, PROMETHEUS_CONTAINER_PORT or port mapping to take the port from',
        },
        incomplete: false,
      };
    }
    case 'single-mapping': {
      const only = mappings.length === 1 ? mappings[0]?.containerPort : undefined;
      if (only === undefined) {
        return {
          skip: {
            reason: 'port-missing',
            message: `${spec.source} is not set and the container has ${mappings.length} tcp port mappings (expected exactly 1 to pick from)`,
          },
          incomplete: false,
        };
      }
      return resolvePort(
        { kind: 'container', port: only, source: `${spec.source} (only port mapping)` },
        mode,
        container,
        definition,
      );
    }
  }
}

function hostish(mode: 'awsvpc' | 'bridge' | 'host', port: number): { hostPort?: number } {
  return mode === 'host' ? { hostPort: port } : {};
}

/** True for a resolver failure rather than a value. */
export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && 'skip' in value;
}
