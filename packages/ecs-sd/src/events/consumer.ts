/**
 * The SQS long-poll loop of event mode: ReceiveMessage (long poll), parse, hand each event to the
 * owner, DeleteMessageBatch what was handled. Calls only sqs:ReceiveMessage and sqs:DeleteMessage
 * (DeleteMessageBatch is authorised by it), the IAM actions event mode is granted. Malformed
 * messages are counted and deleted, never fatal. Receive errors back off exponentially with jitter;
 * after `unhealthyAfter` consecutive failures the consumer is `unhealthy` (its owner falls back to
 * polling) until a receive succeeds again.
 *
 * Nothing a message does can end the loop: parsing is total, the owner's handler and every callback
 * run inside try/catch, and the loops' promises never reject. A message whose handling throws is
 * left for redelivery until its `maxReceives`-th receive (SQS's `ApproximateReceiveCount`), then
 * deleted as `handler-failed`, so a message that fails every time cannot circulate for ever.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { DELETE_BATCH_MAX, SQS_MAX_MESSAGES, SQS_MAX_WAIT_SECONDS } from '../lib/aws-limits.ts';
import { type EcsEvent, type ParseResult, parseMessage, previewBody, type RejectReason } from './parse.ts';

/** Receives after which a message whose handling keeps throwing is deleted (`handler-failed`). */
export const MAX_RECEIVES = 3;
/** Message ids whose handler failures are counted locally, for queues that give no `ApproximateReceiveCount`. */
const FAILED_IDS_MAX = 1_000;

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
type Settings = EventConsumerOptions & Required<Pick<EventConsumerOptions, DefaultedOption>>;
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

/** An SQS long-poll loop handing ECS events to its owner; start() once, stop() aborts promptly. */
export class EventConsumer {
  readonly #o: Settings;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  /** Deletions in flight: the next receive does not wait for them, stop() does. */
  readonly #deleting = new Set<Promise<void>>();
  #failures = 0;
  #health: ConsumerHealth = 'healthy';
  #lastError: unknown;
  /** Handler failures by MessageId, oldest first (bounded): the receive count where SQS gives none. */
  readonly #handlerFailures = new Map<string, number>();

  constructor(options: EventConsumerOptions) {
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
    this.#o = {
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

  /** `healthy` (also before the first receive) until `unhealthyAfter` consecutive receive failures, and again after a success. */
  get health(): ConsumerHealth {
    return this.#health;
  }

  /** Consecutive receive failures so far (0 after a success). */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** The last receive error, for logs and the status page. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** True between start() and the end of the loop. */
  get running(): boolean {
    return this.#loop !== undefined;
  }

  /** Starts the loop; a second call is a no-op. */
  start(): void {
    if (this.#loop || this.#abort.signal.aborted) return;
    const loops = Array.from({ length: this.#o.receivers }, () => this.#run());
    // #run never rejects; the catch makes an unhandled rejection impossible even if it did.
    this.#loop = Promise.all(loops)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.#loop = undefined;
      });
  }

  /** Aborts the long poll in flight and resolves when the loop has ended; handled messages are deleted first. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await Promise.all(this.#deleting);
  }

  /** One receive loop; never rejects. */
  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        await this.#receive(signal);
      } catch (err) {
        // A fault of ours, not of the queue or a message: keep reading, after a pause so it cannot spin.
        this.#log(
          'warn',
          { err, queueUrl: this.#o.queueUrl },
          'events consumer failed unexpectedly, continuing',
        );
        await sleep(this.#o.backoffMaxMs, signal);
      }
    }
  }

