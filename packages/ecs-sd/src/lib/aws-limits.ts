/**
 * What AWS allows ecs-sd, as named facts: page and batch sizes of the APIs it calls, and the
 * throttling categories with AWS's token buckets (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html,
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), plus the one
 * rule that turns a rate-budget setting (a share of those buckets, per-category overrides) into
 * buckets. The config validates with it and the AWS layer builds its budgets with it. Pure.
 */

/** ListClusters returns at most 100 cluster ARNs per page. */
export const LIST_CLUSTERS_PAGE_SIZE = 100;
/** DescribeClusters accepts at most 100 clusters. */
export const DESCRIBE_CLUSTERS_MAX = 100;
/** ListTasks returns at most 100 task ARNs per page. */
export const LIST_TASKS_PAGE_SIZE = 100;
/** DescribeTasks accepts at most 100 tasks. */
export const DESCRIBE_TASKS_MAX = 100;
/** DescribeContainerInstances accepts at most 100 container instances. */
export const DESCRIBE_CONTAINER_INSTANCES_MAX = 100;
/** ListServices returns at most 100 service ARNs per page (maxResults; 10 by default). */
export const LIST_SERVICES_PAGE_SIZE = 100;
/** DescribeServices accepts at most 10 services. */
export const DESCRIBE_SERVICES_MAX = 10;
/** EC2 DescribeInstances has no documented InstanceId.N limit; 100 matches the container instance batches. */
export const DESCRIBE_INSTANCES_IDS_MAX = 100;
/** SSM DescribeInstanceInformation returns at most 50 instances per page (MaxResults 5–50). */
export const DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE = 50;
/** SQS ReceiveMessage returns at most 10 messages. */
export const SQS_MAX_MESSAGES = 10;
/** SQS ReceiveMessage long polls wait at most 20 seconds (WaitTimeSeconds 0 to 20). */
export const SQS_MAX_WAIT_SECONDS = 20;
/** SQS DeleteMessageBatch accepts at most 10 entries. */
export const DELETE_BATCH_MAX = 10;

/** The AWS throttling categories ecs-sd calls (AWS's "Request throttling" pages), plus SSM and STS; the README's rate budget table lists them. */
export const RATE_CATEGORIES = [
  'ecs_cluster_read',
  'ecs_task_definition_read',
  'ecs_cluster_resource_read',
  'ecs_service_read',
  'ecs_tag_read',
  'ec2_non_mutating',
  'ec2_unfiltered_unpaginated',
  'ssm_read',
  'sts',
] as const;

/** One throttling category (snake_case, as in the `rate_budget` config and the `category` label). */
export type RateCategory = (typeof RATE_CATEGORIES)[number];

/** Burst capacity and refill rate of one token bucket. */
export interface BucketSpec {
  burst: number;
  refillPerSecond: number;
}

/**
 * AWS's own buckets per account and Region. ECS and EC2 are the published figures ("Request
 * throttling for the Amazon ECS API" / "... EC2 API"); SSM and STS publish no per-call bucket for
 * these reads, so these are conservative assumptions well below what either service accepts.
 */
export const AWS_BUCKETS: Readonly<Record<RateCategory, Readonly<BucketSpec>>> = {
  ecs_cluster_read: { burst: 50, refillPerSecond: 20 },
  ecs_task_definition_read: { burst: 50, refillPerSecond: 20 },
  ecs_cluster_resource_read: { burst: 100, refillPerSecond: 20 },
  ecs_service_read: { burst: 100, refillPerSecond: 20 },
  ecs_tag_read: { burst: 50, refillPerSecond: 20 },
  ec2_non_mutating: { burst: 100, refillPerSecond: 20 },
  ec2_unfiltered_unpaginated: { burst: 50, refillPerSecond: 10 },
  ssm_read: { burst: 20, refillPerSecond: 5 },
  sts: { burst: 20, refillPerSecond: 5 },
};

/** Operation → category, for every call ecs-sd makes (AWS's throttling pages; EC2 Describe* default to non-mutating). */
export const OPERATION_CATEGORIES: Readonly<Record<string, RateCategory>> = {
  DescribeClusters: 'ecs_cluster_read',
  ListClusters: 'ecs_cluster_read',
  DescribeTaskDefinition: 'ecs_task_definition_read',
  ListTaskDefinitions: 'ecs_task_definition_read',
  ListTaskDefinitionFamilies: 'ecs_task_definition_read',
  DescribeTasks: 'ecs_cluster_resource_read',
  ListTasks: 'ecs_cluster_resource_read',
  DescribeContainerInstances: 'ecs_cluster_resource_read',
  ListContainerInstances: 'ecs_cluster_resource_read',
  DescribeServices: 'ecs_service_read',
  ListServices: 'ecs_service_read',
  ListTagsForResource: 'ecs_tag_read',
  DescribeInstances: 'ec2_non_mutating',
  DescribeNetworkInterfaces: 'ec2_non_mutating',
  DescribeInstanceInformation: 'ssm_read',
  AssumeRole: 'sts',
  GetCallerIdentity: 'sts',
};

