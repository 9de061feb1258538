/**
 * Settings a valid config may hold that an operator should hear about at start and on reload:
 * ecs-sd accepts them, and the log says what they cost.
 */
import { AWS_BUCKETS, RATE_CATEGORIES } from '../lib/aws-limits.ts';
import type { Config } from './types.ts';

/** One warning line per setting that exceeds what AWS itself allows the account. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const { scale, overrides } = config.rateBudget;
  if (scale > 1)
    warnings.push(
      `rate_budget.scale: ${scale} exceeds AWS's own rate (1 is all of the account's token buckets), so ecs-sd alone can be throttled by AWS and leave nothing to the other callers of the account and Region (deploys, the console)`,
    );
  for (const category of RATE_CATEGORIES) {
    const aws = AWS_BUCKETS[category];
    const override = overrides[category];
    if (override?.burst !== undefined && override.burst > aws.burst)
      warnings.push(
        `rate_budget.${category}.burst: ${override.burst} exceeds AWS's own burst of ${aws.burst}, so AWS throttles what ecs-sd lets through`,
      );
    if (override?.refillPerSecond !== undefined && override.refillPerSecond > aws.refillPerSecond)
      warnings.push(
        `rate_budget.${category}.refill_per_second: ${override.refillPerSecond} exceeds AWS's own ${aws.refillPerSecond} per second, so AWS throttles what ecs-sd lets through`,
      );
  }
  return warnings;
}
