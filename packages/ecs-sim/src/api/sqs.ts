import { ApiError } from '../protocols/errors.ts';
import { optInt, optObject, optObjectList, optString, optStringList } from '../protocols/json.ts';
import type { Queue } from '../state/model.ts';
import { createQueue, sendToQueue } from '../state/queues.ts';
import type { RequestContext } from './context.ts';

type Body = Record<string, unknown>;

/** SQS long polls wait at most 20 seconds. */
export const SQS_MAX_WAIT_SECONDS = 20;
/** ReceiveMessage returns at most 10 messages. */
export const SQS_MAX_MESSAGES = 10;

const sqsError = (code: string, message: string, queryCode: string): ApiError =>
  new ApiError(code, message, 400, queryCode);

const noQueue = (): ApiError =>
  sqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );

const invalidValue = (message: string): ApiError =>
  sqsError('InvalidParameterValue', message, 'InvalidParameterValue');

function queueFromUrl(ctx: RequestContext, url: string | undefined): Queue {
  if (!url)
    throw sqsError(
      'MissingParameter',
      'The request must contain the parameter QueueUrl.',
      'MissingParameter',
    );
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url;
  }
  const [, acct, name] = path.split('/');
  const account = acct ? ctx.world.accounts.get(acct) : undefined;
  const q = name ? account?.queues.get(name) : undefined;
  if (!q) throw noQueue();
  return q;
}

function expire(q: Queue, now: number): void {
  const cutoff = now - q.retentionSeconds * 1000;
  if (q.messages.length > 0 && q.messages[0]!.sentAt < cutoff) {
    q.messages = q.messages.filter((m) => m.sentAt >= cutoff);
  }
}

function attrNumber(
  attrs: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const v = attrs[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw sqsError(
      'InvalidAttributeValue',
      `Invalid value for the parameter ${key}: got ${JSON.stringify(v)}, expected an integer from ${min} to ${max}.`,
      'InvalidAttributeValue',
    );
  }
  return n;
}

function createQueueOp(ctx: RequestContext, body: Body): unknown {
  const name = optString(body, 'QueueName');
  if (!name || !/^[a-zA-Z0-9_-]{1,80}$/.test(name)) {
    throw invalidValue(
      `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (got ${JSON.stringify(name ?? '')}).`,
    );
  }
  const attrs = (optObject(body, 'Attributes') ?? {}) as Record<string, unknown>;
  const vt = attrNumber(attrs, 'VisibilityTimeout', 0, 43200);
  const wait = attrNumber(attrs, 'ReceiveMessageWaitTimeSeconds', 0, SQS_MAX_WAIT_SECONDS);
  const retention = attrNumber(attrs, 'MessageRetentionPeriod', 60, 1209600);
  const existing = ctx.account.queues.get(name);
  if (existing && vt !== undefined && vt !== existing.visibilityTimeout) {
    throw sqsError(
      'QueueNameExists',
      'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
      'QueueAlreadyExists',
    );
  }
  const q = createQueue(ctx.world, ctx.account, name, ctx.endpoint);
  if (!existing) {
    if (vt !== undefined) q.visibilityTimeout = vt;
    if (wait !== undefined) q.receiveWaitTime = wait;
    if (retention !== undefined) q.retentionSeconds = retention;
  }
  return { QueueUrl: q.url };
}

function getQueueUrl(ctx: RequestContext, body: Body): unknown {
  const name = optString(body, 'QueueName');
  const owner = optString(body, 'QueueOwnerAWSAccountId');
  const account = owner ? ctx.world.accounts.get(owner) : ctx.account;
  const q = name ? account?.queues.get(name) : undefined;
  if (!q) throw noQueue();
  return { QueueUrl: q.url };
}

function listQueues(ctx: RequestContext, body: Body): unknown {
  const prefix = optString(body, 'QueueNamePrefix') ?? '';
  return {
    QueueUrls: [...ctx.account.queues.values()].filter((q) => q.name.startsWith(prefix)).map((q) => q.url),
  };
}

