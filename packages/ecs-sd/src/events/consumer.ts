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
import type { Message } from '@aws-sdk/client-sqs';
import { sqsSdk } from '../lib/sdk.ts';
import {
  backoffDelay,
  type ConsumerHealth,
  type EventConsumerOptions,
  type EventMetrics,
  type Settings,
  settingsOf,
} from './consumer-options.ts';
import { deleteMessages, MessageHandler, type Reporter } from './message-handler.ts';

export {
  backoffDelay,
  type ConsumerHealth,
  type DropReason,
  type EventConsumerOptions,
  type EventMetrics,
  type HandleOutcome,
  MAX_RECEIVES,
} from './consumer-options.ts';

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
  /** Metrics and logs that never throw, for the message handler and the deletions. */
  readonly #report: Reporter = {
    metric: (call) => this.#metric(call),
    log: (level, fields, message) => this.#log(level, fields, message),
  };
  readonly #handler: MessageHandler;

  constructor(options: EventConsumerOptions) {
    this.#o = settingsOf(options);
    this.#handler = new MessageHandler(this.#o, this.#report);
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
        new (sqsSdk().ReceiveMessageCommand)({
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
      const verdict = await this.#handler.handle(message);
      if (verdict === 'keep') continue;
      done.push(message);
      if (verdict === 'event') events++;
    }
    if (events > 0) this.#callback('onBatch', () => this.#o.onBatch?.());
    // The next receive goes out at once: waiting for this round trip would halve the messages read per second.
    const deleting = deleteMessages(this.#o, this.#report, done)
      .catch((err: unknown) => this.#log('warn', { err }, 'events delete failed unexpectedly'))
      .finally(() => this.#deleting.delete(deleting));
    this.#deleting.add(deleting);
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
