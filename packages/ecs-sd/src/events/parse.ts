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
 * member from a schema of the SDK's shape (sdk-copy.ts), within the bounds of event-limits.ts.
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import {
  FORBIDDEN_KEYS,
  MAX_BODY_BYTES,
  MAX_DEPTH,
  MAX_EVENT_BYTES,
  type RejectReason,
} from './event-limits.ts';
import {
  type Budget,
  boundedString,
  copyContainerInstance,
  copyTask,
  isObject,
  type Json,
  Rejection,
  show,
  toDate,
} from './sdk-copy.ts';

/** `detail-type` of a task event (EventBridge, `source: aws.ecs`). */
export const TASK_STATE_CHANGE = 'ECS Task State Change';
/** `detail-type` of a container instance event (EventBridge, `source: aws.ecs`). */
export const CONTAINER_INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change';

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

const reject = (reason: RejectReason, message: string): ParseResult => ({ ok: false, reason, message });

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
    const task = copyTask(detail, budget);
    return { ok: true, event: { ...base, kind: 'task', taskArn: arn, task } };
  }
  const containerInstance = copyContainerInstance(detail, budget);
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
