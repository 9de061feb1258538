/**
 * The AWS SDK modules only some sources or modes need, loaded on first use: client-ec2 for hosts'
 * addresses, client-ssm for ECS Anywhere hosts, client-sqs for event mode. `require` rather than
 * `import()`: the SDK's packages are CommonJS, and an import has Node scan the module for its named
 * exports too (7 MiB and 50 ms more for client-ec2's 2 MB).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const requireCjs = createRequire(import.meta.url);

/** What ecs-sd uses of client-ec2: all that scripts/bundle-ec2.ts puts in dist/vendor/client-ec2.cjs. */
export const EC2_EXPORTS = ['EC2Client', 'DescribeInstancesCommand'] as const;

export type Ec2Sdk = Pick<typeof import('@aws-sdk/client-ec2'), (typeof EC2_EXPORTS)[number]>;

let ec2: Ec2Sdk | undefined;

/**
 * `@aws-sdk/client-ec2`, loaded on first call. The compiled build (dist/, the container image)
 * loads dist/vendor/client-ec2.cjs, written by `npm run build`: the client and DescribeInstances
 * alone, which keep about 6 MiB resident where the package's entry with all of EC2's commands
 * keeps about 25. The sources (tests, `node src/cli.ts`) have no vendor/ beside them and load the
 * package.
 */
export function ec2Sdk(): Ec2Sdk {
  if (ec2 === undefined) {
    const bundle = fileURLToPath(new URL('../vendor/client-ec2.cjs', import.meta.url));
    ec2 = requireCjs(existsSync(bundle) ? bundle : '@aws-sdk/client-ec2') as Ec2Sdk;
  }
  return ec2;
}

/** `@aws-sdk/client-ssm`, loaded on first call. */
export function ssmSdk(): typeof import('@aws-sdk/client-ssm') {
  return requireCjs('@aws-sdk/client-ssm');
}

/** `@aws-sdk/client-sqs`, loaded on first call (event mode only). */
export function sqsSdk(): typeof import('@aws-sdk/client-sqs') {
  return requireCjs('@aws-sdk/client-sqs');
}
