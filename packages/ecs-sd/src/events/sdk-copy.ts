/**
 * The bounded copy of an event's task or container instance: copied member by member from a schema
 * of the SDK's own shape (@aws-sdk/client-ecs), so a member of the wrong type is a rejection, not a
 * value that reaches discovery, and every string and list that is kept has a bound. Pure; throws
 * only `Rejection`, which `parseMessage` turns into a rejected result.
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import {
  MAX_CONTAINERS,
  MAX_KEPT_CHARS,
  MAX_KEPT_ITEMS,
  MAX_LIST_ITEMS,
  MAX_STRING_LENGTH,
  type RejectReason,
} from './event-limits.ts';

/** A member's type in the SDK shape; lists and structures name their members' shapes. */
type Shape =
  | 'string'
  | 'integer'
  | 'port'
  | 'number'
  | 'boolean'
  | 'date'
  | { list: Shape; max: number }
  | { struct: Readonly<Record<string, Shape>> };

const list = (item: Shape, max = MAX_LIST_ITEMS): Shape => ({ list: item, max });
const struct = (members: Record<string, Shape>): Shape => ({ struct: members });

// The SDK's own shapes (@aws-sdk/client-ecs, schemas): the members it deserializes, and their types.
const KEY_VALUE_PAIR = struct({ name: 'string', value: 'string' });
const ATTACHMENT = struct({ id: 'string', type: 'string', status: 'string', details: list(KEY_VALUE_PAIR) });
const ATTRIBUTE = struct({ name: 'string', value: 'string', targetType: 'string', targetId: 'string' });
const TAG = struct({ key: 'string', value: 'string' });
const EPHEMERAL_STORAGE = struct({ sizeInGiB: 'integer' });
const SHARING_STRATEGY = struct({ nvidiaMps: struct({ memory: 'integer', maxComputePercent: 'integer' }) });
const INFERENCE_ACCELERATOR = struct({ deviceName: 'string', deviceType: 'string' });
const CONTAINER = struct({
  containerArn: 'string',
  taskArn: 'string',
  name: 'string',
  image: 'string',
  imageDigest: 'string',
  runtimeId: 'string',
  lastStatus: 'string',
  exitCode: 'integer',
  reason: 'string',
  networkBindings: list(
    struct({
      bindIP: 'string',
      containerPort: 'port',
      hostPort: 'port',
      protocol: 'string',
      containerPortRange: 'string',
      hostPortRange: 'string',
    }),
  ),
  networkInterfaces: list(
    struct({ attachmentId: 'string', privateIpv4Address: 'string', ipv6Address: 'string' }),
  ),
  healthStatus: 'string',
  managedAgents: list(
    struct({ lastStartedAt: 'date', name: 'string', reason: 'string', lastStatus: 'string' }),
  ),
  cpu: 'string',
  memory: 'string',
  memoryReservation: 'string',
  gpuIds: list('string'),
  neuronDeviceIds: list('string'),
  gpuSharingStrategy: SHARING_STRATEGY,
});
const TASK_OVERRIDE = struct({
  containerOverrides: list(
    struct({
      name: 'string',
      command: list('string'),
      environment: list(KEY_VALUE_PAIR),
      environmentFiles: list(struct({ value: 'string', type: 'string' })),
      cpu: 'integer',
      memory: 'integer',
      memoryReservation: 'integer',
      resourceRequirements: list(
        struct({ type: 'string', value: 'string', sharingStrategy: SHARING_STRATEGY }),
      ),
    }),
  ),
  cpu: 'string',
  inferenceAcceleratorOverrides: list(INFERENCE_ACCELERATOR),
  executionRoleArn: 'string',
  memory: 'string',
  taskRoleArn: 'string',
  ephemeralStorage: EPHEMERAL_STORAGE,
});

/** The SDK's `Task`: members it does not know (such as the event's `updatedAt`) are dropped, as the SDK drops them. */
const TASK: Shape = struct({
  attachments: list(ATTACHMENT),
  attributes: list(ATTRIBUTE),
  availabilityZone: 'string',
  capacityProviderName: 'string',
  clusterArn: 'string',
  connectivity: 'string',
  connectivityAt: 'date',
  containerInstanceArn: 'string',
  containers: list(CONTAINER, MAX_CONTAINERS),
  cpu: 'string',
  createdAt: 'date',
  desiredStatus: 'string',
  enableExecuteCommand: 'boolean',
  executionStoppedAt: 'date',
  group: 'string',
  healthStatus: 'string',
  inferenceAccelerators: list(INFERENCE_ACCELERATOR),
  lastStatus: 'string',
  launchType: 'string',
  memory: 'string',
  overrides: TASK_OVERRIDE,
  platformVersion: 'string',
  platformFamily: 'string',
  pullStartedAt: 'date',
  pullStoppedAt: 'date',
  startedAt: 'date',
  startedBy: 'string',
  stopCode: 'string',
  stoppedAt: 'date',
  stoppedReason: 'string',
  stoppingAt: 'date',
  tags: list(TAG),
  taskArn: 'string',
  taskDefinitionArn: 'string',
  version: 'integer',
  ephemeralStorage: EPHEMERAL_STORAGE,
  fargateEphemeralStorage: struct({ sizeInGiB: 'integer', kmsKeyId: 'string' }),
});

const RESOURCE = struct({
  name: 'string',
  type: 'string',
  doubleValue: 'number',
  longValue: 'integer',
  integerValue: 'integer',
  stringSetValue: list('string'),
});

