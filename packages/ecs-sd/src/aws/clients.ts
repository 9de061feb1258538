/**
 * The SDK v3 clients of one source: ECS, EC2 and SSM with the default credential chain (or an
 * assumed role via STS with ExternalId), the source's Region and endpoint, and request counting.
 */

import type { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { MetadataBearer, NodeHttpHandlerOptions, Pluggable, Logger as SdkLogger } from '@smithy/types';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/types.ts';
import { ec2Sdk, sqsSdk, ssmSdk } from '../lib/sdk.ts';
import type { Metrics } from '../metrics.ts';
import { countingPlugin } from './middleware.ts';
import { AWS_CONNECTION_TIMEOUT_MS, AWS_REQUEST_TIMEOUT_MS } from './timeouts.ts';

/** The clients a source reads with. */
export interface SourceClients {
  ecs: ECSClient;
  /**
   * The EC2 client, created (and its SDK module loaded) on first use: a Fargate-only fleet never
   * needs it, and even cut down to DescribeInstances (lib/sdk.ts) it keeps about 6 MiB resident.
   */
  ec2(): Promise<EC2Client>;
  /** The SSM client, created on first use: only ECS Anywhere hosts (`mi-…`) need it. */
  ssm(): Promise<SSMClient>;
  /** The Region the clients resolved (configured, or from the SDK chain). */
  region(): Promise<string>;
  /** Closes the clients' sockets. */
  destroy(): void;
}

/** Session name of AssumeRole calls, visible in the target account's CloudTrail. */
export const ROLE_SESSION_NAME = 'ecs-sd';

/** Options of the clients of a source. */
export interface SourceClientsOptions {
  /** Per attempt of each call (`timeouts.aws_request`). @default AWS_REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number;
  /** Where the SDK's HTTP handler logs (e.g. socket capacity warnings); default: nowhere, never the console. */
  log?: Logger;
}

/** Creates the clients of a source; the STS client behind role_arn is counted too. */
export function createSourceClients(
  source: SourceConfig,
  metrics: Pick<Metrics, 'awsRequests' | 'awsThrottles'>,
  /** More plugins for every client of the source (e.g. a rate budget); counting is always first. */
  plugins: readonly Pluggable<object, MetadataBearer>[] = [],
  options: SourceClientsOptions = {},
): SourceClients {
  const plugin = countingPlugin(source.name, metrics);
  const all = [plugin, ...plugins];
  const config = clientConfig(
    source,
    source.region,
    requestHandler(options.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS, options.log),
    all,
  );
  const ecs = new ECSClient(config);
  for (const each of all) ecs.middlewareStack.use(each);
  const created: { destroy(): void }[] = [ecs];
  let destroyed = false;
  const lazy = <T extends ECSClient | EC2Client | SSMClient>(load: () => Promise<T>) => {
    let client: Promise<T> | undefined;
    return () => {
      client ??= load().then((made) => {
        for (const each of all) made.middlewareStack.use(each);
        if (destroyed) made.destroy();
        else created.push(made);
        return made;
      });
      return client;
    };
  };
  return {
    ecs,
    ec2: lazy(async () => new (ec2Sdk().EC2Client)(config)),
    ssm: lazy(async () => new (ssmSdk().SSMClient)(config)),
    region: () => ecs.config.region(),
    destroy() {
      destroyed = true;
      for (const client of created) client.destroy();
    },
  };
}

/**
 * Options of the SDK's HTTP handler that make a timeout abort the attempt: `requestTimeout` alone
 * (until the response headers) only logs a warning unless `throwOnRequestTimeout` is set;
 * `socketTimeout` covers a body that stops arriving; `connectionTimeout` covers the connect. Each
 * throws a `TimeoutError`, which the SDK's retry strategy retries. The handler logs to `log` (or
 * nowhere), never to the console.
 */
export function requestHandler(requestTimeoutMs: number, log?: Logger): NodeHttpHandlerOptions {
  return {
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: requestTimeoutMs,
    connectionTimeout: Math.min(requestTimeoutMs, AWS_CONNECTION_TIMEOUT_MS),
    logger: sdkLogger(log),
  };
}

/** The SDK's logger interface onto pino (component `aws-sdk`), or a silent one. */
function sdkLogger(log: Logger | undefined): SdkLogger {
  const child = log?.child({ component: 'aws-sdk' });
  const to =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...content: unknown[]) =>
      child?.[level](content.map((part) => (typeof part === 'string' ? part : String(part))).join(' '));
  return { trace: to('debug'), debug: to('debug'), info: to('info'), warn: to('warn'), error: to('error') };
}

/**
 * The config every client of a source shares: Region, endpoint override, timeouts, and — with a
 * role_arn — credentials assumed through STS by a client that carries the same plugins.
 */
function clientConfig(
  source: SourceConfig,
  region: string | undefined,
  handler: NodeHttpHandlerOptions,
  plugins: Pluggable<object, MetadataBearer>[],
) {
  const base = {
    ...(region === undefined ? {} : { region }),
    ...(source.endpoint === undefined ? {} : { endpoint: source.endpoint }),
    requestHandler: handler,
  };
  if (source.roleArn === undefined) return base;
  const credentials = fromTemporaryCredentials({
    params: {
      RoleArn: source.roleArn,
      RoleSessionName: ROLE_SESSION_NAME,
      ...(source.externalId === undefined ? {} : { ExternalId: source.externalId }),
    },
    clientConfig: base,
    clientPlugins: plugins,
  });
  return { ...base, credentials };
}

/** A long poll waits 20 s at most (SQS). */
export const SQS_MAX_WAIT_MS = 20_000;

/**
 * Creates the SQS client of a source's events queue: the source's credentials (or role) and endpoint,
 * the queue's Region, request counting, and maxAttempts 1 (the consumer backs off itself). Not
 * under the rate budget: SQS calls do not draw on ECS/EC2 throttling buckets. Its request timeout
 * outlasts the long poll by the source's request timeout.
 */
export function createEventsClient(
  source: SourceConfig,
  metrics: Pick<Metrics, 'awsRequests' | 'awsThrottles'>,
  options: SourceClientsOptions = {},
): SQSClient {
  const plugin = countingPlugin(source.name, metrics);
  const region = source.events?.region ?? source.region;
  const waitMs = (source.events?.waitTimeSeconds ?? SQS_MAX_WAIT_MS / 1000) * 1000;
  const timeoutMs = waitMs + (options.requestTimeoutMs ?? AWS_REQUEST_TIMEOUT_MS);
  const sqs = new (sqsSdk().SQSClient)({
    ...clientConfig(source, region, requestHandler(timeoutMs, options.log), [plugin]),
    maxAttempts: 1,
  });
  sqs.middlewareStack.use(plugin);
  return sqs;
}
