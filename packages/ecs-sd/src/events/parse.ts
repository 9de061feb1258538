/**
 * From an SQS message body to a typed ECS event or a typed rejection. Pure: no I/O, no clock, never
 * throws. EventBridge delivers the task of a `ECS Task State Change` event with ISO 8601 strings
 * where DescribeTasks (through the SDK) gives Date objects; this converts them, so discovery sees the
 * same `Task` shape from both. The same goes for `ECS Container Instance State Change` and
 * DescribeContainerInstances.
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';

/** `detail-type` of a task event (EventBridge, `source: aws.ecs`). */
export const TASK_STATE_CHANGE = 'ECS Task State Change';
/** `detail-type` of a container instance event (EventBridge, `source: aws.ecs`). */
export const CONTAINER_INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change';

/** Why a message is not an event ecs-sd can apply. Stable strings: they are metric label values. */
export type RejectReason =
  | 'empty-body'
  | 'not-json'
  | 'not-an-object'
  | 'not-ecs-event'
  | 'unknown-detail-type'
  | 'missing-fields'
  | 'invalid-fields';

/** Every reject reason, for metrics that pre-create their series. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'empty-body',
  'not-json',
  'not-an-object',
  'not-ecs-event',
  'unknown-detail-type',
  'missing-fields',
  'invalid-fields',
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

/** Timestamp fields of the SDK's `Task` (Date objects there, ISO strings in events). */
const TASK_DATES = [
  'connectivityAt',
  'createdAt',
  'executionStoppedAt',
  'pullStartedAt',
  'pullStoppedAt',
  'startedAt',
  'stoppedAt',
  'stoppingAt',
] as const;

/** Top-level members of the SDK's `Task`: the SDK deserializer drops every other key, and so does this. */
const TASK_KEYS: ReadonlySet<string> = new Set([
  'attachments',
  'attributes',
  'availabilityZone',
  'capacityProviderName',
  'clusterArn',
  'connectivity',
  'connectivityAt',
  'containerInstanceArn',
  'containers',
  'cpu',
  'createdAt',
  'desiredStatus',
  'enableExecuteCommand',
  'executionStoppedAt',
  'group',
  'healthStatus',
  'inferenceAccelerators',
  'lastStatus',
  'launchType',
  'memory',
  'overrides',
  'platformVersion',
  'platformFamily',
  'pullStartedAt',
  'pullStoppedAt',
  'startedAt',
  'startedBy',
  'stopCode',
  'stoppedAt',
  'stoppedReason',
  'stoppingAt',
  'tags',
  'taskArn',
  'taskDefinitionArn',
  'version',
  'ephemeralStorage',
  'fargateEphemeralStorage',
]);

/** Top-level members of the SDK's `ContainerInstance`. */
const CONTAINER_INSTANCE_KEYS: ReadonlySet<string> = new Set([
  'containerInstanceArn',
  'ec2InstanceId',
  'capacityProviderName',
  'version',
  'versionInfo',
  'remainingResources',
  'registeredResources',
  'status',
  'statusReason',
  'agentConnected',
  'runningTasksCount',
  'pendingTasksCount',
  'agentUpdateStatus',
  'attributes',
  'registeredAt',
  'attachments',
  'tags',
  'healthStatus',
]);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const reject = (reason: RejectReason, message: string): ParseResult => ({ ok: false, reason, message });

class InvalidField extends Error {}

/** A Date from an ISO 8601 string or epoch seconds (DescribeTasks' wire form); throws InvalidField otherwise. */
function toDate(value: unknown, path: string): Date {
  const date =
    typeof value === 'string'
      ? new Date(value)
      : typeof value === 'number'
        ? new Date(value * 1000)
        : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidField(`${path} is ${show(value)}, expected an ISO 8601 timestamp`);
  }
  return date;
}

function convertDates(target: Json, keys: readonly string[], path: string): void {
  for (const key of keys) {
    if (target[key] !== undefined && target[key] !== null)
      target[key] = toDate(target[key], `${path}.${key}`);
  }
}

function pick(source: Json, keys: ReadonlySet<string>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(source)) {
    if (keys.has(key) && value !== null && value !== undefined) out[key] = structuredClone(value);
  }
  return out;
}

/** Converts an event's task detail to the SDK `Task` shape; throws InvalidField on a bad timestamp. */
function toTask(detail: Json): Task {
  const task = pick(detail, TASK_KEYS);
  convertDates(task, TASK_DATES, 'detail');
  const containers = task['containers'];
  if (Array.isArray(containers)) {
    containers.forEach((container, i) => {
      if (!isObject(container) || !Array.isArray(container['managedAgents'])) return;
      container['managedAgents'].forEach((agent, j) => {
        if (isObject(agent))
          convertDates(agent, ['lastStartedAt'], `detail.containers[${i}].managedAgents[${j}]`);
      });
    });
  }
  return task as Task;
}

/** Converts an event's container instance detail to the SDK `ContainerInstance` shape. */
function toContainerInstance(detail: Json): ContainerInstance {
  const ci = pick(detail, CONTAINER_INSTANCE_KEYS);
  convertDates(ci, ['registeredAt'], 'detail');
  const health = ci['healthStatus'];
  if (isObject(health) && Array.isArray(health['details'])) {
    health['details'].forEach((d, i) => {
      if (isObject(d))
        convertDates(d, ['lastUpdated', 'lastStatusChange'], `detail.healthStatus.details[${i}]`);
    });
  }
  return ci as ContainerInstance;
}

/** Unwraps an SNS notification (`{"Type":"Notification","Message":"<json>"}`) when the queue is fed by a topic. */
function unwrapSns(value: Json): { value: unknown; viaSns: boolean } | ParseResult {
  if (value['Type'] !== 'Notification' || typeof value['Message'] !== 'string')
    return { value, viaSns: false };
  try {
    return { value: JSON.parse(value['Message']), viaSns: true };
  } catch {
    return reject(
      'not-json',
      `sns Message ${show(value['Message'])} is not JSON, expected an EventBridge event`,
    );
  }
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

/** Parses one SQS message body: a raw EventBridge envelope, or one inside an SNS notification. */
export function parseMessage(body: string | undefined): ParseResult {
  if (body === undefined || body.trim() === '') return reject('empty-body', 'message body is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return reject('not-json', `message body ${show(body)} is not JSON, expected an EventBridge event`);
  }
  if (!isObject(parsed))
    return reject('not-an-object', `message body is ${show(parsed)}, expected a JSON object`);
  const unwrapped = unwrapSns(parsed);
  if ('ok' in unwrapped) return unwrapped;
  const envelope = unwrapped.value;
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

  try {
    const base: EventBase = {
      id,
      time: optionalDate(envelope['time']),
      account: typeof envelope['account'] === 'string' ? envelope['account'] : undefined,
      region: typeof envelope['region'] === 'string' ? envelope['region'] : undefined,
      clusterArn,
      version,
      updatedAt:
        detail['updatedAt'] === undefined ? undefined : toDate(detail['updatedAt'], 'detail.updatedAt'),
      viaSns: unwrapped.viaSns,
    };
    const event: EcsEvent =
      detailType === TASK_STATE_CHANGE
        ? { ...base, kind: 'task', taskArn: arn, task: toTask(detail) }
        : {
            ...base,
            kind: 'container-instance',
            containerInstanceArn: arn,
            containerInstance: toContainerInstance(detail),
          };
    return { ok: true, event };
  } catch (err) {
    if (err instanceof InvalidField) return reject('invalid-fields', err.message);
    throw err;
  }
}

function optionalDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
