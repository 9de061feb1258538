/**
 * Reads an SQS queue URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`) into its parts, so the
 * config can reject a bad `events.queue_url` at start-up and the SQS client can take its Region
 * from the URL when the source sets none. Pure.
 */

/** The parts of a queue URL; `region` is undefined for an endpoint that does not name one (e.g. ecs-sim). */
export interface QueueUrlParts {
  url: string;
  accountId: string;
  queueName: string;
  region: string | undefined;
  /** True for a `.fifo` queue. */
  fifo: boolean;
}

/** Queue names: 1 to 80 of [A-Za-z0-9_-], a FIFO queue's ending in `.fifo` (SQS CreateQueue). */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(?:\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** sqs.REGION.amazonaws.com(.cn), sqs-fips.REGION…, REGION.queue.amazonaws.com, and VPC endpoints (….sqs.REGION.vpce.amazonaws.com). */
const REGION_HOSTS = [
  /^sqs(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/,
  /^([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.amazonaws\.com(?:\.cn)?$/,
  /\.sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.vpce\.amazonaws\.com(?:\.cn)?$/,
];

/** Parses a queue URL; returns a message naming the received value and what was expected when it is not one. */
export function parseQueueUrl(
  text: string,
): { ok: true; value: QueueUrlParts } | { ok: false; message: string } {
  const expected = 'expected https://sqs.REGION.amazonaws.com/ACCOUNT_ID/QUEUE_NAME';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `${JSON.stringify(text)} is not a URL, ${expected}` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, message: `${JSON.stringify(text)} has scheme ${url.protocol}, ${expected}` };
  }
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const [accountId, queueName] = parts;
  if (parts.length !== 2 || accountId === undefined || queueName === undefined) {
    return {
      ok: false,
      message: `${JSON.stringify(text)} has path ${JSON.stringify(url.pathname)}, ${expected}`,
    };
  }
  if (!ACCOUNT_ID.test(accountId)) {
    return {
      ok: false,
      message: `${JSON.stringify(text)} has account id ${JSON.stringify(accountId)}, expected 12 digits`,
    };
  }
  if (!QUEUE_NAME.test(queueName)) {
    return {
      ok: false,
      message: `${JSON.stringify(text)} has queue name ${JSON.stringify(queueName)}, expected 1 to 80 of A-Z a-z 0-9 _ -`,
    };
  }
  let region: string | undefined;
  for (const pattern of REGION_HOSTS) {
    const match = pattern.exec(url.hostname);
    if (match?.[1] !== undefined) {
      region = match[1];
      break;
    }
  }
  if (region === undefined && url.hostname === 'queue.amazonaws.com') region = 'us-east-1';
  return { ok: true, value: { url: text, accountId, queueName, region, fifo: queueName.endsWith('.fifo') } };
}