/** The SDK's `ContainerInstance`. */
const CONTAINER_INSTANCE: Shape = struct({
  containerInstanceArn: 'string',
  ec2InstanceId: 'string',
  capacityProviderName: 'string',
  version: 'integer',
  versionInfo: struct({ agentVersion: 'string', agentHash: 'string', dockerVersion: 'string' }),
  remainingResources: list(RESOURCE),
  registeredResources: list(RESOURCE),
  status: 'string',
  statusReason: 'string',
  agentConnected: 'boolean',
  runningTasksCount: 'integer',
  pendingTasksCount: 'integer',
  agentUpdateStatus: 'string',
  attributes: list(ATTRIBUTE),
  registeredAt: 'date',
  attachments: list(ATTACHMENT),
  tags: list(TAG),
  healthStatus: struct({
    overallStatus: 'string',
    details: list(
      struct({ type: 'string', status: 'string', lastUpdated: 'date', lastStatusChange: 'date' }),
    ),
  }),
  gpuDevices: list(
    struct({
      gpuId: 'string',
      sharingMode: 'string',
      totalMemoryInMiB: 'integer',
      remainingMemoryInMiB: 'integer',
      containerCount: 'integer',
    }),
  ),
});

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

/** True for a JSON object (not a list, not null). */
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value for a message: strings quoted and cut at 80 characters; lists and objects by kind only, never serialized. */
export function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  if (isObject(value)) return 'an object';
  return String(value);
}

/** A rejection found deep in the conversion; caught by `parseMessage`, which never throws. */
export class Rejection extends Error {
  readonly reason: RejectReason;
  constructor(reason: RejectReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A lone surrogate: a string that is not well-formed UTF-16 (in `u` mode a surrogate pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/** What one event's copy has kept so far, against MAX_KEPT_ITEMS and MAX_KEPT_CHARS. */
export interface Budget {
  items: number;
  chars: number;
}

/** A string that is bounded and well-formed; throws a Rejection otherwise. */
export function boundedString(value: unknown, path: string, budget: Budget): string {
  if (typeof value !== 'string')
    throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected a string`);
  if (value.length > MAX_STRING_LENGTH) {
    throw new Rejection(
      'too-large',
      `${path} is ${value.length} characters long, expected at most ${MAX_STRING_LENGTH}`,
    );
  }
  if (LONE_SURROGATE.test(value)) {
    throw new Rejection(
      'invalid-fields',
      `${path} is ${show(value)}, which holds a lone surrogate, expected well-formed UTF-16`,
    );
  }
  budget.chars += value.length;
  if (budget.chars > MAX_KEPT_CHARS) {
    throw new Rejection(
      'too-large',
      `the event's strings hold more than ${MAX_KEPT_CHARS} characters (at ${path}), expected at most ${MAX_KEPT_CHARS}`,
    );
  }
  return value;
}

/** A Date from an ISO 8601 string or epoch seconds (DescribeTasks' wire form); throws a Rejection otherwise. */
export function toDate(value: unknown, path: string, budget: Budget): Date {
  const date =
    typeof value === 'string'
      ? new Date(boundedString(value, path, budget))
      : typeof value === 'number'
        ? new Date(value * 1000)
        : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected an ISO 8601 timestamp`);
  }
  return date;
}

function toScalar(value: unknown, shape: Shape & string, path: string, budget: Budget): unknown {
  switch (shape) {
    case 'string':
      return boundedString(value, path, budget);
    case 'date':
      return toDate(value, path, budget);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected true or false`);
    case 'integer':
      if (Number.isSafeInteger(value)) return value;
      throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected an integer`);
    case 'port':
      if (Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 65_535) return value;
      throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected an integer from 0 to 65535`);
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected a finite number`);
  }
}

/**
 * A copy of `value` with the members of `shape` only, each of its type: a null member is absent
 * (as the SDK reads it), a null list item is a rejection. Recursion follows the schema, which is at
 * most 6 deep, not the input.
 */
function convert(value: unknown, shape: Shape, path: string, budget: Budget): unknown {
  if (typeof shape === 'string') return toScalar(value, shape, path, budget);
  if ('list' in shape) {
    if (!Array.isArray(value))
      throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected a list`);
    if (value.length > shape.max) {
      throw new Rejection('too-large', `${path} has ${value.length} items, expected at most ${shape.max}`);
    }
    budget.items += value.length;
    if (budget.items > MAX_KEPT_ITEMS) {
      throw new Rejection(
        'too-large',
        `the event's lists hold more than ${MAX_KEPT_ITEMS} items (at ${path}), expected at most ${MAX_KEPT_ITEMS}`,
      );
    }
    return value.map((item, i) => convert(item, shape.list, `${path}[${i}]`, budget));
  }
  if (!isObject(value))
    throw new Rejection('invalid-fields', `${path} is ${show(value)}, expected an object`);
  const out: Json = {};
  for (const [key, member] of Object.entries(shape.struct)) {
    if (!Object.hasOwn(value, key)) continue;
    const item = value[key];
    if (item === null || item === undefined) continue;
    out[key] = convert(item, member, `${path}.${key}`, budget);
  }
  return out;
}

/** The SDK `Task` an event's `detail` holds, copied by the SDK's shape; throws a Rejection. */
export function copyTask(detail: Json, budget: Budget): Task {
  return convert(detail, TASK, 'detail', budget) as Task;
}

/** The SDK `ContainerInstance` an event's `detail` holds, copied by the SDK's shape; throws a Rejection. */
export function copyContainerInstance(detail: Json, budget: Budget): ContainerInstance {
  return convert(detail, CONTAINER_INSTANCE, 'detail', budget) as ContainerInstance;
}