function deleteQueue(ctx: RequestContext, body: Body): unknown {
  const q = queueFromUrl(ctx, optString(body, 'QueueUrl'));
  q.account.queues.delete(q.name);
  for (const w of q.waiters) w();
  return {};
}

function sendMessage(ctx: RequestContext, body: Body): unknown {
  const q = queueFromUrl(ctx, optString(body, 'QueueUrl'));
  const text = optString(body, 'MessageBody');
  if (text === undefined || text === '') {
    throw sqsError(
      'MissingParameter',
      'The request must contain the parameter MessageBody.',
      'MissingParameter',
    );
  }
  if (Buffer.byteLength(text) > 262144) {
    throw invalidValue(
      'One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.',
    );
  }
  const delay = optInt(body, 'DelaySeconds') ?? 0;
  if (delay < 0 || delay > 900) throw invalidValue(`Value ${delay} for parameter DelaySeconds is invalid.`);
  const m = sendToQueue(ctx.world, q, text, delay);
  return { MessageId: m.messageId, MD5OfMessageBody: m.md5 };
}

function takeVisible(ctx: RequestContext, q: Queue, max: number, vt: number, attrs: string[]): unknown[] {
  const now = Date.now();
  expire(q, now);
  const out: unknown[] = [];
  for (const m of q.messages) {
    if (out.length >= max) break;
    if (m.visibleAt > now) continue;
    m.receiveCount++;
    m.firstReceiveAt ??= now;
    m.visibleAt = now + vt * 1000;
    m.receiptHandle = Buffer.from(
      `${q.account.id}/${q.name}/${m.messageId}/${ctx.world.prng.hex(16)}`,
    ).toString('base64url');
    const msg: Record<string, unknown> = {
      MessageId: m.messageId,
      ReceiptHandle: m.receiptHandle,
      MD5OfBody: m.md5,
      Body: m.body,
    };
    if (attrs.length > 0) {
      const all: Record<string, string> = {
        SenderId: 'AIDASIMULATOR000000001',
        SentTimestamp: String(m.sentAt),
        ApproximateReceiveCount: String(m.receiveCount),
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
      };
      const pick: Record<string, string> = {};
      for (const [k, v] of Object.entries(all)) if (attrs.includes('All') || attrs.includes(k)) pick[k] = v;
      msg['Attributes'] = pick;
    }
    out.push(msg);
  }
  return out;
}

async function receiveMessage(ctx: RequestContext, body: Body): Promise<unknown> {
  const q = queueFromUrl(ctx, optString(body, 'QueueUrl'));
  const max = optInt(body, 'MaxNumberOfMessages') ?? 1;
  if (max < 1 || max > SQS_MAX_MESSAGES) {
    throw invalidValue(
      `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and ${SQS_MAX_MESSAGES}, if provided.`,
    );
  }
  const wait = optInt(body, 'WaitTimeSeconds') ?? q.receiveWaitTime;
  if (wait < 0 || wait > SQS_MAX_WAIT_SECONDS) {
    throw invalidValue(
      `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= ${SQS_MAX_WAIT_SECONDS}, if provided.`,
    );
  }
  const vt = optInt(body, 'VisibilityTimeout') ?? q.visibilityTimeout;
  const attrs = [
    ...(optStringList(body, 'AttributeNames') ?? []),
    ...(optStringList(body, 'MessageSystemAttributeNames') ?? []),
  ];
  const deadline = Date.now() + wait * 1000;
  for (;;) {
    const got = takeVisible(ctx, q, max, vt, attrs);
    if (got.length > 0) return { Messages: got };
    const now = Date.now();
    if (now >= deadline || ctx.aborted.aborted || !q.account.queues.has(q.name)) return {};
    let nextVisible = deadline;
    for (const m of q.messages) if (m.visibleAt > now && m.visibleAt < nextVisible) nextVisible = m.visibleAt;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        q.waiters.delete(done);
        ctx.aborted.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, nextVisible - now));
      q.waiters.add(done);
      ctx.aborted.addEventListener('abort', done);
    });
  }
}

