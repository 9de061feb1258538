import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { Sim } from '../src/index.ts';

/** SDK client config pointing at a simulator with dummy credentials and no retries (tests assert single calls). */
export function clientConfig(
  sim: Sim,
  accessKeyId = 'AKIDTEST',
  extra: { sessionToken?: string; secretAccessKey?: string } = {},
) {
  return {
    endpoint: sim.endpoint,
    region: sim.region,
    maxAttempts: 1,
    credentials: {
      accessKeyId,
      secretAccessKey: extra.secretAccessKey ?? 'secret',
      sessionToken: extra.sessionToken,
    },
  };
}

/** The five SDK clients against one simulator. */
export function clients(sim: Sim, accessKeyId?: string) {
  const cfg = clientConfig(sim, accessKeyId);
  return {
    ecs: new ECSClient(cfg),
    ec2: new EC2Client(cfg),
    ssm: new SSMClient(cfg),
    sts: new STSClient(cfg),
    sqs: new SQSClient(cfg),
  };
}

/** Runs `fn` expecting an SDK error; returns it. */
export async function rejects(
  fn: () => Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number }; $fault?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

/** Posts a raw AWS JSON request (for malformed-input tests the SDK would refuse to send). */
export async function rawJson(
  sim: Sim,
  target: string,
  body: string,
  version = '1.1',
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(sim.endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': target, 'content-type': `application/x-amz-json-${version}` },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}
