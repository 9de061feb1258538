import type { Cidr4, IpAllocator, PortAllocator } from './addressing.ts';

/** An ECS/EC2 tag as the ECS API spells it. */
export interface Tag {
  key: string;
  value: string;
}

/** Task `lastStatus` values in lifecycle order. */
export const TASK_STATUSES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
] as const;
/** One task `lastStatus`. */
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** ECS network modes. */
export type NetworkMode = 'awsvpc' | 'bridge' | 'host' | 'none';
/** ECS launch types. */
export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';
/** Cluster ARN format: long includes the cluster name in task and container-instance ARNs. */
export type ArnFormat = 'long' | 'short';

/** A subnet: an address range in one availability zone (inside 127.0.0.0/8 by default, so it is locally reachable). */
export interface Subnet {
  id: string;
  vpcId: string;
  cidrBlock: string;
  cidr: Cidr4;
  availabilityZone: string;
  ipv6CidrBlock: string | undefined;
  ips: IpAllocator;
  ipv6Next: number;
  tags: Tag[];
}

/** A VPC. */
export interface Vpc {
  id: string;
  cidrBlock: string;
  tags: Tag[];
}

/** An elastic network interface (of an EC2 instance or an awsvpc task). */
export interface Eni {
  id: string;
  attachmentId: string;
  subnet: Subnet;
  ipOffset: number;
  privateIpAddress: string;
  ipv6Address: string | undefined;
  macAddress: string;
  description: string;
  instanceId: string | undefined;
  interfaceType: string;
  status: 'in-use' | 'available';
}

/** An EC2 instance (a host for container instances). */
export interface Ec2Instance {
  instanceId: string;
  imageId: string;
  instanceType: string;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
  launchTime: Date;
  subnet: Subnet;
  eni: Eni;
  tags: Tag[];
  reservationId: string;
}

/** An SSM managed instance (`mi-…`), the host of an ECS Anywhere (EXTERNAL) container instance. */
export interface ManagedInstance {
  instanceId: string;
  ipAddress: string;
  computerName: string;
  platformType: string;
  platformName: string;
  registrationDate: Date;
  lastPingDateTime: Date;
  pingStatus: 'Online' | 'ConnectionLost' | 'Inactive';
  subnet: Subnet;
  ipOffset: number;
}

/** A container definition inside a task definition, in ECS's own shape. */
export interface ContainerDefinition {
  name: string;
  image: string;
  cpu: number;
  memory: number | undefined;
  essential: boolean;
  portMappings: { containerPort: number; hostPort: number; protocol: string }[];
  environment: { name: string; value: string }[];
  dockerLabels: Record<string, string>;
}

/** A task definition revision (immutable except its status). */
export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  networkMode: NetworkMode;
  requiresCompatibilities: LaunchType[];
  cpu: string | undefined;
  memory: string | undefined;
  containerDefinitions: ContainerDefinition[];
  registeredAt: Date;
  deregisteredAt: Date | undefined;
  tags: Tag[];
}

/** A container instance registered to a cluster (EC2 or EXTERNAL). */
export interface ContainerInstance {
  id: string;
  arn: string;
  cluster: Cluster;
  ec2InstanceId: string;
  launchType: 'EC2' | 'EXTERNAL';
  instanceType: string;
  privateIp: string;
  availabilityZone: string;
  subnet: Subnet;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  agentConnected: boolean;
  registeredAt: Date;
  version: number;
  ports: PortAllocator;
  tasks: Set<Task>;
  tags: Tag[];
  seq: number;
}

/** One container of a running task. */
export interface TaskContainer {
  id: string;
  def: ContainerDefinition;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  runtimeId: string | undefined;
  exitCode: number | undefined;
  /** Host port per port mapping (undefined until assigned). */
  hostPorts: (number | undefined)[];
  environmentOverrides: { name: string; value: string }[] | undefined;
}

