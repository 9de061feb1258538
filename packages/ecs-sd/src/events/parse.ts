/**
 * From an SQS message body to a typed ECS event or a typed rejection. Pure: no I/O, no clock, never
 * throws. EventBridge delivers the task of a `ECS Task State Change` event with ISO 8601 strings
 * where DescribeTasks (through the SDK) gives Date objects; this converts them, so discovery sees the
 * same `Task` shape from both. The same goes for `ECS Container Instance State Change` and
 * DescribeContainerInstances.
 *
 * Anyone with `sqs:SendMessage` on the queue can send any body, so the body is hostile until proven
 * otherwise. Its size and nesting depth are bounded before anything recursive touches it (a linear
 * scan of the raw text, then `JSON.parse`); the task or container instance is then copied member by
 * member from a schema of the SDK's shape, so a member of the wrong type is a rejection, not a value
 * that reaches discovery, and every string and list that is kept has a bound.
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';

/** `detail-type` of a task event (EventBridge, `source: aws.ecs`). */
export const TASK_STATE_CHANGE = 'ECS Task State Change';
/** `detail-type` of a container instance event (EventBridge, `source: aws.ecs`). */
export const CONTAINER_INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change';

/** Largest message body read: SQS's largest `MaximumMessageSize` (1 MiB; the default is 256 KiB). */
export const MAX_BODY_BYTES = 1_048_576;
/** Largest EventBridge event (raw body, or the `Message` of an SNS notification): PutEvents allows 256 KB per entry. */
export const MAX_EVENT_BYTES = 262_144;
/** Deepest nesting of lists and objects; an ECS event nests about 7 deep (detail.overrides.containerOverrides[].environment[]). */
export const MAX_DEPTH = 32;
/** Longest string kept, in UTF-16 code units: ECS allows 8,192 characters for all of a task's overrides. */
export const MAX_STRING_LENGTH = 8_192;
/** Most containers of a task: ECS allows 10 per task definition. */
export const MAX_CONTAINERS = 100;
/** Most items of any other list (attachments, their details, network bindings, environment, attributes, …). */
export const MAX_LIST_ITEMS = 1_000;
/** Most list items kept from one event, all lists together. */
export const MAX_KEPT_ITEMS = 2_000;
/** Most string characters kept from one event, all strings together: the copy the task store holds stays small. */
export const MAX_KEPT_CHARS = 65_536;
/** Keys no ECS event has, refused anywhere in a message because they are how prototype pollution is attempted. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a message is not an event ecs-sd can apply. Stable strings: they are metric label values. */
export type RejectReason =
  | 'empty-body'
  | 'not-json'
  | 'not-an-object'
  | 'not-ecs-event'
  | 'unknown-detail-type'
  | 'missing-fields'
  | 'invalid-fields'
  | 'too-large'
  | 'too-deep'
  | 'parse-failed';

/** Every reject reason, for metrics that pre-create their series. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'empty-body',
  'not-json',
  'not-an-object',
  'not-ecs-event',
  'unknown-detail-type',
  'missing-fields',
  'invalid-fields',
  'too-large',
  'too-deep',
  'parse-failed',
];

/** Envelope fields shared by both event kinds. */
interface EventBase {
  /** EventBridge event `id`: unique per event, the same on a redelivery. */
  id: string;
  /** EventBridge `time` (second precision), undefined when absent or unparseable. */
  time: Date | undefined;
  account: string | undefined;
  region: string | undefined;
  clusterArn: string;
  /** `detail.version`: increases with every change of the task or container instance. */
  version: number;
  /** `detail.updatedAt`, when present. */
  updatedAt: Date | undefined;
  /** True when the envelope came wrapped in an SNS notification. */
  viaSns: boolean;
}

/** An `ECS Task State Change` event; `task` has the shape DescribeTasks gives through the SDK. */
export interface TaskStateChange extends EventBase {
  kind: 'task';
  taskArn: string;
  task: Task;
}

/** An `ECS Container Instance State Change` event; `containerInstance` as DescribeContainerInstances gives it. */
export interface ContainerInstanceStateChange extends EventBase {
  kind: 'container-instance';
  containerInstanceArn: string;
  containerInstance: ContainerInstance;
}

/** An ECS event ecs-sd can apply to its state. */
export type EcsEvent = TaskStateChange | ContainerInstanceStateChange;

