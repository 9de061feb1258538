/** Event-driven discovery: parse ECS events from SQS, keep versioned task state, coalesce publishes. */
export { type Coalescer, type CoalescerOptions, createCoalescer } from './coalesce.ts';
export {
  backoffDelay,
  type ConsumerHealth,
  type DropReason,
  EventConsumer,
  type EventConsumerOptions,
  type EventMetrics,
  type HandleOutcome,
  MAX_RECEIVES,
} from './consumer.ts';
export { REJECT_REASONS, type RejectReason } from './event-limits.ts';
export {
  CONTAINER_INSTANCE_STATE_CHANGE,
  type ContainerInstanceStateChange,
  type EcsEvent,
  type ParseResult,
  parseMessage,
  previewBody,
  TASK_STATE_CHANGE,
  type TaskStateChange,
} from './parse.ts';
export {
  type ApplyChange,
  type ApplyResult,
  isContainerInstanceGone,
  isTaskGone,
  type ObserveResult,
  type Pending,
  type PolledCluster,
  TaskStore,
  type TaskStoreOptions,
} from './task-store.ts';
