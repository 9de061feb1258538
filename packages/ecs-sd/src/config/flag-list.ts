/**
 * Every flag ecs-sd accepts, with its environment variable, its target and its help; the README's
 * flag table mirrors this list and `--help` is generated from it.
 */

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
    name: 'web.enable-lifecycle',
    env: 'ECS_SD_WEB_ENABLE_LIFECYCLE',
    type: 'boolean',
    target: { kind: 'cli' },
    help: 'enable POST /-/reload (SIGHUP always reloads), as Prometheus does',
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
    name: 'url.username',
    env: 'ECS_SD_URL_USERNAME',
    type: 'string',
    target: { kind: 'cli' },
    placeholder: 'USER',
    help: 'explain --url and healthcheck: basic auth user',
  },
  {
    name: 'url.password-file',
    env: 'ECS_SD_URL_PASSWORD_FILE',
    type: 'string',
    target: { kind: 'cli' },
    placeholder: 'FILE',
    help: 'explain --url and healthcheck: file holding the basic auth password',
  },
  {
    name: 'url.ca-file',
    env: 'ECS_SD_URL_CA_FILE',
    type: 'string',
    target: { kind: 'cli' },
    placeholder: 'FILE',
    help: "explain --url: CA certificates (PEM) to trust for the daemon's TLS certificate",
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
