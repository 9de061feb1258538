/**
 * One message of the events queue: parse it, hand its event to the owner, and say whether to
 * delete it (`event`, `dropped`) or leave it for redelivery (`keep`: the owner's handler threw and
 * the message has not reached `maxReceives` receives). Then the deletion of a round's handled
 * messages, 10 per DeleteMessageBatch. Nothing here throws: callbacks and logs go through `Reporter`.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { DELETE_BATCH_MAX } from '../lib/aws-limits.ts';
import { sqsSdk } from '../lib/sdk.ts';
import type { EventMetrics, HandleOutcome, Settings } from './consumer-options.ts';
import { type ParseResult, parseMessage, previewBody } from './parse.ts';

/** Message ids whose handler failures are counted locally, for queues that give no `ApproximateReceiveCount`. */
const FAILED_IDS_MAX = 1_000;

/** Metrics and log lines of the consumer, each guarded so that a callback or a logger that throws changes nothing. */
export interface Reporter {
  metric(call: (metrics: EventMetrics) => void): void;
  log(level: 'warn' | 'info' | 'debug', fields: object, message: string): void;
}

/** Handles messages one by one, counting the receives of those whose handling throws. */
export class MessageHandler {
  readonly #settings: Settings;
  readonly #report: Reporter;
  /** Handler failures by MessageId, oldest first (bounded): the receive count where SQS gives none. */
  readonly #handlerFailures = new Map<string, number>();

  constructor(settings: Settings, report: Reporter) {
    this.#settings = settings;
    this.#report = report;
  }

  /** Parses and applies one message: `event` (delete), `dropped` (delete, counted), or `keep` (left for redelivery). */
  async handle(message: Message): Promise<'event' | 'dropped' | 'keep'> {
    let parsed: ParseResult;
    try {
      parsed = parseMessage(message.Body);
    } catch (err) {
      // parseMessage never throws; should it ever, the message is poison all the same.
      parsed = { ok: false, reason: 'parse-failed', message: `parsing the message threw: ${String(err)}` };
    }
    if (!parsed.ok) {
      const { reason } = parsed;
      this.#report.metric((m) => m.malformed?.(reason));
      this.#report.log(
        'debug',
        { messageId: message.MessageId, reason, preview: previewBody(message.Body) },
        parsed.message,
      );
      return 'dropped';
    }
    const event = parsed.event;
    let outcome: HandleOutcome;
    try {
      outcome = await this.#settings.onEvent(event);
    } catch (err) {
      this.#report.metric((m) => m.handlerFailed?.());
      const receives = this.#receives(message);
      const fields = {
        err,
        messageId: message.MessageId,
        receives,
        maxReceives: this.#settings.maxReceives,
        preview: previewBody(message.Body),
      };
      if (receives < this.#settings.maxReceives) {
        this.#report.log('warn', fields, 'events handler failed: message left for redelivery');
        return 'keep';
      }
      this.#forget(message);
      this.#report.metric((m) => m.malformed?.('handler-failed'));
      this.#report.log('warn', fields, 'events handler failed on every receive: message deleted');
      return 'dropped';
    }
    this.#forget(message);
    if (outcome === 'stale') this.#report.metric((m) => m.stale?.());
    else if (outcome === 'ignored-cluster') this.#report.metric((m) => m.ignored?.());
    else this.#report.metric((m) => m.applied?.(outcome));
    if (event.time !== undefined) {
      const seconds = Math.max(0, (this.#settings.now() - event.time.getTime()) / 1000);
      this.#report.metric((m) => m.lag?.(seconds));
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
}

/** Deletes handled messages, DELETE_BATCH_MAX per call; failures are counted and logged (SQS delivers them again). */
export async function deleteMessages(
  settings: Settings,
  report: Reporter,
  messages: Message[],
): Promise<void> {
  const withHandle = messages.filter((msg) => msg.ReceiptHandle !== undefined);
  for (let i = 0; i < withHandle.length; i += DELETE_BATCH_MAX) {
    const batch = withHandle.slice(i, i + DELETE_BATCH_MAX);
    try {
      // Not aborted by stop(): a handled message that is not deleted comes back as a duplicate.
      const out = await settings.client.send(
        new (sqsSdk().DeleteMessageBatchCommand)({
          QueueUrl: settings.queueUrl,
          Entries: batch.map((msg, j) => ({ Id: String(j), ReceiptHandle: msg.ReceiptHandle })),
        }),
      );
      const failed = out.Failed?.length ?? 0;
      report.metric((m) => m.deleted?.(batch.length - failed));
      if (failed > 0) {
        report.metric((m) => m.deleteFailed?.(failed));
        report.log(
          'warn',
          { queueUrl: settings.queueUrl, failed: out.Failed },
          'events delete partly failed',
        );
      }
    } catch (err) {
      report.metric((m) => m.deleteFailed?.(batch.length));
      report.log('warn', { err, queueUrl: settings.queueUrl }, 'events delete failed: messages come back');
    }
  }
}
