/**
 * The one schema of the ecs-sd config file (snake_case keys, like Prometheus's), with a
 * description and default per key (flag help reads them from here). Unknown keys are errors.
 * Each value is parsed once, here: durations into milliseconds, the queue URL into its parts,
 * regexes into patterns; `load.ts` only renames the parsed file into the runtime `Config`.
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
import { boundedDuration, type DurationBounds, formatDuration } from '../lib/duration.ts';
import { INTERVALS } from '../lib/intervals.ts';
import { parseListenAddress } from '../lib/listen-address.ts';
import { compilePattern, type Pattern } from '../lib/pattern.ts';
import { parseQueueUrl, type QueueUrlParts } from '../lib/queue-url.ts';
import {
  AWS_REQUEST_TIMEOUT_MS,
  AWS_REQUEST_TIMEOUT_RANGE_MS,
  CLUSTER_REFRESH_TIMEOUT_MS,
  CLUSTER_REFRESH_TIMEOUT_RANGE_MS,
} from '../lib/timeouts.ts';

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Smallest refresh interval accepted: ECS read APIs refill 20 tokens per second per account and Region. */
export const MIN_REFRESH_INTERVAL_MS = 1000;
/** Longest refresh_interval and reconcile_interval: targets a day old are as good as none. */
export const MAX_REFRESH_INTERVAL_MS = 86_400_000;
/** Longest value of a duration key that sets no bounds of its own (far below Node's 24.8-day timer limit). */
export const MAX_DURATION_MS = 86_400_000;

/** A user regex, compiled once into an anchored RE2 `Pattern` (Prometheus semantics); unsupported syntax is a problem. */
const regex = z.string().transform((value, ctx): Pattern => {
  const compiled = compilePattern(value);
  if (compiled.ok) return compiled.value;
  ctx.addIssue({ code: 'custom', message: compiled.message });
  return z.NEVER;
});

/**
 * A duration key (Prometheus notation or seconds) within its bounds, parsed into milliseconds;
 * every duration key has a maximum. Give its default with `.prefault('60s')`: written as users
 * write it (help shows it), parsed like a value from the file.
 */
export function durationWithin(bounds: DurationBounds) {
  return z.custom<string | number>().transform((value, ctx): number => {
    const parsed = boundedDuration(value, bounds);
    if (parsed.ok) return parsed.ms;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });
}

/** A duration key without bounds of its own: at most `MAX_DURATION_MS` (prefer `durationWithin` with the key's own). */
export const duration = durationWithin({ max: MAX_DURATION_MS });

const interval = z.enum(INTERVALS);

const port = z.number().int().min(1).max(65535);

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
  reconcile_interval: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
    .prefault('10m')
    .describe(
      'time between full reconciles by polling while the queue is readable (Prometheus duration), 1s to 24h',
    ),
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

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

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

/** A matcher in the OpenTelemetry ecs_observer style: every regex given must match (anchored). */
export const RuleSchema = z
  .strictObject({
    name: z.string().min(1).describe('rule name, shown in the why-API'),
    cluster: regex.optional().describe('cluster name regex'),
    service: regex.optional().describe('service name regex (makes ecs-sd read services)'),
    family: regex.optional().describe('task definition family regex'),
    task_definition_arn: regex.optional().describe('task definition ARN regex'),
    container: regex.optional().describe('container name regex'),
    docker_label: z
      .strictObject({
        name: z.string().min(1).describe('docker label name'),
        value: regex.optional().describe('docker label value regex; default: any value'),
      })
      .optional()
      .describe('match containers that carry this docker label'),
    ports: z.array(port).min(1).describe('container ports to scrape'),
    path: z
      .string()
      .startsWith('/', { error: 'expected a path starting with /' })
      .optional()
      .describe('metrics path; default: discovery.default_path'),
    scheme: z.enum(['http', 'https']).default('http').describe('scrape scheme'),
    job: z.string().min(1).optional().describe('job label; default: the task definition family'),
    interval: interval.optional().describe('interval bucket; default: discovery.default_interval'),
    labels: z
      .record(
        z.string().regex(LABEL_NAME, { error: 'expected a label name [a-zA-Z_][a-zA-Z0-9_]*' }),
        z.string(),
      )
      .default({})
      .describe('extra labels on every target of the rule'),
  })
  .superRefine((rule, ctx) => {
    const matchers = [
      rule.cluster,
      rule.service,
      rule.family,
      rule.task_definition_arn,
      rule.container,
      rule.docker_label,
    ];
    if (matchers.every((matcher) => matcher === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `rule ${show(rule.name)} has no matcher, expected at least one of cluster, service, family, task_definition_arn, container, docker_label`,
      });
    }
  });

/** Which conventions opt containers in. */
export const ConventionsSchema = z.strictObject({
  prometheus_ecs_sd: z
    .boolean()
    .default(true)
    .describe('container env PROMETHEUS=true, PROMETHEUS_PORT, PROMETHEUS_ENDPOINT (prometheus-ecs-sd)'),
  prometheus_ecs_discovery: z
    .boolean()
    .default(true)
    .describe('docker labels PROMETHEUS_EXPORTER_* (prometheus-ecs-discovery)'),
  ecs_sd_labels: z.boolean().default(true).describe("ecs-sd's own docker labels"),
  rules: z.boolean().default(true).describe('the rules below'),
});

