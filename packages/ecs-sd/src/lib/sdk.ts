/**
 * The AWS SDK modules only some sources or modes need, loaded on first use: client-ec2 for hosts'
 * addresses (about 50 MiB of resident memory), client-ssm for ECS Anywhere hosts, client-sqs for
 * event mode. `require` rather than `import()`: the SDK's packages are CommonJS, and an import has
 * Node scan the module for its named exports too (7 MiB and 50 ms more for client-ec2's 2 MB).
 */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);

/** `@aws-sdk/client-ec2`, loaded on first call. */
export function ec2Sdk(): typeof import('@aws-sdk/client-ec2') {
  return requireCjs('@aws-sdk/client-ec2');
}

/** `@aws-sdk/client-ssm`, loaded on first call. */
export function ssmSdk(): typeof import('@aws-sdk/client-ssm') {
  return requireCjs('@aws-sdk/client-ssm');
}

/** `@aws-sdk/client-sqs`, loaded on first call (event mode only). */
export function sqsSdk(): typeof import('@aws-sdk/client-sqs') {
  return requireCjs('@aws-sdk/client-sqs');
}
