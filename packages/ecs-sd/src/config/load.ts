/**
 * Pure config loading: YAML text plus the overrides the CLI collected from flags and environment
 * → one validated, frozen `Config`, or a `ConfigError` listing every problem at once as
 * `path: message` lines. Reads no files and no environment itself.
 */
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { fileSdPathProblem } from '../lib/intervals.ts';
import { type ConfigOverride, formatIssues, show } from './issues.ts';
import { poolProblems, replicaShare, replicasProblem } from './pool-problems.ts';
import { type ConfigFile, ConfigFileSchema } from './schema.ts';
import { budgetSettings } from './schema-aws.ts';
import { knownKeysAt } from './schema-walk.ts';
import {
  type Config,
  DEFAULT_FULL_SWEEP_INTERVAL_MS,
  type PoolConfig,
  type Rule,
  type SourceConfig,
} from './types.ts';

export { type ConfigOverride, formatIssues, formatPath } from './issues.ts';

/** What the CLI hands over: the file's text (if any) and the flag and environment overrides. */
export interface LoadConfigInput {
  fileText?: string;
  /** Named in problems about the YAML itself. */
  fileName?: string;
  /** Overrides of config-file keys (flags win over environment, both over the file). */
  overrides?: readonly ConfigOverride[];
  /** Fields of the single default source (`--aws.region` …), paths relative to the source. */
  sourceOverrides?: readonly ConfigOverride[];
  /** Region for sources without one, when the SDK would not find it (AWS_DEFAULT_REGION). */
  defaultRegion?: string;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function setIn(target: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let current: Record<string | number, unknown> = target;
  path.forEach((part, index) => {
    if (index === path.length - 1) {
      current[part] = value;
      return;
    }
    const next = current[part];
    if (typeof next !== 'object' || next === null) {
      current[part] = typeof path[index + 1] === 'number' ? [] : {};
    }
    current = current[part] as Record<string | number, unknown>;
  });
}

/** One line per YAML error position: the position once, then what is wrong there (the parser repeats it in its message). */
export function yamlProblems(
  errors: readonly { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }[],
  fileName: string,
): string[] {
  const lines = new Map<string, string>();
  for (const error of errors) {
    const line = error.linePos?.[0];
    const at = line === undefined ? '' : ` at line ${line.line} column ${line.col}`;
    const what = lowerFirst(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    if (!lines.has(at)) lines.set(at, `${fileName}: invalid YAML${at}: ${what}`);
  }
  return [...lines.values()];
}

function parseYaml(text: string, fileName: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) throw new ConfigError(yamlProblems(document.errors, fileName));
  return document.toJS() ?? {};
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Problems between keys, found on the document as given so they appear with every other problem
 * in one run: source names used twice, and an `output.file` whose extension does not fit its format.
 */
function crossFieldProblems(
  document: Record<string, unknown>,
  overrides: readonly ConfigOverride[],
): string[] {
  const problems: string[] = [];
  const sources = Array.isArray(document['sources']) ? document['sources'] : [];
  const seen = new Map<string, number>();
  sources.forEach((source: unknown, index: number) => {
    const fields = record(source);
    if (fields === undefined) return;
    const name = fields['name'] ?? fields['region'] ?? 'default';
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, index);
    else
      problems.push(
        `sources[${index}].name: source name ${show(name)} is also used by sources[${first}], expected unique names (set name:)`,
      );
  });
  const output = record(document['output']);
  const file = output?.['file'];
  const format = output?.['format'] ?? 'json';
  if (typeof file === 'string' && file !== '' && (format === 'json' || format === 'yaml')) {
    const problem = fileSdPathProblem(file, format);
    if (problem !== undefined) {
      const origin = overrides.find((override) => override.path.join('.') === 'output.file')?.origin;
      problems.push(`${origin === undefined ? 'output.file' : `${origin} (output.file)`}: ${problem}`);
    }
  }
  return problems;
}

function compileRule(rule: ConfigFile['discovery']['rules'][number], defaultPath: string): Rule {
  const out: Rule = {
    name: rule.name,
    ports: [...rule.ports],
    path: rule.path ?? defaultPath,
    scheme: rule.scheme,
    labels: { ...rule.labels },
  };
  if (rule.cluster !== undefined) out.cluster = rule.cluster;
  if (rule.service !== undefined) out.service = rule.service;
  if (rule.family !== undefined) out.family = rule.family;
  if (rule.task_definition_arn !== undefined) out.taskDefinitionArn = rule.task_definition_arn;
  if (rule.container !== undefined) out.container = rule.container;
  if (rule.docker_label !== undefined) {
    out.dockerLabel =
      rule.docker_label.value === undefined
        ? { name: rule.docker_label.name }
        : { name: rule.docker_label.name, value: rule.docker_label.value };
  }
  if (rule.job !== undefined) out.job = rule.job;
  if (rule.interval !== undefined) out.interval = rule.interval;
  return out;
}

function compileSource(
  source: ConfigFile['sources'][number],
  defaultRegion: string | undefined,
): SourceConfig {
  const region = source.region ?? defaultRegion;
  const out: SourceConfig = { name: source.name ?? source.region ?? 'default' };
  if (region !== undefined) out.region = region;
  if (source.role_arn !== undefined) out.roleArn = source.role_arn;
  if (source.external_id !== undefined) out.externalId = source.external_id;
  if (source.endpoint !== undefined) out.endpoint = source.endpoint;
  if (source.clusters !== undefined) out.clusters = [...source.clusters];
  if (source.cluster_include !== undefined) out.clusterInclude = source.cluster_include;
  if (source.cluster_exclude !== undefined) out.clusterExclude = source.cluster_exclude;
  if (source.events !== undefined) {
    const queue = source.events.queue_url;
    const queueRegion = queue.region ?? region;
    out.events = {
      queueUrl: queue.url,
      ...(queueRegion === undefined ? {} : { region: queueRegion }),
      reconcileIntervalMs:
        source.events.full_sweep_interval ??
        source.events.reconcile_interval ??
        DEFAULT_FULL_SWEEP_INTERVAL_MS,
      consistencyCheckIntervalMs: source.events.consistency_check_interval,
      pendingRecheckAfterMs: source.events.pending_recheck_after,
      waitTimeSeconds: source.events.wait_time / 1000,
      unhealthyAfter: source.events.unhealthy_after,
      publishDelayMs: source.events.publish_delay,
      describeNewTasks: source.events.describe_new_tasks,
    };
  }
  return out;
}

function compilePool(pool: ConfigFile['pools'][number], sources: readonly SourceConfig[]): PoolConfig {
  const { ecs } = pool.members;
  const targets: PoolConfig['targets'] = {
    ...(pool.targets?.job === undefined ? {} : { jobs: [...pool.targets.job] }),
    ...(pool.targets?.interval === undefined ? {} : { intervals: [...pool.targets.interval] }),
    ...(pool.targets?.cluster === undefined ? {} : { clusters: [...pool.targets.cluster] }),
  };
  return {
    name: pool.name,
    ...(ecs === undefined
      ? {}
      : {
          ecs: {
            source: ecs.source ?? sources[0]?.name ?? 'default',
            cluster: ecs.cluster,
            ...(ecs.family === undefined ? {} : { family: ecs.family }),
            ...(ecs.service === undefined ? {} : { service: ecs.service }),
          },
        }),
    staticMembers: [...new Set(pool.members.static ?? [])],
    replication: pool.replication,
    targets,
  };
}

/** Compiles a validated config file into the runtime `Config` (regexes are `Pattern`s already, compiled once by the schema). */
export function compileConfig(file: ConfigFile, defaultRegion?: string): Config {
  const sources = (file.sources.length > 0 ? file.sources : [{}]).map((source) =>
    compileSource(source, defaultRegion),
  );
  return {
    refreshIntervalMs: file.refresh_interval,
    ...(file.discovery.task_reread_interval === undefined
      ? {}
      : { taskRereadIntervalMs: file.discovery.task_reread_interval }),
    ...(file.discovery.cluster_reread_interval === undefined
      ? {}
      : { clusterRereadIntervalMs: file.discovery.cluster_reread_interval }),
    sources,
    discovery: {
      conventions: {
        prometheusEcsSd: file.discovery.conventions.prometheus_ecs_sd,
        prometheusEcsDiscovery: file.discovery.conventions.prometheus_ecs_discovery,
        ecsSdLabels: file.discovery.conventions.ecs_sd_labels,
        rules: file.discovery.conventions.rules,
      },
      rules: file.discovery.rules.map((rule) => compileRule(rule, file.discovery.default_path)),
      dockerLabelAllowlist: file.discovery.docker_label_allowlist,
      defaultInterval: file.discovery.default_interval,
      defaultPath: file.discovery.default_path,
      ...(file.output.meta_labels === 'all' ? {} : { metaLabels: file.output.meta_labels }),
    },
    labels: { serviceDetails: file.labels.service_details },
    output: {
      ...(file.output.directory === undefined ? {} : { directory: file.output.directory }),
      ...(file.output.file === undefined ? {} : { file: file.output.file }),
      format: file.output.format,
    },
    web: { listenAddress: file.web.listen_address },
    log: { level: file.log.level, format: file.log.format },
    rateBudget: replicaShare(budgetSettings(file.rate_budget), file.ha.replicas),
    timeouts: {
      awsRequestMs: file.timeouts.aws_request,
      clusterRefreshMs: file.timeouts.cluster_refresh,
    },
    pools: file.pools.map((pool) => compilePool(pool, sources)),
    ha: { replicas: file.ha.replicas },
  };
}

/** Freezes an object graph in place (a `Pattern` freezes itself; its engine state stays private and mutable). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) {
    return value;
  }
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

/** Validates YAML text plus overrides into a frozen `Config`; throws `ConfigError` with every problem. */
export function loadConfig(input: LoadConfigInput = {}): Config {
  const fileName = input.fileName ?? 'config';
  const raw = input.fileText === undefined ? {} : parseYaml(input.fileText, fileName);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([`(root): got ${show(raw)}, expected a mapping of config keys`]);
  }
  const document = structuredClone(raw) as Record<string, unknown>;
  const overrides = [...(input.overrides ?? [])];
  const problems: string[] = [];
  for (const override of overrides) setIn(document, override.path, override.value);

  const sourceOverrides = input.sourceOverrides ?? [];
  if (sourceOverrides.length > 0) {
    const sources = document['sources'];
    if (Array.isArray(sources) && sources.length > 0) {
      for (const override of sourceOverrides) {
        problems.push(
          `${override.origin}: applies only when the config file has no sources, expected it in sources[] instead`,
        );
      }
    } else {
      document['sources'] = [{}];
      for (const override of sourceOverrides) {
        const path = ['sources', 0, ...override.path];
        setIn(document, path, override.value);
        overrides.push({ ...override, path });
      }
    }
  }

  const result = ConfigFileSchema.safeParse(document, { reportInput: true });
  if (!result.success)
    problems.push(
      ...formatIssues(result.error.issues, {
        overrides,
        knownKeys: (path) => knownKeysAt(ConfigFileSchema, path),
      }),
    );
  problems.push(...crossFieldProblems(document, overrides), ...poolProblems(document));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const config = compileConfig(result.data, input.defaultRegion);
  const replicas = replicasProblem(config);
  if (replicas !== undefined) throw new ConfigError([replicas]);
  return deepFreeze(config);
}
