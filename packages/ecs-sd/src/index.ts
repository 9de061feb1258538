/**
 * ecs-sd as a library: config loading, the runtime (refresh loop and state), metrics, logging and
 * the web app, for embedding and for in-process tests. The `ecs-sd` command is `cli.ts`.
 */

export { createSourceClients, type SourceClients, SourceFetcher } from './aws/index.ts';
export {
  type Config,
  ConfigFileSchema,
  type ConfigOverride,
  FLAGS,
  type LoadConfigInput,
  loadConfig,
  parseCommandLine,
  type SourceConfig,
} from './config/index.ts';
export {
  createRuntime,
  type RefreshOptions,
  type Runtime,
  type RuntimeDeps,
} from './daemon/runtime.ts';
export { DiscoveryState } from './daemon/state.ts';
export { formatSummary, type RefreshSummary } from './daemon/summary.ts';
export { formatDecision } from './discovery/index.ts';
export { AwsReadError, ConfigError, EcsSdError, exitCodeFor, UsageError } from './errors.ts';
export { DISCOVERY_IAM_ACTIONS } from './lib/iam.ts';
export { compilePattern, type Pattern } from './lib/pattern.ts';
export { createLogger, silentLogger, toLogfmt } from './log.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { buildApp } from './server/app.ts';