const UNFILTERED_CAPABLE = new Set(['DescribeInstances', 'DescribeNetworkInterfaces']);

/**
 * The category of a call, or undefined for calls outside any budget (SQS). DescribeInstances and
 * DescribeNetworkInterfaces without ids, filters or pagination fall in EC2's stricter bucket.
 */
export function categoryOf(operation: string, input?: unknown): RateCategory | undefined {
  const category = OPERATION_CATEGORIES[operation];
  if (category === 'ec2_non_mutating' && UNFILTERED_CAPABLE.has(operation)) {
    const params = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    const narrowed = ['InstanceIds', 'NetworkInterfaceIds', 'Filters', 'MaxResults', 'NextToken'].some(
      (key) => {
        const value = params[key];
        return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== '';
      },
    );
    return narrowed ? 'ec2_non_mutating' : 'ec2_unfiltered_unpaginated';
  }
  return category;
}

/** Default share of AWS's bucket (burst and refill) ecs-sd allows itself: half, leaving the rest to other callers. */
export const DEFAULT_BUDGET_SCALE = 0.5;
/** Smallest burst of a bucket: a call needs one whole token. */
export const MIN_BURST = 1;
/** Slowest refill: a waiter's timer (one token's time, 16 times longer after throttles) stays far below Node's timer limit. */
export const MIN_REFILL_PER_SECOND = 0.001;

/** A rate budget as configured: a share of AWS's buckets, and absolute per-category overrides that win over it. */
export interface BudgetSettings {
  /** Share of AWS's burst and refill. @default DEFAULT_BUDGET_SCALE */
  scale?: number;
  /** Absolute burst and/or refill per category. */
  overrides?: Partial<Record<RateCategory, Partial<BucketSpec>>>;
}

/** A bucket setting out of bounds: `key` as in the `rate_budget` config (`scale`, `sts.burst`). */
export interface BudgetProblem {
  key: string;
  value: number;
  expected: string;
  /** Set when `scale` made the value too small (the category overrides neither burst nor refill that failed). */
  scaledCategory?: RateCategory;
}

/** The buckets of a budget: AWS's scaled by `scale`, then the overrides; or every setting out of bounds. */
export function resolveBudget(
  settings: BudgetSettings = {},
): { ok: true; buckets: Record<RateCategory, BucketSpec> } | { ok: false; problems: BudgetProblem[] } {
  const scale = settings.scale ?? DEFAULT_BUDGET_SCALE;
  if (!(scale > 0))
    return { ok: false, problems: [{ key: 'scale', value: scale, expected: 'expected a number > 0' }] };
  const problems: BudgetProblem[] = [];
  const buckets = {} as Record<RateCategory, BucketSpec>;
  for (const category of RATE_CATEGORIES) {
    const aws = AWS_BUCKETS[category];
    const override = settings.overrides?.[category];
    const spec = {
      burst: override?.burst ?? aws.burst * scale,
      refillPerSecond: override?.refillPerSecond ?? aws.refillPerSecond * scale,
    };
    if (!(spec.burst >= MIN_BURST)) {
      problems.push({
        key: `${category}.burst`,
        value: spec.burst,
        expected: `expected a number >= ${MIN_BURST}`,
        ...(override?.burst === undefined ? { scaledCategory: category } : {}),
      });
    }
    if (!(spec.refillPerSecond >= MIN_REFILL_PER_SECOND)) {
      problems.push({
        key: `${category}.refill_per_second`,
        value: spec.refillPerSecond,
        expected: `expected a number >= ${MIN_REFILL_PER_SECOND}`,
        ...(override?.refillPerSecond === undefined ? { scaledCategory: category } : {}),
      });
    }
    buckets[category] = spec;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, buckets };
}

/** `resolveBudget` for callers that built the settings themselves: throws a RangeError naming the first problem. */
export function budgetSpecs(settings: BudgetSettings = {}): Record<RateCategory, BucketSpec> {
  const resolved = resolveBudget(settings);
  if (resolved.ok) return resolved.buckets;
  const [problem] = resolved.problems;
  throw new RangeError(`rate budget ${problem!.key}: got ${problem!.value}, ${problem!.expected}`);
}
