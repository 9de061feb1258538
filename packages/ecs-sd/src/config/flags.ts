/**
 * Pure parsing of the command line and environment the CLI hands over: Prometheus-style flags
 * (`--config.file=FILE`, `--log.level debug`, `--no-once`), the Python prometheus-ecs-sd
 * drop-in flags, and an `ECS_SD_*` variable per common setting. Every problem at once.
 */
import { UsageError } from '../errors.ts';
import type { ConfigOverride } from './load.ts';
import { ConfigFileSchema } from './schema.ts';
import { defaultAt } from './schema-walk.ts';

/** Where a flag's value goes: a config-file key, a field of the default source, or the CLI itself. */
export type FlagTarget =
  | { kind: 'config'; path: readonly string[] }
  | { kind: 'source'; path: readonly string[] }
  | { kind: 'cli' };

/** One flag: its name (without `--`), its environment variable, its value shape and its help. */
export interface FlagSpec {
  name: string;
  env?: string;
  type: 'string' | 'boolean' | 'list';
  target: FlagTarget;
  help: string;
  placeholder?: string;
  /** Drop-in alias of another flag (the Python tool's names). */
  aliasOf?: string;
  /** A prometheus-ecs-sd flag: its help names what it stands for, without a default. */
  dropIn?: boolean;
}

/** Every flag ecs-sd accepts; the README's flag table mirrors this list. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'config.file',
    env: 'ECS_SD_CONFIG_FILE',
    type: 'string',
    target: { kind: 'cli' },
    placeholder: 'FILE',
    help: 'YAML config file',
  },
  {
    name: 'web.listen-address',
    env: 'ECS_SD_WEB_LISTEN_ADDRESS',
    type: 'string',
    target: { kind: 'config', path: ['web', 'listen_address'] },
    placeholder: 'HOST:PORT',
    help: 'address of http_sd, /metrics, /-/healthy, /-/ready and the why-API',
  },
  {
    name: 'web.config.file',
    env: 'ECS_SD_WEB_CONFIG_FILE',
    type: 'string',
    target: { kind: 'cli' },
    placeholder: 'FILE',
    help: 'exporter-toolkit web config: TLS and basic auth of the web server',
  },
  {
    name: 'log.level',
    env: 'ECS_SD_LOG_LEVEL',
    type: 'string',
    target: { kind: 'config', path: ['log', 'level'] },
    placeholder: 'LEVEL',
    help: 'debug, info, warn or error',
  },
  {
    name: 'log.format',
    env: 'ECS_SD_LOG_FORMAT',
    type: 'string',
    target: { kind: 'config', path: ['log', 'format'] },
    placeholder: 'FORMAT',
    help: 'logfmt or json',
  },
  {
    name: 'once',
    type: 'boolean',
    target: { kind: 'cli' },
    help: 'discover once, write the outputs, print a summary and exit (1 if discovery failed)',
  },
  {
    name: 'refresh-interval',
    env: 'ECS_SD_REFRESH_INTERVAL',
    type: 'string',
    target: { kind: 'config', path: ['refresh_interval'] },
    placeholder: 'DURATION',
    help: 'time between refreshes, e.g. 30s, 2m (1s to 24h)',
  },
  {
    name: 'output.directory',
    env: 'ECS_SD_OUTPUT_DIRECTORY',
    type: 'string',
    target: { kind: 'config', path: ['output', 'directory'] },
    placeholder: 'DIR',
    help: 'write 15s-tasks.json, 30s-tasks.json, 1m-tasks.json, 5m-tasks.json here',
  },
  {
    name: 'output.file',
    env: 'ECS_SD_OUTPUT_FILE',
    type: 'string',
    target: { kind: 'config', path: ['output', 'file'] },
    placeholder: 'FILE',
    help: 'write every target to this single file_sd file',
  },
  {
    name: 'output.format',
    env: 'ECS_SD_OUTPUT_FORMAT',
    type: 'string',
    target: { kind: 'config', path: ['output', 'format'] },
    placeholder: 'FORMAT',
    help: 'file_sd format: json or yaml',
  },
  {
    name: 'aws.region',
    env: 'ECS_SD_AWS_REGION',
    type: 'string',
    target: { kind: 'source', path: ['region'] },
    placeholder: 'REGION',
    help: 'Region of the default source (else AWS_REGION, AWS_DEFAULT_REGION, profile)',
  },
  {
    name: 'aws.clusters',
    env: 'ECS_SD_AWS_CLUSTERS',
    type: 'list',
    target: { kind: 'source', path: ['clusters'] },
    placeholder: 'NAMES',
    help: 'comma-separated cluster names or ARNs of the default source (default: all)',
  },
  {
    name: 'aws.role-arn',
    env: 'ECS_SD_AWS_ROLE_ARN',
    type: 'string',
    target: { kind: 'source', path: ['role_arn'] },
    placeholder: 'ARN',
    help: 'role the default source assumes',
  },
  {
    name: 'aws.external-id',
    env: 'ECS_SD_AWS_EXTERNAL_ID',
    type: 'string',
    target: { kind: 'source', path: ['external_id'] },
    placeholder: 'ID',
    help: 'ExternalId for --aws.role-arn',
  },
  {
    name: 'aws.endpoint',
    env: 'ECS_SD_AWS_ENDPOINT',
    type: 'string',
    target: { kind: 'source', path: ['endpoint'] },
    placeholder: 'URL',
    help: 'endpoint of the default source for ECS, EC2, SSM and STS (e.g. ecs-sim)',
  },
  {
    name: 'url',
    env: 'ECS_SD_URL',
    type: 'string',
    target: { kind: 'cli' },
    placeholder: 'URL',
    help: 'explain: ask the running daemon at this URL instead of discovering',
  },
  {
    name: 'directory',
    type: 'string',
    target: { kind: 'config', path: ['output', 'directory'] },
    aliasOf: 'output.directory',
    dropIn: true,
    placeholder: 'DIR',
    help: 'prometheus-ecs-sd drop-in for --output.directory',
  },
  {
    name: 'interval',
    type: 'string',
    target: { kind: 'config', path: ['refresh_interval'] },
    aliasOf: 'refresh-interval',
    dropIn: true,
    placeholder: 'SECONDS',
    help: 'prometheus-ecs-sd drop-in for --refresh-interval (seconds)',
  },
  {
    name: 'default-scrape-interval',
    type: 'string',
    target: { kind: 'config', path: ['discovery', 'default_interval'] },
    placeholder: 'INTERVAL',
    dropIn: true,
    help: 'prometheus-ecs-sd drop-in for discovery.default_interval',
  },
  { name: 'help', type: 'boolean', target: { kind: 'cli' }, help: 'show this help and exit' },
  { name: 'version', type: 'boolean', target: { kind: 'cli' }, help: 'show the version and exit' },
];

/** Commands besides the default (run the daemon). */
export const COMMANDS = ['check-config', 'explain'] as const;
/** `run` is the daemon (or `--once`). */
export type Command = 'run' | (typeof COMMANDS)[number];

