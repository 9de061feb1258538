/**
 * Reusable fixture builders for discovery tests: plain objects typed with the SDK types, so a table row
 * reads as "what DescribeTasks said". Other test suites (aws/, output/, server/) may import these.
 */
import type {
  Container,
  ContainerDefinition,
  ContainerInstance,
  NetworkBinding,
  PortMapping,
  Service,
  Task,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { ClusterSnapshot, DiscoveryOptions, HostInfo, Rule } from '../../src/discovery/types.ts';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const CLUSTER = 'prod';
export const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;

/** A task ARN in the current (`task/CLUSTER/ID`) or old (`task/ID`) format. */
export function taskArn(id: string, format: 'new' | 'old' = 'new'): string {
  return format === 'new'
    ? `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${id}`
    : `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${id}`;
}

export function taskDefinitionArn(family: string, revision: number): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
}

export function containerInstanceArn(id: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${CLUSTER}/${id}`;
}

/** The hosts every fleet knows, by container instance id. */
export const HOSTS: Readonly<Record<string, HostInfo>> = {
  'ci-ec2': {
    ec2InstanceId: 'i-0123456789abcdef0',
    source: 'ec2',
    privateIpAddress: '10.0.1.10',
    publicIpAddress: '54.1.2.3',
    instanceType: 'm5.large',
    availabilityZone: 'eu-west-1a',
    subnetId: 'subnet-host',
    tags: { Name: 'node-1', 'aws:autoscaling:groupName': 'asg-1' },
  },
  'ci-v6': {
    ec2InstanceId: 'i-0v6000000000000000',
    source: 'ec2',
    ipv6Address: '2001:db8::10',
    instanceType: 'm6g.large',
    tags: {},
  },
  'ci-noip': {
    ec2InstanceId: 'i-0noip00000000000000',
    source: 'ec2',
    tags: {},
  },
  'ci-ext-noip': {
    ec2InstanceId: 'mi-0noip000000000000',
    source: 'ssm',
    tags: {},
  },
  'ci-ext': {
    ec2InstanceId: 'mi-0123456789abcdef0',
    source: 'ssm',
    privateIpAddress: '192.168.1.20',
    tags: {},
  },
};

/** One container of a task spec: its definition and what DescribeTasks says about it. */
export interface ContainerSpec {
  name: string;
  image?: string;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  /** portMappings by containerPort; hostPort 0 (dynamic) in bridge mode unless given in staticPorts. */
  ports?: number[];
  /** Bridge mappings with a fixed host port: [containerPort, hostPort]. */
  staticPorts?: [number, number][];
  /** networkBindings reported by DescribeTasks; by default every mapping bound (dynamic ones from 32768). */
  bindings?: [number, number][];
  lastStatus?: string;
}

/** A task and its task definition, described in a few fields. */
export interface TaskSpec {
  id: string;
  arnFormat?: 'new' | 'old';
  family?: string;
  revision?: number;
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  /** Task definition networkMode; null leaves it unset. Default: awsvpc on FARGATE, bridge otherwise. */
  networkMode?: string | null;
  lastStatus?: string;
  containers: ContainerSpec[];
  /** awsvpc ENI details; default a private IPv4 address for awsvpc tasks. */
  eni?: { ipv4?: string; ipv6?: string; subnetId?: string } | null;
  /** Container instance id (a key of HOSTS or any other); default ci-ec2 on EC2, ci-ext on EXTERNAL. */
  containerInstance?: string | null;
  group?: string;
  tags?: Record<string, string>;
  /** containerOverrides environment by container name. */
  envOverrides?: Record<string, Record<string, string>>;
}

function pairs(record: Record<string, string> | undefined): { name: string; value: string }[] {
  return Object.entries(record ?? {}).map(([name, value]) => ({ name, value }));
}

/** The TaskDefinition of a spec. */
export function taskDefinitionOf(spec: TaskSpec): TaskDefinition {
  const family = spec.family ?? 'api';
  const revision = spec.revision ?? 7;
  const mode = modeOf(spec) ?? (spec.launchType === 'FARGATE' ? 'awsvpc' : 'bridge');
  const containerDefinitions: ContainerDefinition[] = spec.containers.map((c) => {
    const portMappings: PortMapping[] = [
      ...(c.ports ?? []).map((p) => ({
        containerPort: p,
        hostPort: mode === 'bridge' ? 0 : p,
        protocol: 'tcp' as const,
      })),
      ...(c.staticPorts ?? []).map(([containerPort, hostPort]) => ({
        containerPort,
        hostPort,
        protocol: 'tcp' as const,
      })),
    ];
    return {
      name: c.name,
      image: c.image ?? `example/${c.name}:1.0`,
      environment: pairs(c.env),
      dockerLabels: c.labels ?? {},
      portMappings,
    };
  });
  return {
    taskDefinitionArn: taskDefinitionArn(family, revision),
    family,
    revision,
    ...(modeOf(spec) !== undefined ? { networkMode: modeOf(spec) as TaskDefinition['networkMode'] } : {}),
    containerDefinitions,
  };
}

function modeOf(spec: TaskSpec): string | undefined {
  if (spec.networkMode === null) return undefined;
  return spec.networkMode ?? (spec.launchType === 'FARGATE' ? 'awsvpc' : 'bridge');
}

/** The Task DescribeTasks would return for a spec. */
export function taskOf(spec: TaskSpec): Task {
  const arn = taskArn(spec.id, spec.arnFormat);
  const td = taskDefinitionOf(spec);
  const mode = modeOf(spec) ?? (spec.launchType === 'FARGATE' ? 'awsvpc' : 'bridge');
  const launchType = spec.launchType ?? 'EC2';
  const ciId =
    spec.containerInstance === null
      ? undefined
      : (spec.containerInstance ??
        (launchType === 'EC2' ? 'ci-ec2' : launchType === 'EXTERNAL' ? 'ci-ext' : undefined));
  const eni =
    spec.eni === null
      ? undefined
      : (spec.eni ?? (mode === 'awsvpc' ? { ipv4: '10.0.2.20', subnetId: 'subnet-task' } : undefined));
  let nextDynamic = 32768;
  const containers: Container[] = spec.containers.map((c, i) => {
    let bindings: NetworkBinding[] | undefined;
    if (mode === 'bridge') {
      const list: [number, number][] = c.bindings ?? [
        ...(c.ports ?? []).map((p): [number, number] => [p, nextDynamic++]),
        ...(c.staticPorts ?? []),
      ];
      bindings = list.map(([containerPort, hostPort]) => ({
        bindIP: '0.0.0.0',
        containerPort,
        hostPort,
        protocol: 'tcp',
      }));
    } else if (mode === 'host') {
      bindings = (c.ports ?? []).map((p) => ({
        bindIP: '0.0.0.0',
        containerPort: p,
        hostPort: p,
        protocol: 'tcp',
      }));
    }
    return {
      containerArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container/${CLUSTER}/${spec.id}/c${i}-uuid`,
      taskArn: arn,
      name: c.name,
      image: c.image ?? `example/${c.name}:1.0`,
      lastStatus: c.lastStatus ?? 'RUNNING',
      ...(bindings ? { networkBindings: bindings } : {}),
      ...(eni
        ? {
            networkInterfaces: [
              {
                attachmentId: 'att-1',
                ...(eni.ipv4 ? { privateIpv4Address: eni.ipv4 } : {}),
                ...(eni.ipv6 ? { ipv6Address: eni.ipv6 } : {}),
              },
            ],
          }
        : {}),
    };
  });
  const details = eni
    ? [
        { name: 'subnetId', value: eni.subnetId ?? 'subnet-task' },
        { name: 'networkInterfaceId', value: 'eni-0abc' },
        ...(eni.ipv4 ? [{ name: 'privateIPv4Address', value: eni.ipv4 }] : []),
        ...(eni.ipv6 ? [{ name: 'ipv6Address', value: eni.ipv6 }] : []),
      ]
    : [];
  return {
    taskArn: arn,
    clusterArn: CLUSTER_ARN,
    taskDefinitionArn: td.taskDefinitionArn!,
    lastStatus: spec.lastStatus ?? 'RUNNING',
    desiredStatus: 'RUNNING',
    launchType,
    group: spec.group ?? `service:${td.family}`,
    availabilityZone: 'eu-west-1b',
    healthStatus: 'HEALTHY',
    ...(launchType === 'FARGATE' ? { platformVersion: '1.4.0', platformFamily: 'Linux' } : {}),
    ...(ciId ? { containerInstanceArn: containerInstanceArn(ciId) } : {}),
    ...(eni
      ? { attachments: [{ id: 'att-1', type: 'ElasticNetworkInterface', status: 'ATTACHED', details }] }
      : {}),
    containers,
    tags: Object.entries(spec.tags ?? {}).map(([key, value]) => ({ key, value })),
    ...(spec.envOverrides
      ? {
          overrides: {
            containerOverrides: Object.entries(spec.envOverrides).map(([name, env]) => ({
              name,
              environment: pairs(env),
            })),
          },
        }
      : {}),
  };
}

