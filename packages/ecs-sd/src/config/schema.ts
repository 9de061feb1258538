/**
 * The one schema of the ecs-sd config file (snake_case keys, like Prometheus's), with a
 * description and default per key (flag help reads them from here). Unknown keys are errors.
 * Each value is parsed once, here: durations into milliseconds, the queue URL into its parts,
 * regexes into patterns; `load.ts` only renames the parsed file into the runtime `Config`.
 */
import { z } from 'zod';
import { parseListenAddress } from '../lib/listen-address.ts';
import { RateBudgetSchema, SourceSchema, TimeoutsSchema } from './schema-aws.ts';
import {
  durationWithin,
  interval,
  MAX_REFRESH_INTERVAL_MS,
  MIN_REFRESH_INTERVAL_MS,
  port,
  regex,
  show,
} from './schema-values.ts';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

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
  task_reread_interval: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
    .optional()
    .describe(
      'describe a running task again once its description is this old, for healthStatus and tags, 1s to 24h; default: off (a task is described until its decision is final, then not again while it runs)',
    ),
  cluster_reread_interval: durationWithin({ min: MIN_REFRESH_INTERVAL_MS, max: MAX_REFRESH_INTERVAL_MS })
    .optional()
    .describe(
      'describe a selected cluster again once its description is this old, for its tags, 1s to 24h; default: off (a cluster is described when first selected)',
    ),
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
  meta_labels: z
    .enum(['all', 'minimal', 'none'])
    .default('all')
    .describe(
      '__meta_ecs_* labels of every target (file_sd and http_sd): all; minimal (account, region, zone, cluster, service, task and container identity, launch type, convention, allowlisted docker labels); none',
    ),
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

/** The whole config file. */
export const ConfigFileSchema = z.strictObject({
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
});
// Source names used twice and output.file's extension are checked by load.ts on the document as
// given, so they are reported with every other problem in one run.

/** The config file as validated, before compilation into `Config`. */
export type ConfigFile = z.output<typeof ConfigFileSchema>;
