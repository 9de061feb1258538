/**
 * What an SQS message body may hold before ecs-sd refuses it, and the reasons it refuses one: the
 * bounds the parser (parse.ts) and the bounded copy of the SDK shapes (sdk-copy.ts) enforce, each
 * named after the AWS limit behind it (docs/events.md "Hostile messages"). Pure facts.
 */

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