/** The result of parsing one message body: an event, or a reason and a message naming what was received. */
export type ParseResult =
  | { ok: true; event: EcsEvent }
  | { ok: false; reason: RejectReason; message: string };

/** Characters of a body that logs show: never more, never the parsed value. */
export const PREVIEW_CHARS = 200;

/** The first `max` characters of a raw message body, for logs: a slice of the text, no parsing. */
export function previewBody(body: string | undefined, max = PREVIEW_CHARS): string {
  if (body === undefined) return '';
  return body.length > max ? `${body.slice(0, max)}...` : body;
}

/**
 * True when `text` nests lists and objects more than `max` deep outside JSON strings. A linear scan
 * of the characters, with no recursion and no parsing: it runs before `JSON.parse`, so that nothing
 * recursive (`JSON.stringify`, `structuredClone`, a walk) ever sees deeper nesting.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
  }
  return false;
}

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

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value for a message: strings quoted and cut at 80 characters; lists and objects by kind only, never serialized. */
function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  if (isObject(value)) return 'an object';
  return String(value);
}

/** A rejection found deep in the conversion; caught by `parseMessage`, which never throws. */
class Rejection extends Error {
  readonly reason: RejectReason;
  constructor(reason: RejectReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

const reject = (reason: RejectReason, message: string): ParseResult => ({ ok: false, reason, message });

/** A lone surrogate: a string that is not well-formed UTF-16 (in `u` mode a surrogate pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/** What one event's copy has kept so far, against MAX_KEPT_ITEMS and MAX_KEPT_CHARS. */
interface Budget {
  items: number;
  chars: number;
}

/** A string that is bounded and well-formed; throws a Rejection otherwise. */
function boundedString(value: unknown, path: string, budget: Budget): string {
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
function toDate(value: unknown, path: string, budget: Budget): Date {
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

/** The first forbidden key anywhere in a parsed value: an explicit stack, no recursion (depth is bounded anyway). */
function forbiddenKey(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) stack.push(item);
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(key)) return key;
        const item = value[key];
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
    }
  }
  return undefined;
}

/** UTF-8 size of a string, computed without encoding it. */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * JSON text to a value, bounded before parsing: at most `maxBytes`, nesting at most MAX_DEPTH, no
 * forbidden key. `what` names the text in messages ("message body", "sns Message").
 */