/** How containers become targets: the DiscoveryOptions of discovery/types.ts. */
export const DiscoverySchema = z.strictObject({
  conventions: ConventionsSchema.prefault({}).describe('opt-in conventions on/off'),
  rules: z.array(RuleSchema).default([]).describe('config-file rules'),
  docker_label_allowlist: regex
    .nullable()
    .default(null)
    .describe('docker labels whose names match become __meta_ecs_container_label_<name>; null: none'),
  default_interval: interval.default('1m').describe('interval bucket of targets that name none'),
  default_path: z
    .string()
    .startsWith('/', { error: 'expected a path starting with /' })
    .default('/metrics')
    .describe('metrics path of targets that name none'),
});

/** Extra labels that cost extra API calls. */
export const LabelsSchema = z.strictObject({
  service_details: z
    .boolean()
    .default(false)
    .describe('read services (ListServices, DescribeServices) for service labels and tags'),
});

/** file_sd outputs; http_sd is always served by the web server. */
export const OutputSchema = z.strictObject({
  directory: z
    .string()
    .min(1)
    .optional()
    .describe('directory for one file per interval (15s-tasks.json, 30s-, 1m-, 5m-), like prometheus-ecs-sd'),
  file: z.string().min(1).optional().describe('single file with every target'),
  format: z.enum(['json', 'yaml']).default('json').describe('file_sd format'),
});

/** The web server: http_sd, /metrics, health, the why-API. */
export const WebSchema = z.strictObject({
  listen_address: z
    .string()
    .superRefine((value, ctx) => {
      const parsed = parseListenAddress(value);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
    })
    .default(':9888')
    .describe('host:port to listen on; empty host: every interface'),
});

/** Logging. */
export const LogSchema = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('minimum log level'),
  format: z.enum(['logfmt', 'json']).default('logfmt').describe('log line format on stderr'),
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
export const RateBudgetSchema = z.strictObject({
  scale: z
    .number()
    .positive()
    .default(DEFAULT_BUDGET_SCALE)
    .describe("share of AWS's token bucket (burst and refill) per account and Region ecs-sd allows itself"),
  ...categoryShape,
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

/** The whole config file. */
export const ConfigFileSchema = z
  .strictObject({
    refresh_interval: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
      .prefault('60s')
      .describe('time between refreshes (Prometheus duration), 1s to 24h'),
    sources: z
      .array(SourceSchema)
      .default([])
      .describe('AWS accounts/Regions to read; default: one source from the SDK chain and the --aws.* flags'),
    discovery: DiscoverySchema.prefault({}).describe('how containers become targets'),
    labels: LabelsSchema.prefault({}).describe('optional labels that need extra API calls'),
    output: OutputSchema.prefault({}).describe('file_sd outputs'),
    web: WebSchema.prefault({}).describe('web server'),
    log: LogSchema.prefault({}).describe('logging'),
    rate_budget: RateBudgetSchema.prefault({}).describe(
      'client-side token buckets per AWS throttling category, shared by sources of one account and Region',
    ),
    timeouts: TimeoutsSchema.prefault({}).describe('timeouts of AWS reads'),
  })
  .superRefine((file, ctx) => {
    // The per-category keys are checked above; what remains is what `scale` makes of AWS's buckets.
    const budget = resolveBudget(budgetSettings(file.rate_budget));
    const scaled = budget.ok ? undefined : budget.problems.find((problem) => problem.scaledCategory);
    if (scaled?.scaledCategory !== undefined) {
      const category = scaled.scaledCategory;
      const burst = scaled.key.endsWith('.burst');
      ctx.addIssue({
        code: 'custom',
        path: ['rate_budget', 'scale'],
        message: burst
          ? `${show(file.rate_budget.scale)} leaves ${category} a burst of ${scaled.value}, expected a scale giving at least ${MIN_BURST} token (or rate_budget.${category}.burst)`
          : `${show(file.rate_budget.scale)} leaves ${category} a refill of ${scaled.value} per second, expected a scale giving at least ${MIN_REFILL_PER_SECOND} (or rate_budget.${category}.refill_per_second)`,
      });
    }
    const seen = new Map<string, number>();
    file.sources.forEach((source, index) => {
      const name = source.name ?? source.region ?? 'default';
      const first = seen.get(name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', index, 'name'],
          message: `source name ${show(name)} is also used by sources[${first}], expected unique names (set name:)`,
        });
      } else {
        seen.set(name, index);
      }
    });
  });

/** The config file as validated, before compilation into `Config`. */
export type ConfigFile = z.output<typeof ConfigFileSchema>;

/** The `rate_budget` section as the settings of `resolveBudget`: `scale`, and the categories that set burst or refill. */
export function budgetSettings(budget: z.output<typeof RateBudgetSchema>): Required<BudgetSettings> {
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
