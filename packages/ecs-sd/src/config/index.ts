/**
 * Config: the schema, pure loading and flag parsing. Only `src/cli.ts` feeds it the outside world;
 * it imports only leaf modules (`lib/`, `errors.ts`), so every component can import its types.
 */
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
  type DiscoveryOptions,
  type EventsConfig,
  type LogFormat,
  type LogLevel,
  needsServices,
  type OutputConfig,
  type Rule,
  type SourceConfig,
} from './types.ts';
