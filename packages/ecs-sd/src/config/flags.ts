/**
 * Pure parsing of the command line and environment the CLI hands over: Prometheus-style flags
 * (`--config.file=FILE`, `--log.level debug`, `--no-once`), the Python prometheus-ecs-sd
 * drop-in flags, and an `ECS_SD_*` variable per common setting. Every problem at once.
 */
import { UsageError } from '../errors.ts';
import { FLAGS, type FlagSpec } from './flag-list.ts';
import type { ConfigOverride } from './load.ts';
import { ConfigFileSchema } from './schema.ts';
import { defaultAt } from './schema-walk.ts';

export { FLAGS, type FlagSpec, type FlagTarget } from './flag-list.ts';

/** Commands besides the default (run the daemon). */
export const COMMANDS = ['check-config', 'explain', 'healthcheck'] as const;
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
  /** `--web.enable-lifecycle`: POST /-/reload is served. */
  enableLifecycle: boolean;
  /** `--url.username`, `--url.password-file`, `--url.ca-file`: how explain --url and healthcheck reach the daemon. */
  client: { username?: string; passwordFile?: string; caFile?: string };
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

/** Parses argv and the environment like `readCommandLine`, and throws a `UsageError` with every problem. */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CommandLine {
  const { line, problems } = readCommandLine(argv, env);
  if (problems.length > 0 && !line.help && !line.version) throw new UsageError(problems);
  return line;
}

/** Commands that take no argument. */
const NO_ARGUMENT: ReadonlySet<string> = new Set(['healthcheck']);

/**
 * Parses argv (without node and script) and the environment. Precedence: flag, then its
 * environment variable, then the config file, then the schema default. Never throws: the problems
 * come back with what could be read, so the CLI reports them with the config's in one run (an
 * unknown flag is left out, everything else still applies).
 */
export function readCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { line: CommandLine; problems: string[] } {
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
    if (spec.type === 'boolean' && BOOLEAN_VALUES[raw] === undefined) {
      problems.push(`${spec.env}: got ${JSON.stringify(raw)}, expected true or false`);
      continue;
    }
    const value = spec.type === 'boolean' ? BOOLEAN_VALUES[raw] : flagValue(spec, raw);
    given.set(spec.name, { spec, value, origin: spec.env });
  }

  let command: Command = 'run';
  let argument: string | undefined;
  const [first, ...rest] = positionals;
  if (first !== undefined) {
    if ((COMMANDS as readonly string[]).includes(first)) {
      command = first as Command;
      const [arg, ...extra] = NO_ARGUMENT.has(first) ? [undefined, ...rest] : rest;
      argument = arg;
      if (arg === undefined && !NO_ARGUMENT.has(first)) {
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
  const client = {
    ...(typeof cli('url.username') === 'string' && { username: cli('url.username') as string }),
    ...(typeof cli('url.password-file') === 'string' && { passwordFile: cli('url.password-file') as string }),
    ...(typeof cli('url.ca-file') === 'string' && { caFile: cli('url.ca-file') as string }),
  };
  if (cli('url') !== undefined && command !== 'explain')
    problems.push(`${given.get('url')!.origin}: applies only to explain, expected it with explain TASK`);
  for (const name of ['url.username', 'url.password-file', 'url.ca-file']) {
    const origin = given.get(name)?.origin;
    if (origin === undefined) continue;
    if (
      command === 'healthcheck' ? name === 'url.ca-file' : command !== 'explain' || cli('url') === undefined
    )
      problems.push(
        `${origin}: applies only to ${name === 'url.ca-file' ? 'explain --url' : 'explain --url and healthcheck'}, expected it there`,
      );
  }
  if (cli('url.password-file') !== undefined && cli('url.username') === undefined)
    problems.push(`${given.get('url.password-file')!.origin}: is set without --url.username, expected both`);

  const overrides: ConfigOverride[] = [];
  const sourceOverrides: ConfigOverride[] = [];
  for (const { spec, value, origin } of given.values()) {
    if (spec.target.kind === 'config') overrides.push({ path: spec.target.path, value, origin });
    if (spec.target.kind === 'source') sourceOverrides.push({ path: spec.target.path, value, origin });
  }
  const line: CommandLine = {
    command,
    once: cli('once') === true,
    enableLifecycle: cli('web.enable-lifecycle') === true,
    client,
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
  return { line, problems };
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
    '  ecs-sd healthcheck [flags]     probe the daemon the same flags describe (its /-/healthy), for container health checks',
    '',
    'signals: SIGHUP reloads the config file and the web config file; SIGTERM and SIGINT stop the daemon (a second one exits at once)',
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