  async #receive(signal: AbortSignal): Promise<void> {
    let messages: Message[];
    try {
      const out = await this.#o.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#o.queueUrl,
          MaxNumberOfMessages: this.#o.maxMessages,
          WaitTimeSeconds: this.#o.waitTimeSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        { abortSignal: signal },
      );
      messages = out.Messages ?? [];
    } catch (err) {
      if (signal.aborted) return;
      await this.#failed(err, signal);
      return;
    }
    this.#succeeded();
    if (messages.length > 0) await this.#handle(messages);
  }

  /** Calls an owner's metrics callback; one that throws is logged and otherwise ignored. */
  #metric(call: (metrics: EventMetrics) => void): void {
    const metrics = this.#o.metrics;
    if (metrics === undefined) return;
    try {
      call(metrics);
    } catch (err) {
      this.#log('warn', { err }, 'events metrics callback failed');
    }
  }

  /** Logs through the owner's logger; a logger that throws is ignored. */
  #log(level: 'warn' | 'info' | 'debug', fields: object, message: string): void {
    try {
      this.#o.log?.[level](fields, message);
    } catch {
      // Nothing left to tell.
    }
  }

  /** Calls an owner's callback (onBatch, onHealthChange); one that throws is logged. */
  #callback(name: string, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#log('warn', { err, callback: name }, 'events consumer callback failed');
    }
  }

  async #failed(err: unknown, signal: AbortSignal): Promise<void> {
    this.#failures++;
    this.#lastError = err;
    const code = err instanceof Error ? err.name : 'Unknown';
    this.#metric((m) => m.receiveError?.(code));
    const delayMs = backoffDelay(
      this.#failures,
      this.#o.backoffInitialMs,
      this.#o.backoffMaxMs,
      this.#o.random,
    );
    this.#log(
      'warn',
      { err, queueUrl: this.#o.queueUrl, failures: this.#failures, delayMs },
      'events queue receive failed',
    );
    if (this.#failures >= this.#o.unhealthyAfter) this.#setHealth('unhealthy');
    await sleep(delayMs, signal);
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#setHealth('healthy');
  }

  #setHealth(health: ConsumerHealth): void {
    if (this.#health === health) return;
    this.#health = health;
    this.#metric((m) => m.health?.(health));
    if (health === 'unhealthy') {
      this.#log(
        'warn',
        { queueUrl: this.#o.queueUrl, failures: this.#failures },
        'events queue unreadable: falling back to polling at refresh_interval',
      );
    } else {
      this.#log('info', { queueUrl: this.#o.queueUrl }, 'events queue readable again');
    }
    this.#callback('onHealthChange', () => this.#o.onHealthChange?.(health));
  }

  async #handle(messages: Message[]): Promise<void> {
    this.#metric((m) => m.received?.(messages.length));
    const done: Message[] = [];
    let events = 0;
    for (const message of messages) {
      const verdict = await this.#handleOne(message);
      if (verdict === 'keep') continue;
      done.push(message);
      if (verdict === 'event') events++;
    }
    if (events > 0) this.#callback('onBatch', () => this.#o.onBatch?.());
    // The next receive goes out at once: waiting for this round trip would halve the messages read per second.
    const deleting = this.#delete(done)
      .catch((err: unknown) => this.#log('warn', { err }, 'events delete failed unexpectedly'))
      .finally(() => this.#deleting.delete(deleting));
    this.#deleting.add(deleting);
  }

  /** Parses and applies one message: `event` (delete), `dropped` (delete, counted), or `keep` (left for redelivery). */
  async #handleOne(message: Message): Promise<'event' | 'dropped' | 'keep'> {
    let parsed: ParseResult;
    try {
      parsed = parseMessage(message.Body);
    } catch (err) {
      // parseMessage never throws; should it ever, the message is poison all the same.
      parsed = { ok: false, reason: 'parse-failed', message: `parsing the message threw: ${String(err)}` };
    }
    if (!parsed.ok) {
      const { reason } = parsed;
      this.#metric((m) => m.malformed?.(reason));
      this.#log(
        'debug',
        { messageId: message.MessageId, reason, preview: previewBody(message.Body) },
        parsed.message,
      );
      return 'dropped';
    }
    const event = parsed.event;
    let outcome: HandleOutcome;
    try {
      outcome = await this.#o.onEvent(event);
    } catch (err) {
      this.#metric((m) => m.handlerFailed?.());
      const receives = this.#receives(message);
      const fields = {
        err,
        messageId: message.MessageId,
        receives,
        maxReceives: this.#o.maxReceives,
        preview: previewBody(message.Body),
      };
      if (receives < this.#o.maxReceives) {
        this.#log('warn', fields, 'events handler failed: message left for redelivery');
        return 'keep';
      }
      this.#forget(message);
      this.#metric((m) => m.malformed?.('handler-failed'));
      this.#log('warn', fields, 'events handler failed on every receive: message deleted');
      return 'dropped';
    }
    this.#forget(message);
    if (outcome === 'stale') this.#metric((m) => m.stale?.());
    else if (outcome === 'ignored-cluster') this.#metric((m) => m.ignored?.());
    else this.#metric((m) => m.applied?.(outcome));
    if (event.time !== undefined) {
      const seconds = Math.max(0, (this.#o.now() - event.time.getTime()) / 1000);
      this.#metric((m) => m.lag?.(seconds));
    }
    return 'event';
  }

  /**
   * How many times this message has been received, this one included, after a handler failure:
   * SQS's `ApproximateReceiveCount`, or the failures this consumer counted (whichever is higher).
   */
  #receives(message: Message): number {
    const fromSqs = Number(message.Attributes?.ApproximateReceiveCount);
    const id = message.MessageId;
    let local = 1;
    if (id !== undefined) {
      local = (this.#handlerFailures.get(id) ?? 0) + 1;
      this.#handlerFailures.delete(id);
      this.#handlerFailures.set(id, local);
      // Map keeps insertion order: the first entry is the one failed longest ago.
      for (const oldest of this.#handlerFailures.keys()) {
        if (this.#handlerFailures.size <= FAILED_IDS_MAX) break;
        this.#handlerFailures.delete(oldest);
      }
    }
    return Number.isSafeInteger(fromSqs) && fromSqs > local ? fromSqs : local;
  }

  #forget(message: Message): void {
    if (message.MessageId !== undefined) this.#handlerFailures.delete(message.MessageId);
  }

  async #delete(messages: Message[]): Promise<void> {
    const withHandle = messages.filter((msg) => msg.ReceiptHandle !== undefined);
    for (let i = 0; i < withHandle.length; i += DELETE_BATCH_MAX) {
      const batch = withHandle.slice(i, i + DELETE_BATCH_MAX);
      try {
        // Not aborted by stop(): a handled message that is not deleted comes back as a duplicate.
        const out = await this.#o.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#o.queueUrl,
            Entries: batch.map((msg, j) => ({ Id: String(j), ReceiptHandle: msg.ReceiptHandle })),
          }),
        );
        const failed = out.Failed?.length ?? 0;
        this.#metric((m) => m.deleted?.(batch.length - failed));
        if (failed > 0) {
          this.#metric((m) => m.deleteFailed?.(failed));
          this.#log(
            'warn',
            { queueUrl: this.#o.queueUrl, failed: out.Failed },
            'events delete partly failed',
          );
        }
      } catch (err) {
        this.#metric((m) => m.deleteFailed?.(batch.length));
        this.#log('warn', { err, queueUrl: this.#o.queueUrl }, 'events delete failed: messages come back');
      }
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