function parseBounded(text: string, maxBytes: number, what: string): { value: unknown } | ParseResult {
  const bytes = utf8Bytes(text);
  if (bytes > maxBytes) return reject('too-large', `${what} is ${bytes} bytes, expected at most ${maxBytes}`);
  if (nestsDeeperThan(text, MAX_DEPTH)) {
    return reject(
      'too-deep',
      `${what} nests lists or objects deeper than ${MAX_DEPTH}, expected at most ${MAX_DEPTH}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject('not-json', `${what} ${show(text)} is not JSON, expected an EventBridge event`);
  }
  const key = forbiddenKey(value);
  if (key !== undefined) {
    return reject('invalid-fields', `${what} has a key "${key}", expected none: no ECS event has one`);
  }
  return { value };
}

/** The EventBridge envelope of a body: the body itself, or the `Message` of an SNS notification (a queue fed by a topic). */
function envelopeOf(body: string): { envelope: unknown; viaSns: boolean } | ParseResult {
  const outer = parseBounded(body, MAX_BODY_BYTES, 'message body');
  if ('ok' in outer) return outer;
  const value = outer.value;
  if (!isObject(value)) {
    return reject(
      'not-an-object',
      `message body ${show(previewBody(body, 80))} is not a JSON object, expected an EventBridge event`,
    );
  }
  if (value['Type'] === 'Notification' && typeof value['Message'] === 'string') {
    const inner = parseBounded(value['Message'], MAX_EVENT_BYTES, 'sns Message');
    if ('ok' in inner) return inner;
    return { envelope: inner.value, viaSns: true };
  }
  const bytes = utf8Bytes(body);
  if (bytes > MAX_EVENT_BYTES) {
    return reject(
      'too-large',
      `message body is ${bytes} bytes, expected at most ${MAX_EVENT_BYTES} (an EventBridge event)`,
    );
  }
  return { envelope: value, viaSns: false };
}

function requireString(detail: Json, key: string, missing: string[], invalid: string[]): string {
  const value = detail[key];
  if (value === undefined || value === null || value === '') missing.push(`detail.${key}`);
  else if (typeof value !== 'string') invalid.push(`detail.${key} is ${show(value)}, expected a string`);
  return typeof value === 'string' ? value : '';
}

function requireVersion(detail: Json, missing: string[], invalid: string[]): number {
  const value = detail['version'];
  if (value === undefined || value === null) missing.push('detail.version');
  else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    invalid.push(`detail.version is ${show(value)}, expected a non-negative integer`);
  return typeof value === 'number' ? value : 0;
}

function optionalString(value: unknown, path: string, budget: Budget): string | undefined {
  return typeof value === 'string' ? boundedString(value, path, budget) : undefined;
}

function optionalDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Parses one SQS message body: a raw EventBridge envelope, or one inside an SNS notification. Never throws. */
export function parseMessage(body: string | undefined): ParseResult {
  try {
    return parseUnchecked(body);
  } catch (err) {
    if (err instanceof Rejection) return reject(err.reason, err.message);
    // A bug of ours: still a rejection, so the message is counted and deleted rather than fatal.
    return reject(
      'parse-failed',
      `parsing the message failed: ${err instanceof Error ? err.message : 'unknown error'}`,
    );
  }
}

function parseUnchecked(body: string | undefined): ParseResult {
  if (body === undefined || body.trim() === '') return reject('empty-body', 'message body is empty');
  const unwrapped = envelopeOf(body);
  if ('ok' in unwrapped) return unwrapped;
  const { envelope, viaSns } = unwrapped;
  if (!isObject(envelope))
    return reject('not-an-object', `sns Message is ${show(envelope)}, expected a JSON object`);
  if (envelope['source'] !== 'aws.ecs') {
    return reject('not-ecs-event', `source is ${show(envelope['source'])}, expected "aws.ecs"`);
  }
  const detailType = envelope['detail-type'];
  if (detailType !== TASK_STATE_CHANGE && detailType !== CONTAINER_INSTANCE_STATE_CHANGE) {
    return reject(
      'unknown-detail-type',
      `detail-type is ${show(detailType)}, expected "${TASK_STATE_CHANGE}" or "${CONTAINER_INSTANCE_STATE_CHANGE}"`,
    );
  }
  const detail = envelope['detail'];
  if (!isObject(detail)) return reject('missing-fields', `detail is ${show(detail)}, expected an object`);

  const missing: string[] = [];
  const invalid: string[] = [];
  const id = typeof envelope['id'] === 'string' ? envelope['id'] : '';
  if (id === '') missing.push('id');
  const arnKey = detailType === TASK_STATE_CHANGE ? 'taskArn' : 'containerInstanceArn';
  const arn = requireString(detail, arnKey, missing, invalid);
  const clusterArn = requireString(detail, 'clusterArn', missing, invalid);
  const version = requireVersion(detail, missing, invalid);
  if (detailType === TASK_STATE_CHANGE) requireString(detail, 'lastStatus', missing, invalid);
  if (missing.length > 0) return reject('missing-fields', `event has no ${missing.join(', ')}`);
  if (invalid.length > 0) return reject('invalid-fields', invalid.join('; '));

  const budget: Budget = { items: 0, chars: 0 };
  const base: EventBase = {
    id: boundedString(id, 'id', budget),
    time: optionalDate(envelope['time']),
    account: optionalString(envelope['account'], 'account', budget),
    region: optionalString(envelope['region'], 'region', budget),
    clusterArn: boundedString(clusterArn, 'detail.clusterArn', budget),
    version,
    updatedAt:
      detail['updatedAt'] === undefined || detail['updatedAt'] === null
        ? undefined
        : toDate(detail['updatedAt'], 'detail.updatedAt', budget),
    viaSns,
  };
  if (detailType === TASK_STATE_CHANGE) {
    const task = convert(detail, TASK, 'detail', budget) as Task;
    return { ok: true, event: { ...base, kind: 'task', taskArn: arn, task } };
  }
  const containerInstance = convert(detail, CONTAINER_INSTANCE, 'detail', budget) as ContainerInstance;
  return {
    ok: true,
    event: {
      ...base,
      kind: 'container-instance',
      containerInstanceArn: arn,
      containerInstance,
    },
  };
}
