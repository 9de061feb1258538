/**
 * The few error classes that cross component boundaries, each with a stable `code` and the
 * original `cause`, so the CLI's single handler can map them to exit codes (2 usage/config, 1 runtime).
 */

/** Base class: a stable machine-readable code plus the wrapped cause. */
export class EcsSdError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad command line (unknown flag, missing argument): exit code 2. */
export class UsageError extends EcsSdError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('ECS_SD_USAGE', problems.join('\n'));
    this.problems = problems;
  }
}

/** Invalid configuration, every problem at once as `path: message` lines: exit code 2. */
export class ConfigError extends EcsSdError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super('ECS_SD_CONFIG_INVALID', problems.join('\n'), options);
    this.problems = problems;
  }
}

/** An AWS read that failed after the SDK's retries, wrapped with what was being read. */
export class AwsReadError extends EcsSdError {
  /** The AWS error name (e.g. `AccessDeniedException`), or `Unknown`. */
  readonly awsCode: string;
  /** The API operation that failed (`ListTasks`), when known. */
  readonly operation: string | undefined;
  constructor(message: string, cause: unknown, operation?: string) {
    super('ECS_SD_AWS_READ_FAILED', message, { cause });
    this.awsCode = cause instanceof Error ? cause.name : 'Unknown';
    this.operation = operation;
  }
}

/** A read that passed its deadline (the reason of the signal that aborted it). */
export class DeadlineError extends EcsSdError {
  /** The config key of the timeout, e.g. `timeouts.cluster_refresh`. */
  readonly timeout: string;
  readonly timeoutMs: number;
  constructor(what: string, timeout: string, timeoutMs: number) {
    super('ECS_SD_DEADLINE_EXCEEDED', `${what} did not finish within ${timeoutMs} ms (${timeout})`);
    this.timeout = timeout;
    this.timeoutMs = timeoutMs;
  }
}

/** Discovery ran but did not complete (some cluster or source failed): exit code 1 in `--once`. */
export class DiscoveryFailedError extends EcsSdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ECS_SD_DISCOVERY_FAILED', message, options);
  }
}

/** Exit code for an error reaching the top-level handler: 2 for usage and config, else 1. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
}
