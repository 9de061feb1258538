/**
 * The contract between the I/O edge (aws/, which fetches) and the pure middle (discovery/,
 * which decides): a snapshot of what the APIs said about one cluster, and the targets and
 * per-task decisions derived from it. Nothing here does I/O.
 */
import type { ContainerInstance, Service, Task, TaskDefinition } from '@aws-sdk/client-ecs';
import type { Interval } from '../lib/intervals.ts';
import type { BoundReason, SkipReason } from './skip-reasons.ts';

export type { DiscoveryOptions, Rule } from '../config/types.ts';
export type { BoundReason, SkipReason } from './skip-reasons.ts';

/** A host that runs tasks: an EC2 instance (i-…) or an ECS Anywhere SSM managed instance (mi-…). */
export interface HostInfo {
  ec2InstanceId: string;
  source: 'ec2' | 'ssm';
  privateIpAddress?: string;
  ipv6Address?: string;
  publicIpAddress?: string;
  instanceType?: string;
  availabilityZone?: string;
  subnetId?: string;
  tags: Readonly<Record<string, string>>;
}

/** Everything the APIs said about one cluster in one refresh. */
export interface ClusterSnapshot {
  /** Name of the configured source this cluster was read through. */
  source: string;
  region: string;
  accountId?: string;
  clusterArn: string;
  clusterName: string;
  clusterTags: Readonly<Record<string, string>>;
  /** Tasks as DescribeTasks returned them (any lastStatus). */
  tasks: readonly Task[];
  /** Keyed by taskDefinitionArn (a revision ARN: immutable). */
  taskDefinitions: ReadonlyMap<string, TaskDefinition>;
  /** Keyed by containerInstanceArn. */
  containerInstances: ReadonlyMap<string, ContainerInstance>;
  /** Keyed by ec2InstanceId (i-… or mi-…). */
  hosts: ReadonlyMap<string, HostInfo>;
  /** Keyed by serviceName; undefined when services were not read this refresh. */
  services?: ReadonlyMap<string, Service>;
}

/** Which opt-in convention produced a target. */
export type Convention = 'prometheus-ecs-sd' | 'prometheus-ecs-discovery' | 'ecs-sd-labels' | 'rule';

/** One scrape target: one container, one port, one path. */
export interface Target {
  /** Stable identity: `${taskArn}/${containerName}/${port}${path}`. */
  key: string;
  /** host:port (IPv6 in brackets). */
  address: string;
  /** Interval bucket for the per-interval file layout. */
  interval: Interval;
  job: string;
  clusterName: string;
  convention: Convention;
  /** Every label Prometheus receives: visible ones, __meta_ecs_*, __metrics_path__, __scheme__, … */
  labels: Readonly<Record<string, string>>;
}

/** A skip with a message a person can act on, e.g. `PROMETHEUS_PORT="91OO" is not a port number`. */
export interface Skip {
  reason: SkipReason;
  message: string;
}

/** Labels left out of targets that are still kept, e.g. `labels over the 1024-byte value limit left out of 32 targets: pad (32000 bytes)`. */
export interface Bound {
  reason: BoundReason;
  message: string;
}

/** What was decided for one container of a task. */
export interface ContainerDecision {
  containerName: string;
  targets: Target[];
  skips: Skip[];
  /** Declarations that yield no target without being an error, e.g. a port already taken by a higher-precedence convention. */
  notes?: string[];
  /** Labels its targets went without because of the limits; absent when none was. */
  bounded?: Bound[];
}

/** What was decided for one task: the "why" view serves these. */
export interface TaskDecision {
  taskArn: string;
  taskId: string;
  clusterName: string;
  source: string;
  lastStatus: string;
  taskDefinitionArn?: string;
  /** launchType of the task (EC2, FARGATE, EXTERNAL), when known. */
  launchType?: string;
  /** The task's group (`service:NAME` or `family:NAME`), when known: scraper pools select members by it. */
  group?: string;
  /** The private IPv4 address of the task's ENI (awsvpc), when it has one: a pool member is recognised by it. */
  privateIpv4?: string;
  /** networkMode of the task definition (awsvpc, bridge, host, none), when known. */
  networkMode?: string;
  /** Set when the whole task was skipped before looking at containers. */
  skip?: Skip;
  containers: ContainerDecision[];
  /** True when a later refresh may turn this task into targets without the task changing (e.g. a binding not assigned yet). */
  incomplete: boolean;
}

/** The result of deciding one cluster. */
export interface ClusterDiscovery {
  targets: Target[];
  decisions: TaskDecision[];
}
