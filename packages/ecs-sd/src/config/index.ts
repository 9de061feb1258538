/** Config: the schema, pure loading and flag parsing. Only `src/cli.ts` feeds it the outside world. */
export { formatDuration, parseDuration } from './duration.ts';
export {
  COMMANDS,
  type Command,
  type CommandLine,
  FLAGS,
  type FlagSpec,
  helpText,
  parseCommandLine,
} from './flags.ts';
export { type ConfigOverride, deepFreeze, formatIssues, type LoadConfigInput, loadConfig } from './load.ts';
export { ConfigFileSchema } from './schema.ts';
export {
  type Config,
  clusterSelected,
  type LogFormat,
  type LogLevel,
  needsServices,
  type OutputConfig,
  type SourceConfig,
} from './types.ts';
