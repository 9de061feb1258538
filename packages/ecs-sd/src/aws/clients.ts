/**
 * The SDK v3 clients of one source: ECS, EC2 and SSM with the default credential chain (or an
 * assumed role via STS with ExternalId), the source's Region and endpoint, and request counting.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { MetadataBearer, Pluggable } from '@smithy/types';
import type { SourceConfig } from '../config/types.ts';
import type { Metrics } from '../metrics.ts';
import { countingPlugin } from './middleware.ts';

/** The clients a source reads with. */
export interface SourceClients {
  ecs: ECSClient;
  ec2: EC2Client;
  ssm: SSMClient;
  /** The Region the clients resolved (configured, or from the SDK chain). */
  region(): Promise<string>;
  /** Closes the clients' sockets. */
  destroy(): void;
}

/** Session name of AssumeRole calls, visible in the target account's CloudTrail. */
export const ROLE_SESSION_NAME = 'ecs-sd';

/** Creates the clients of a source; the STS client behind role_arn is counted too. */
export function createSourceClients(
  source: SourceConfig,
  metrics: Pick<Metrics, 'awsRequests' | 'awsThrottles'>,
  /** More plugins for every client of the source (e.g. a rate budget); counting is always first. */
  plugins: readonly Pluggable<object, MetadataBearer>[] = [],
): SourceClients {
  const plugin = countingPlugin(source.name, metrics);
  const all = [plugin, ...plugins];
  const base = {
    ...(source.region === undefined ? {} : { region: source.region }),
    ...(source.endpoint === undefined ? {} : { endpoint: source.endpoint }),
  };
  const credentials =
    source.roleArn === undefined
      ? undefined
      : fromTemporaryCredentials({
          params: {
            RoleArn: source.roleArn,
            RoleSessionName: ROLE_SESSION_NAME,
            ...(source.externalId === undefined ? {} : { ExternalId: source.externalId }),
          },
          clientConfig: base,
          clientPlugins: all,
        });
  const config = { ...base, ...(credentials === undefined ? {} : { credentials }) };
  const ecs = new ECSClient(config);
  const ec2 = new EC2Client(config);
  const ssm = new SSMClient(config);
  for (const client of [ecs, ec2, ssm]) for (const each of all) client.middlewareStack.use(each);
  return {
    ecs,
    ec2,
    ssm,
    region: () => ecs.config.region(),
    destroy() {
      ecs.destroy();
      ec2.destroy();
      ssm.destroy();
    },
  };
}
