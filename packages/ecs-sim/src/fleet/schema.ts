import { z } from 'zod';

const name = z.string().regex(/^[a-zA-Z0-9_-]{1,255}$/, 'expected letters, digits, hyphens and underscores');
const tagMap = z.record(z.string(), z.string());
const envMap = z.union([
  z.record(z.string(), z.string()),
  z.array(z.strictObject({ name: z.string(), value: z.string() })),
]);

/** Task lastStatus values a fleet task can be pinned in. */
const lastStatus = z.enum([
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
]);

/** Chaos flags for a task: fields DescribeTasks leaves out, a bridge binding left unassigned while RUNNING. */
export const TaskChaosSchema = z.strictObject({
  missing: z
    .array(
      z.enum([
        'containers',
        'taskDefinitionArn',
        'attachments',
        'containerInstanceArn',
        'group',
        'startedBy',
      ]),
    )
    .default([]),
  bindingUnassigned: z.boolean().default(false),
});

const PortMappingSchema = z.strictObject({
  containerPort: z.number().int().min(1).max(65535),
  hostPort: z.number().int().min(0).max(65535).optional(),
  protocol: z.enum(['tcp', 'udp']).optional(),
});

const ContainerSchema = z.strictObject({
  name,
  image: z.string().min(1),
  cpu: z.number().int().min(0).optional(),
  memory: z.number().int().min(4).optional(),
  essential: z.boolean().optional(),
  portMappings: z.array(PortMappingSchema).optional(),
  environment: envMap.optional(),
  dockerLabels: tagMap.optional(),
});

const TaskDefinitionSchema = z.strictObject({
  family: name,
  networkMode: z.enum(['awsvpc', 'bridge', 'host', 'none']).default('bridge'),
  requiresCompatibilities: z.array(z.enum(['EC2', 'FARGATE', 'EXTERNAL'])).optional(),
  cpu: z.string().optional(),
  memory: z.string().optional(),
  tags: tagMap.optional(),
  containerDefinitions: z.array(ContainerSchema).min(1),
});

const SubnetSchema = z.strictObject({
  id: z.string().regex(/^subnet-[a-zA-Z0-9-]+$/, 'expected an id like subnet-a'),
  cidr: z.string(),
  availabilityZone: z.string().optional(),
  ipv6Cidr: z.string().optional(),
});

const InstanceGroupSchema = z.strictObject({
  count: z.number().int().min(1).max(100_000).default(1),
  launchType: z.enum(['EC2', 'EXTERNAL']).default('EC2'),
  instanceType: z.string().optional(),
  subnet: z.string().optional(),
  tags: tagMap.optional(),
  ec2Tags: tagMap.optional(),
});

const ServiceSchema = z.strictObject({
  name,
  taskDefinition: z.string().min(1),
  /** DAEMON: one task on every container instance of the service's launch type (desiredCount follows). */
  schedulingStrategy: z.enum(['REPLICA', 'DAEMON']).default('REPLICA'),
  desiredCount: z.number().int().min(0).max(100_000).default(0),
  launchType: z.enum(['EC2', 'FARGATE', 'EXTERNAL']).optional(),
  subnet: z.string().optional(),
  subnets: z.array(z.string()).optional(),
  assignIpv6: z.boolean().optional(),
  tags: tagMap.optional(),
});

const TaskGroupSchema = z.strictObject({
  taskDefinition: z.string().min(1),
  count: z.number().int().min(1).max(100_000).default(1),
  launchType: z.enum(['EC2', 'FARGATE', 'EXTERNAL']).optional(),
  group: z.string().optional(),
  startedBy: z.string().optional(),
  subnet: z.string().optional(),
  assignIpv6: z.boolean().optional(),
  lastStatus: lastStatus.optional(),
  overrides: z.record(z.string(), envMap).optional(),
  tags: tagMap.optional(),
  chaos: TaskChaosSchema.optional(),
});

const ClusterSchema = z.strictObject({
  name,
  arnFormat: z.enum(['long', 'short']).default('long'),
  tags: tagMap.optional(),
  instances: z.array(InstanceGroupSchema).optional(),
  services: z.array(ServiceSchema).optional(),
  tasks: z.array(TaskGroupSchema).optional(),
});

const RoleSchema = z.strictObject({
  name: z.string().regex(/^[\w+=,.@-]{1,64}$/),
  externalId: z.string().optional(),
});

const GenerateSchema = z.strictObject({
  clusters: z.number().int().min(1).optional(),
  tasks: z.number().int().min(0).optional(),
  services: z.number().int().min(0).optional(),
  taskDefinitions: z.number().int().min(1).optional(),
  hosts: z.number().int().min(0).optional(),
  networkModes: z.string().optional(),
  optedIn: z.number().min(0).max(1).optional(),
  arnFormat: z.enum(['long', 'short', 'mixed']).optional(),
  standalone: z.number().min(0).max(1).optional(),
  external: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
});

const AccountSchema = z.strictObject({
  accountId: z.string().regex(/^\d{12}$/, 'expected 12 digits'),
  accessKeyIds: z.array(z.string()).optional(),
  roles: z.array(RoleSchema).optional(),
  subnets: z.array(SubnetSchema).optional(),
  taskDefinitions: z.array(TaskDefinitionSchema).optional(),
  clusters: z.array(ClusterSchema).optional(),
  events: z.strictObject({ queue: z.string() }).optional(),
});

/** The fleet file: the default account's resources at the top level, more accounts under `accounts`. */
export const FleetSchema = z.strictObject({
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region like us-east-1')
    .optional(),
  accountId: z
    .string()
    .regex(/^\d{12}$/, 'expected 12 digits')
    .optional(),
  seed: z.number().int().optional(),
  accessKeyIds: z.array(z.string()).optional(),
  roles: z.array(RoleSchema).optional(),
  subnets: z.array(SubnetSchema).optional(),
  taskDefinitions: z.array(TaskDefinitionSchema).optional(),
  clusters: z.array(ClusterSchema).optional(),
  accounts: z.array(AccountSchema).optional(),
  events: z.strictObject({ queue: z.string() }).optional(),
  generate: GenerateSchema.optional(),
});

/** A fleet description as written (before defaults). */
export type FleetSpec = z.input<typeof FleetSchema>;
/** A validated fleet with defaults applied. */
export type Fleet = z.output<typeof FleetSchema>;
/** One account's part of a validated fleet. */
export type FleetAccount = z.output<typeof AccountSchema>;
/** Generator keys. */
export type GenerateSpec = z.input<typeof GenerateSchema>;
