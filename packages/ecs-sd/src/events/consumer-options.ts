/**
 * The options of the events consumer, checked against the SQS limits of lib/aws-limits.ts, with
 * their defaults applied once (`settingsOf`); the metrics callbacks an owner binds; the backoff.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { SQS_MAX_MESSAGES, SQS_MAX_WAIT_SECONDS } from '../lib/aws-limits.ts';
import type { RejectReason } from './event-limits.ts';
import type { EcsEvent } from './parse.ts';

/** Receives after which a message whose handling keeps throwing is deleted (`handler-failed`). */
export const MAX_RECEIVES = 3;
/** Why a message was deleted without being applied: a parse rejection, or a handler that failed on `maxReceives` receives. */
export type DropReason = RejectReason | 'handler-failed';

/** What the owner did with an event; `stale` and `ignored-cluster` are counted, the rest are applied. */
export type HandleOutcome = 'upsert' | 'remove' | 'stale' | 'ignored-cluster';

/** Whether the queue can be read: `unhealthy` after `unhealthyAfter` consecutive receive failures. */
export type ConsumerHealth = 'healthy' | 'unhealthy';

/** Callbacks the owner binds to `ecs_sd_events_*` metrics (docs/events.md); every one is optional. */
export interface EventMetrics {
  /** Messages received (ecs_sd_events_received_total). */
  received?(count: number): void;
  /** Messages deleted (ecs_sd_events_deleted_total). */
  deleted?(count: number): void;
  /** Messages whose deletion failed; SQS delivers them again (ecs_sd_events_delete_failures_total). */
  deleteFailed?(count: number): void;
  /** A message deleted without being applied: not an applicable event, or poison (ecs_sd_events_malformed_total{reason}). */
  malformed?(reason: DropReason): void;
  /** An event that changed state (ecs_sd_events_applied_total{change}). */
  applied?(change: 'upsert' | 'remove'): void;
  /** An event older than or equal to what is known: a duplicate or out of order (ecs_sd_events_stale_total). */
  stale?(): void;
  /** An event of a cluster that is not selected (ecs_sd_events_ignored_total). */
  ignored?(): void;
  /** The owner's handler threw; the message is left for redelivery, or deleted on its `maxReceives`-th receive (ecs_sd_events_handler_failures_total). */
  handlerFailed?(): void;
  /** A failed ReceiveMessage, by AWS error name (ecs_sd_events_receive_errors_total{code}). */
  receiveError?(code: string): void;
  /** Seconds from the event's `time` to its handling (ecs_sd_events_lag_seconds). */
  lag?(seconds: number): void;
  /** The health changed (ecs_sd_events_queue_healthy). */
  health?(health: ConsumerHealth): void;
}

/** Options of `EventConsumer`. */
export interface EventConsumerOptions {
  /** A real SDK client; its own retries add to the consumer's (maxAttempts 1 leaves backoff to the consumer). */
  client: SQSClient;
  /** The queue an EventBridge rule for `source: aws.ecs` feeds. */
  queueUrl: string;
  /** Applies one event; returns what it did. Throwing leaves the message for redelivery, up to `maxReceives` receives. */
  onEvent(event: EcsEvent): HandleOutcome | Promise<HandleOutcome>;
  /** Called after each received batch that held at least one event, e.g. a coalescer's trigger. */
  onBatch?(): void;
  /** Called when health changes, so the owner can fall back to polling and back. */
  onHealthChange?(health: ConsumerHealth): void;
  metrics?: EventMetrics;
  log?: Pick<Logger, 'warn' | 'info' | 'debug'>;
  /** Long poll duration. @default 20 (the SQS maximum) */
  waitTimeSeconds?: number;
  /** @default 10 (the SQS maximum) */
  maxMessages?: number;
  /**
   * Receive loops running at once: one ReceiveMessage returns at most 10 messages, so a burst of
   * thousands of events (a large deployment) drains that many times faster. @default 1
   */
  receivers?: number;
  /** Consecutive receive failures that make the consumer unhealthy. @default 3 */
  unhealthyAfter?: number;
  /**
   * Receives of one message (SQS's `ApproximateReceiveCount`, or this consumer's own count where the
   * queue gives none) after which a message whose handling throws is deleted. @default 3 (MAX_RECEIVES)
   */
  maxReceives?: number;
  /** First backoff after a receive failure. @default 1000 */
  backoffInitialMs?: number;
  /**
   * Backoff cap. A receive is cheap and the outputs wait for the queue, so the cap is short: after
   * an outage the consumer reads again within seconds. @default 5000
   */
  backoffMaxMs?: number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Milliseconds clock for the lag. @default Date.now */
  now?: () => number;
}

/** Backoff before retry number `failures` (1-based): exponential, capped, with equal jitter (half fixed, half random). */
export function backoffDelay(
  failures: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Options with their defaults applied. */
export type Settings = EventConsumerOptions & Required<Pick<EventConsumerOptions, DefaultedOption>>;
type DefaultedOption =
  | 'waitTimeSeconds'
  | 'maxMessages'
  | 'receivers'
  | 'unhealthyAfter'
  | 'maxReceives'
  | 'backoffInitialMs'
  | 'backoffMaxMs'
  | 'random'
  | 'now';

/** The options with their defaults; throws RangeError for values SQS does not accept. */
export function settingsOf(options: EventConsumerOptions): Settings {
  const waitTimeSeconds = options.waitTimeSeconds ?? SQS_MAX_WAIT_SECONDS;
  const maxMessages = options.maxMessages ?? SQS_MAX_MESSAGES;
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > SQS_MAX_WAIT_SECONDS) {
    throw new RangeError(`waitTimeSeconds is ${waitTimeSeconds}, expected an integer from 0 to 20`);
  }
  if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > SQS_MAX_MESSAGES) {
    throw new RangeError(`maxMessages is ${maxMessages}, expected an integer from 1 to 10`);
  }
  const receivers = options.receivers ?? 1;
  if (!Number.isInteger(receivers) || receivers < 1) {
    throw new RangeError(`receivers is ${receivers}, expected an integer of at least 1`);
  }
  return {
    ...options,
    waitTimeSeconds,
    maxMessages,
    receivers,
    unhealthyAfter: Math.max(1, options.unhealthyAfter ?? 3),
    maxReceives: Math.max(1, options.maxReceives ?? MAX_RECEIVES),
    backoffInitialMs: options.backoffInitialMs ?? 1000,
    backoffMaxMs: options.backoffMaxMs ?? 5_000,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
}