/** The parsed command line: the command, its argument, CLI-only values and config overrides. */
export interface CommandLine {
  command: Command;
  /** check-config FILE or explain TASK. */
  argument?: string;
  configFile?: string;
  /** `--web.config.file`: TLS and basic auth (exporter-toolkit format). */
  webConfigFile?: string;
  once: boolean;
  help: boolean;
  version: boolean;
  url?: string;
  overrides: ConfigOverride[];
  sourceOverrides: ConfigOverride[];
  /** AWS_DEFAULT_REGION when AWS_REGION is unset: the SDK v3 reads only AWS_REGION. */
  defaultRegion?: string;
}

const BOOLEAN_VALUES: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false };

function flagValue(spec: FlagSpec, raw: string): unknown {
  if (spec.type === 'list') {
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  return raw;
}

/**
 * Parses argv (without node and script) and the environment. Precedence: flag, then its
 * environment variable, then the config file, then the schema default. Throws `UsageError`.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CommandLine {
  const problems: string[] = [];
  const given = new Map<string, { spec: FlagSpec; value: unknown; origin: string }>();
  const positionals: string[] = [];
  const byName = new Map(FLAGS.map((spec) => [spec.name, spec]));

  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--') {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (arg === '-h') {
      given.set('help', { spec: byName.get('help')!, value: true, origin: '-h' });
      continue;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') {
        problems.push(`${arg}: unknown flag, expected --flag or --flag=value (see --help)`);
      } else {
        positionals.push(arg);
      }
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = byName.get(name);
    if (spec === undefined && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      spec = byName.get(name.slice(3));
      name = name.slice(3);
      if (inline !== undefined) {
        problems.push(`--no-${name}: got value ${JSON.stringify(inline)}, expected no value`);
        continue;
      }
      inline = 'false';
    }
    if (spec === undefined) {
      problems.push(
        `--${name}: unknown flag, expected one of ${FLAGS.map((flag) => `--${flag.name}`).join(', ')}`,
      );
      continue;
    }
    let raw: string;
    if (spec.type === 'boolean') {
      raw = inline ?? 'true';
      if (BOOLEAN_VALUES[raw] === undefined) {
        problems.push(`--${name}: got ${JSON.stringify(raw)}, expected true or false`);
        continue;
      }
    } else if (inline !== undefined) {
      raw = inline;
    } else {
      const next = argv[index + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        problems.push(`--${name}: missing value, expected --${name}=${spec.placeholder ?? 'VALUE'}`);
        continue;
      }
      raw = next;
      index++;
    }
    const key = spec.aliasOf ?? spec.name;
    if (given.has(key) && spec.type !== 'boolean') {
      problems.push(`--${name}: given more than once (also as ${given.get(key)!.origin}), expected it once`);
      continue;
    }
    given.set(key, {
      spec,
      value: spec.type === 'boolean' ? BOOLEAN_VALUES[raw] : flagValue(spec, raw),
      origin: `--${name}`,
    });
  }

  for (const spec of FLAGS) {
    if (spec.env === undefined || given.has(spec.name)) continue;
    const raw = env[spec.env];
    if (raw === undefined || raw === '') continue;
    given.set(spec.name, { spec, value: flagValue(spec, raw), origin: spec.env });
  }

  let command: Command = 'run';
  let argument: string | undefined;
  const [first, ...rest] = positionals;
  if (first !== undefined) {
    if ((COMMANDS as readonly string[]).includes(first)) {
      command = first as Command;
      const [arg, ...extra] = rest;
      argument = arg;
      if (arg === undefined) {
        problems.push(
          `${first}: missing argument, expected ${first === 'explain' ? 'TASK (ARN or id)' : 'FILE'}`,
        );
      }
      for (const value of extra)
        problems.push(`${JSON.stringify(value)}: unexpected argument, expected none`);
    } else {
      problems.push(
        `${JSON.stringify(first)}: unknown command, expected one of ${COMMANDS.join(', ')} or only flags (see --help)`,
      );
    }
  }

  const cli = (name: string) => given.get(name)?.value;
  const help = cli('help') === true;
  const version = cli('version') === true;
  if (problems.length > 0 && !help && !version) throw new UsageError(problems);

  const overrides: ConfigOverride[] = [];
  const sourceOverrides: ConfigOverride[] = [];
  for (const { spec, value, origin } of given.values()) {
    if (spec.target.kind === 'config') overrides.push({ path: spec.target.path, value, origin });
    if (spec.target.kind === 'source') sourceOverrides.push({ path: spec.target.path, value, origin });
  }
  const line: CommandLine = {
    command,
    once: cli('once') === true,
    help,
    version,
    overrides,
    sourceOverrides,
  };
  if (argument !== undefined) line.argument = argument;
  const configFile = cli('config.file');
  if (typeof configFile === 'string') line.configFile = configFile;
  if (command === 'check-config' && argument !== undefined) line.configFile = argument;
  const webConfigFile = cli('web.config.file');
  if (typeof webConfigFile === 'string') line.webConfigFile = webConfigFile;
  const url = cli('url');
  if (typeof url === 'string') line.url = url;
  const defaultRegion = env['AWS_REGION'] === undefined ? env['AWS_DEFAULT_REGION'] : undefined;
  if (defaultRegion !== undefined && defaultRegion !== '') line.defaultRegion = defaultRegion;
  return line;
}

/** The default a flag's help shows: its config key's default in the schema; none for drop-ins and CLI-only flags. */
export function flagDefault(spec: FlagSpec): string | undefined {
  if (spec.target.kind !== 'config' || spec.dropIn === true) return undefined;
  const value = defaultAt(ConfigFileSchema, spec.target.path);
  return value === undefined ? undefined : String(value);
}

/** The `--help` text, generated from `FLAGS` and the schema's defaults. */
export function helpText(version: string): string {
  const lines = [
    `ecs-sd ${version}: Prometheus service discovery for Amazon ECS`,
    '',
    'usage:',
    '  ecs-sd [flags]                 run the daemon (or --once)',
    '  ecs-sd check-config FILE       validate a config file and exit (2 if invalid)',
    '  ecs-sd explain TASK [flags]    why a task (ARN or id) is or is not a target (1 if not found)',
    '',
    'flags:',
  ];
  for (const spec of FLAGS) {
    const left = `  --${spec.name}${spec.type === 'boolean' ? '' : `=${spec.placeholder ?? 'VALUE'}`}`;
    const fallback = flagDefault(spec);
    const extras = [
      spec.env === undefined ? '' : `env ${spec.env}`,
      fallback === undefined ? '' : `default ${fallback}`,
    ]
      .filter((item) => item !== '')
      .join(', ');
    lines.push(`${left.padEnd(38)} ${spec.help}${extras === '' ? '' : ` (${extras})`}`);
  }
  lines.push('', 'exit codes: 0 ok, 1 runtime failure, 2 bad usage or config');
  return lines.join('\n');
}