/** Options with every convention on, no rules, no docker label allowlist, 1m and /metrics defaults. */
export function options(overrides: Partial<DiscoveryOptions> = {}): DiscoveryOptions {
  return {
    conventions: { prometheusEcsSd: true, prometheusEcsDiscovery: true, ecsSdLabels: true, rules: true },
    rules: [],
    dockerLabelAllowlist: null,
    defaultInterval: '1m',
    defaultPath: '/metrics',
    ...overrides,
  };
}

/** A config rule with defaults (path /metrics, scheme http, no labels). */
export function rule(partial: Partial<Rule> & { name: string; ports: number[] }): Rule {
  return { path: '/metrics', scheme: 'http', labels: {}, ...partial };
}

/** What a snapshot should leave out or add beyond what the specs imply. */
export interface FleetExtras {
  omitTaskDefinitions?: string[];
  omitContainerInstances?: string[];
  omitHosts?: string[];
  services?: Service[];
  clusterTags?: Record<string, string>;
  accountId?: string;
  /** Raw tasks added as is (for malformed input). */
  rawTasks?: Task[];
}

/** A ClusterSnapshot of tasks built from specs, with their task definitions, container instances and hosts. */
export function fleet(specs: readonly TaskSpec[], extras: FleetExtras = {}): ClusterSnapshot {
  const tasks = [...specs.map(taskOf), ...(extras.rawTasks ?? [])];
  const taskDefinitions = new Map<string, TaskDefinition>();
  for (const spec of specs) {
    const td = taskDefinitionOf(spec);
    const seen = taskDefinitions.get(td.taskDefinitionArn!);
    if (seen && JSON.stringify(seen) !== JSON.stringify(td)) {
      throw new Error(
        `fixture: two specs define ${td.taskDefinitionArn} differently; give them distinct families`,
      );
    }
    if (!extras.omitTaskDefinitions?.includes(td.family!)) taskDefinitions.set(td.taskDefinitionArn!, td);
  }
  const containerInstances = new Map<string, ContainerInstance>();
  const hosts = new Map<string, HostInfo>();
  for (const [id, host] of Object.entries(HOSTS)) {
    if (!extras.omitContainerInstances?.includes(id)) {
      containerInstances.set(containerInstanceArn(id), {
        containerInstanceArn: containerInstanceArn(id),
        ec2InstanceId: host.ec2InstanceId,
      });
    }
    if (!extras.omitHosts?.includes(id)) hosts.set(host.ec2InstanceId, host);
  }
  return {
    source: 'main',
    region: REGION,
    ...(extras.accountId ? { accountId: extras.accountId } : {}),
    clusterArn: CLUSTER_ARN,
    clusterName: CLUSTER,
    clusterTags: extras.clusterTags ?? { team: 'platform' },
    tasks,
    taskDefinitions,
    containerInstances,
    hosts,
    ...(extras.services ? { services: new Map(extras.services.map((s) => [s.serviceName!, s])) } : {}),
  };
}

/** A fleet of one task and its decision inputs, for the common one-row case. */
export function one(spec: TaskSpec, extras: FleetExtras = {}): { snapshot: ClusterSnapshot; task: Task } {
  const snapshot = fleet([spec], extras);
  return { snapshot, task: snapshot.tasks[0]! };
}