function deleteByHandle(q: Queue, handle: string | undefined): void {
  const i = handle ? q.messages.findIndex((m) => m.receiptHandle === handle) : -1;
  if (i < 0) {
    throw sqsError(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle ?? ''}" is not a valid receipt handle.`,
      'ReceiptHandleIsInvalid',
    );
  }
  q.messages.splice(i, 1);
}

function deleteMessage(ctx: RequestContext, body: Body): unknown {
  const q = queueFromUrl(ctx, optString(body, 'QueueUrl'));
  deleteByHandle(q, optString(body, 'ReceiptHandle'));
  return {};
}

function deleteMessageBatch(ctx: RequestContext, body: Body): unknown {
  const q = queueFromUrl(ctx, optString(body, 'QueueUrl'));
  const entries = optObjectList(body, 'Entries') ?? [];
  if (entries.length === 0) {
    throw sqsError(
      'EmptyBatchRequest',
      'There should be at least one DeleteMessageBatchRequestEntry in the request.',
      'AWS.SimpleQueueService.EmptyBatchRequest',
    );
  }
  const Successful: unknown[] = [];
  const Failed: unknown[] = [];
  for (const e of entries) {
    try {
      deleteByHandle(q, typeof e['ReceiptHandle'] === 'string' ? e['ReceiptHandle'] : undefined);
      Successful.push({ Id: e['Id'] });
    } catch (err) {
      Failed.push({
        Id: e['Id'],
        SenderFault: true,
        Code: 'ReceiptHandleIsInvalid',
        Message: (err as Error).message,
      });
    }
  }
  return { Successful, Failed };
}

function purgeQueue(ctx: RequestContext, body: Body): unknown {
  const q = queueFromUrl(ctx, optString(body, 'QueueUrl'));
  q.messages = [];
  return {};
}

function getQueueAttributes(ctx: RequestContext, body: Body): unknown {
  const q = queueFromUrl(ctx, optString(body, 'QueueUrl'));
  const names = optStringList(body, 'AttributeNames') ?? ['All'];
  const now = Date.now();
  expire(q, now);
  let visible = 0;
  let inFlight = 0;
  let delayed = 0;
  for (const m of q.messages) {
    if (m.visibleAt <= now) visible++;
    else if (m.receiveCount > 0) inFlight++;
    else delayed++;
  }
  const all: Record<string, string> = {
    QueueArn: q.arn,
    ApproximateNumberOfMessages: String(visible),
    ApproximateNumberOfMessagesNotVisible: String(inFlight),
    ApproximateNumberOfMessagesDelayed: String(delayed),
    CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(q.createdAt / 1000)),
    VisibilityTimeout: String(q.visibilityTimeout),
    MaximumMessageSize: '262144',
    MessageRetentionPeriod: String(q.retentionSeconds),
    DelaySeconds: '0',
    ReceiveMessageWaitTimeSeconds: String(q.receiveWaitTime),
    SqsManagedSseEnabled: 'false',
  };
  const Attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (names.includes('All') || names.includes(k)) Attributes[k] = v;
  for (const n of names) {
    if (n !== 'All' && !(n in all)) {
      throw sqsError('InvalidAttributeName', `Unknown Attribute ${n}.`, 'InvalidAttributeName');
    }
  }
  return { Attributes };
}

/** SQS operations (AWS JSON 1.0, target prefix AmazonSQS; errors carry `x-amzn-query-error`). */
export const SQS_HANDLERS: Record<string, (ctx: RequestContext, body: Body) => unknown> = {
  CreateQueue: createQueueOp,
  GetQueueUrl: getQueueUrl,
  ListQueues: listQueues,
  DeleteQueue: deleteQueue,
  SendMessage: sendMessage,
  ReceiveMessage: receiveMessage,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  PurgeQueue: purgeQueue,
  GetQueueAttributes: getQueueAttributes,
};
