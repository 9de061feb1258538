/**
 * The parts of the config schema about reading AWS: sources (accounts, Regions, clusters, event
 * mode), the client-side rate budget and the timeouts of AWS reads.
 */
import { z } from 'zod';
import {
  AWS_BUCKETS,
  type BudgetSettings,
  DEFAULT_BUDGET_SCALE,
  MIN_BURST,
  MIN_REFILL_PER_SECOND,
  RATE_CATEGORIES,
  type RateCategory,
  resolveBudget,
  SQS_MAX_WAIT_SECONDS,
} from '../lib/aws-limits.ts';
import { formatDuration } from '../lib/duration.ts';
import { parseQueueUrl, type QueueUrlParts } from '../lib/queue-url.ts';
import {
  AWS_REQUEST_TIMEOUT_MS,
  AWS_REQUEST_TIMEOUT_RANGE_MS,
  CLUSTER_REFRESH_TIMEOUT_MS,
  CLUSTER_REFRESH_TIMEOUT_RANGE_MS,
} from '../lib/timeouts.ts';
import {
  durationWithin,
  MAX_REFRESH_INTERVAL_MS,
  MIN_REFRESH_INTERVAL_MS,
  regex,
  show,
} from './schema-values.ts';

/** Event mode of a source: an SQS queue fed by an EventBridge rule for `source: aws.ecs` (docs/events.md). */
export const EventsSchema = z.strictObject({
  queue_url: z
    .string()
    .transform((value, ctx): QueueUrlParts => {
      const parsed = parseQueueUrl(value);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    })
    .describe(
      'SQS queue URL an EventBridge rule for ECS Task/Container Instance State Change feeds; its Region is used for the SQS client',
    ),
  // Event mode's count check and its rare full sweep (issue 15, docs/events.md).
  consistency_check_interval: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
    .prefault('1m')
    .describe(
      "time between checks of the clusters' DescribeClusters task counts against what events hold (Prometheus duration), 1s to 24h",
    ),
  pending_recheck_after: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
    .prefault('90s')
    .describe(
      'a task events hold short of RUNNING for this long is described again at the next count check, in case its RUNNING or STOPPED event was lost (Prometheus duration), 1s to 24h',
    ),
  full_sweep_interval: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
    .optional()
    .describe(
      'time between full sweeps of each cluster while the queue is readable, spread over the interval (Prometheus duration), 1s to 24h; default 6h',
    ),
  reconcile_interval: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
    .optional()
    .describe('older name of full_sweep_interval (Prometheus duration), 1s to 24h'),
  // ReceiveMessage accepts WaitTimeSeconds 0 to 20; 0 would be short polling.
  wait_time: durationWithin({ min: 1000, max: SQS_MAX_WAIT_SECONDS * 1000, wholeSeconds: true })
    .prefault(`${SQS_MAX_WAIT_SECONDS}s`)
    .describe('ReceiveMessage long poll (WaitTimeSeconds), 1s to 20s in whole seconds'),
  unhealthy_after: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(3)
    .describe('consecutive failed receives before the source falls back to polling at refresh_interval'),
  publish_delay: durationWithin({ max: 1000 })
    .prefault('100ms')
    .describe('quiet time that ends a burst of events before the outputs are written, at most 1s'),
  describe_new_tasks: z
    .boolean()
    .default(false)
    .describe(
      'DescribeTasks (with tags) for tasks first announced by an event, so task tags are on their targets at once; events carry no tags',
    ),
});

/** One AWS account and Region to read, and which of its clusters. */
export const SourceSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_.:-]+$/, { error: 'expected letters, digits and _ . : -' })
      .optional()
      .describe('name of the source in metrics, logs and snapshots; default: the region, else "default"'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'expected an AWS Region such as us-east-1' })
      .optional()
      .describe('AWS Region; default: the SDK chain (AWS_REGION, AWS_DEFAULT_REGION, profile)'),
    role_arn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, {
        error: 'expected an IAM role ARN arn:aws:iam::ACCOUNT:role/NAME',
      })
      .optional()
      .describe('IAM role to assume (sts:AssumeRole) for cross-account reads; default: none'),
    external_id: z
      .string()
      .min(2)
      .max(1224)
      .optional()
      .describe('ExternalId passed to AssumeRole; only with role_arn'),
    endpoint: z
      .url()
      .optional()
      .describe('endpoint URL for ECS, EC2, SSM and STS (e.g. an ecs-sim); default: the AWS endpoints'),
    clusters: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('cluster names or ARNs; default: every cluster ListClusters returns'),
    cluster_include: regex
      .optional()
      .describe('only clusters whose name matches this anchored regex; default: all'),
    cluster_exclude: regex
      .optional()
      .describe('skip clusters whose name matches this anchored regex; default: none'),
    events: EventsSchema.optional().describe(
      'event mode: apply ECS events from an SQS queue within a second, poll only to reconcile; default: polling only',
    ),
  })
  .superRefine((source, ctx) => {
    if (source.external_id !== undefined && source.role_arn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['external_id'],
        message: 'external_id is set without role_arn, expected role_arn too',
      });
    }
  });