/** Fault flags for chaos tests: a task that comes back with fields missing or bindings not assigned. */
export interface TaskChaos {
  missing: Set<string>;
  bindingUnassigned: boolean;
}

/** A task: placement, lifecycle state and the fields DescribeTasks shows. */
export interface Task {
  id: string;
  arn: string;
  seq: number;
  cluster: Cluster;
  taskDefinition: TaskDefinition;
  launchType: LaunchType;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  group: string;
  startedBy: string | undefined;
  service: Service | undefined;
  containerInstance: ContainerInstance | undefined;
  subnet: Subnet | undefined;
  eni: Eni | undefined;
  assignIpv6: boolean;
  availabilityZone: string;
  containers: TaskContainer[];
  staticPorts: number[];
  createdAt: Date;
  pullStartedAt: Date | undefined;
  pullStoppedAt: Date | undefined;
  startedAt: Date | undefined;
  connectivityAt: Date | undefined;
  stoppingAt: Date | undefined;
  executionStoppedAt: Date | undefined;
  stoppedAt: Date | undefined;
  stoppedReason: string | undefined;
  stopCode: string | undefined;
  version: number;
  tags: Tag[];
  pinned: boolean;
  chaos: TaskChaos | undefined;
  platformVersion: string | undefined;
  cpu: string;
  memory: string;
  /** Epoch ms when lastStatus became RUNNING (ground truth for discovery latency); set by the truth recorder. */
  runningAt?: number;
  /** Epoch ms when the first event carrying lastStatus RUNNING was enqueued to the events queue (receivable). */
  announcedAt?: number;
}

/** An ECS service: keeps `desiredCount` tasks of its task definition running. */
export interface Service {
  name: string;
  arn: string;
  cluster: Cluster;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  taskDefinition: TaskDefinition;
  desiredCount: number;
  /** REPLICA keeps desiredCount tasks; DAEMON keeps one task on every ACTIVE container instance. */
  schedulingStrategy: 'REPLICA' | 'DAEMON';
  launchType: LaunchType;
  subnets: Subnet[];
  assignIpv6: boolean;
  createdAt: Date;
  updatedAt: Date;
  deploymentId: string;
  tasks: Set<Task>;
  tags: Tag[];
  seq: number;
}

/** An ECS cluster and everything registered in it. */
export interface Cluster {
  name: string;
  arn: string;
  account: Account;
  arnFormat: ArnFormat;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tag[];
  tasks: Map<string, Task>;
  containerInstances: Map<string, ContainerInstance>;
  services: Map<string, Service>;
  placementCursor: number;
  seq: number;
}

/** An IAM role that STS AssumeRole can assume, with an optional required ExternalId. */
export interface Role {
  name: string;
  arn: string;
  externalId: string | undefined;
}

/** One SQS message in a queue. */
export interface QueueMessage {
  messageId: string;
  body: string;
  md5: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receiptHandle: string | undefined;
  firstReceiveAt: number | undefined;
}

/** An SQS standard queue. */
export interface Queue {
  name: string;
  url: string;
  arn: string;
  account: Account;
  createdAt: number;
  visibilityTimeout: number;
  receiveWaitTime: number;
  retentionSeconds: number;
  messages: QueueMessage[];
  waiters: Set<() => void>;
  attributes: Record<string, string>;
}

/** One AWS account: its clusters, task definitions, hosts, subnets, queues and IAM roles. */
export interface Account {
  id: string;
  roles: Map<string, Role>;
  accessKeyIds: Set<string>;
  clusters: Map<string, Cluster>;
  deletedClusters: Map<string, Cluster>;
  taskDefinitions: Map<string, TaskDefinition[]>;
  ec2Instances: Map<string, Ec2Instance>;
  managedInstances: Map<string, ManagedInstance>;
  vpcs: Map<string, Vpc>;
  subnets: Map<string, Subnet>;
  enis: Map<string, Eni>;
  queues: Map<string, Queue>;
  eventsQueue: string | undefined;
}
