import { createHash } from 'node:crypto';
import type { Account, Queue, QueueMessage } from './model.ts';
import type { World } from './world.ts';

/** MD5 hex of a message body, which the SDK verifies on SendMessage and ReceiveMessage. */
export const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** Creates (or returns) a queue in an account; queue URLs are `ENDPOINT/ACCOUNT/NAME`. */
export function createQueue(world: World, account: Account, name: string, endpoint: string): Queue {
  const existing = account.queues.get(name);
  if (existing) return existing;
  const q: Queue = {
    name,
    url: `${endpoint}/${account.id}/${name}`,
    arn: `arn:aws:sqs:${world.region}:${account.id}:${name}`,
    account,
    createdAt: Date.now(),
    visibilityTimeout: 30,
    receiveWaitTime: 0,
    retentionSeconds: 345600,
    messages: [],
    waiters: new Set(),
    attributes: {},
  };
  account.queues.set(name, q);
  return q;
}

/** Appends a message and wakes long-polling receivers. */
export function sendToQueue(world: World, q: Queue, body: string, delaySeconds = 0): QueueMessage {
  const now = Date.now();
  const m: QueueMessage = {
    messageId: world.prng.uuid(),
    body,
    md5: md5(body),
    sentAt: now,
    visibleAt: now + delaySeconds * 1000,
    receiveCount: 0,
    receiptHandle: undefined,
    firstReceiveAt: undefined,
  };
  q.messages.push(m);
  for (const w of q.waiters) w();
  return m;
}