/** One category of the rate budget: absolute burst and refill, winning over `scale`. */
const BucketSchema = z.strictObject({
  burst: z
    .number()
    .min(MIN_BURST)
    .optional()
    .describe('tokens available at once; default: scale × AWS burst'),
  refill_per_second: z
    .number()
    .min(MIN_REFILL_PER_SECOND, {
      error: `expected at least ${MIN_REFILL_PER_SECOND} (a token every ${1 / MIN_REFILL_PER_SECOND} s at most)`,
    })
    .optional()
    .describe('tokens added per second; default: scale × AWS refill'),
});

const categoryShape = Object.fromEntries(
  RATE_CATEGORIES.map((category) => [
    category,
    BucketSchema.optional().describe(
      `${category} calls (AWS: burst ${AWS_BUCKETS[category].burst}, ${AWS_BUCKETS[category].refillPerSecond}/s)`,
    ),
  ]),
) as Record<RateCategory, z.ZodOptional<typeof BucketSchema>>;

/** The client-side rate budget: a share of AWS's token buckets per throttling category. */
export const RateBudgetSchema = z
  .strictObject({
    scale: z
      .number()
      .positive()
      .default(DEFAULT_BUDGET_SCALE)
      .describe("share of AWS's token bucket (burst and refill) per account and Region ecs-sd allows itself"),
    ...categoryShape,
  })
  .superRefine((budget, ctx) => {
    // The per-category keys are checked above; what remains is what `scale` makes of AWS's buckets.
    const resolved = resolveBudget(budgetSettings(budget));
    const scaled = resolved.ok ? undefined : resolved.problems.find((problem) => problem.scaledCategory);
    const category = scaled?.scaledCategory;
    if (scaled === undefined || category === undefined) return;
    ctx.addIssue({
      code: 'custom',
      path: ['scale'],
      message: scaled.key.endsWith('.burst')
        ? `${show(budget.scale)} leaves ${category} a burst of ${scaled.value}, expected a scale giving at least ${MIN_BURST} token (or rate_budget.${category}.burst)`
        : `${show(budget.scale)} leaves ${category} a refill of ${scaled.value} per second, expected a scale giving at least ${MIN_REFILL_PER_SECOND} (or rate_budget.${category}.refill_per_second)`,
    });
  });

/** Timeouts of AWS reads: each attempt of a call, and each cluster's whole read in a refresh. */
export const TimeoutsSchema = z.strictObject({
  aws_request: durationWithin(AWS_REQUEST_TIMEOUT_RANGE_MS)
    .prefault(formatDuration(AWS_REQUEST_TIMEOUT_MS))
    .describe(
      'an attempt of an AWS call that has not answered after this long is aborted and retried (3 attempts)',
    ),
  cluster_refresh: durationWithin(CLUSTER_REFRESH_TIMEOUT_RANGE_MS)
    .prefault(formatDuration(CLUSTER_REFRESH_TIMEOUT_MS))
    .describe(
      "deadline of one cluster's read in a refresh (every call, retry and rate-budget wait); then the cluster keeps its last targets, marked stale",
    ),
});

/** The `rate_budget` section as validated. */
type RateBudgetFile = { scale: number } & Partial<Record<RateCategory, z.output<typeof BucketSchema>>>;

/** The `rate_budget` section as the settings of `resolveBudget`: `scale`, and the categories that set burst or refill. */
export function budgetSettings(budget: RateBudgetFile): Required<BudgetSettings> {
  const overrides: Required<BudgetSettings>['overrides'] = {};
  for (const category of RATE_CATEGORIES) {
    const bucket = budget[category];
    if (bucket === undefined) continue;
    overrides[category] = {
      ...(bucket.burst === undefined ? {} : { burst: bucket.burst }),
      ...(bucket.refill_per_second === undefined ? {} : { refillPerSecond: bucket.refill_per_second }),
    };
  }
  return { scale: budget.scale, overrides };
}
