/**
 * Why a read of AWS failed, and the one place a failure is counted and logged: a cluster's read
 * (its last targets stand, marked stale) or a source's cluster selection (every cluster of the
 * source keeps its targets). An abort that is not a deadline (the daemon stopping, a cluster no
 * longer selected) is not a failure.
 */
import type { Logger } from 'pino';
import type { Timeouts } from '../aws/timeouts.ts';
import { timeoutOf } from '../aws/timeouts.ts';
import { AwsReadError, DeadlineError } from '../errors.ts';
import { formatDuration } from '../lib/duration.ts';
import type { Metrics } from '../metrics.ts';

/** Why a read failed, for the log line and the metrics. */
export type ReadFailure =
  /** Aborted, not by its deadline (the daemon stopping, the cluster no longer selected): not a failure. */
  | { kind: 'aborted' }
  /** Every attempt of a call timed out (`aws_request`), or the read passed its deadline (`cluster_refresh`). */
  | {
      kind: 'timeout';
      timeout: 'aws_request' | 'cluster_refresh';
      after: string;
      operation: string | undefined;
    }
  | { kind: 'error' };

/** One line for an error and its cause: `list tasks failed for cluster "a" of source "s": AccessDeniedException: …`. */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.name}: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/**
 * Classifies a failed read by its signal first (the SDK may throw an `AbortError` without the
 * reason once its signal aborted), then by the error's causes.
 */
export function readFailure(error: unknown, signal: AbortSignal, timeouts: Timeouts): ReadFailure {
  const operation = error instanceof AwsReadError ? error.operation : undefined;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof DeadlineError
      ? { kind: 'timeout', timeout: 'cluster_refresh', after: formatDuration(reason.timeoutMs), operation }
      : { kind: 'aborted' };
  }
  const hit = timeoutOf(error);
  if (hit === undefined) return { kind: 'error' };
  return hit.kind === 'deadline'
    ? { kind: 'timeout', timeout: 'cluster_refresh', after: formatDuration(hit.error.timeoutMs), operation }
    : { kind: 'timeout', timeout: 'aws_request', after: formatDuration(timeouts.awsRequestMs), operation };
}

/** Where the SDK's default chain looks for credentials, for the problem of finding none. */
export const CREDENTIALS_HINT =
  'the AWS SDK looked in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), the shared config and credentials files (AWS_PROFILE, ~/.aws/config, ~/.aws/credentials, SSO), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the ECS task role and EC2 instance metadata; against ecs-sim any keys do, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test';

/** True when the SDK found no credentials at all (its CredentialsProviderError, anywhere in the causes). */
export function isMissingCredentials(error: unknown): boolean {
  for (
    let current = error, depth = 0;
    current instanceof Error && depth < 5;
    current = current.cause, depth++
  ) {
    if (current.name === 'CredentialsProviderError') return true;
  }
  return false;
}

/** Where a read failed: one cluster of a source, or the selection of a source's clusters. */
export type ReadScope = { source: string; cluster: string } | { source: string; cluster?: undefined };

/**
 * Counts (`ecs_sd_refresh_failures_total`, `ecs_sd_refresh_timeouts_total`) and logs a failed read;
 * returns its line for the refresh summary, or undefined for an abort that is not a failure.
 */
export function recordReadFailure(
  context: { metrics: Metrics; log: Logger; timeouts: Timeouts },
  scope: ReadScope,
  error: unknown,
  signal: AbortSignal,
): string | undefined {
  const { metrics, log } = context;
  const { source } = scope;
  const cluster = scope.cluster ?? '';
  const hit = readFailure(error, signal, context.timeouts);
  const what = scope.cluster === undefined ? 'selecting clusters' : 'cluster refresh';
  const keeping =
    scope.cluster === undefined ? 'keeping every cluster of the source' : 'keeping its last targets';
  if (hit.kind === 'aborted') {
    log.debug(
      { err: error, source, cluster },
      scope.cluster === undefined ? 'selecting clusters aborted' : 'cluster read aborted',
    );
    return undefined;
  }
  metrics.refreshFailures.inc({ source, cluster });
  const fields = scope.cluster === undefined ? { err: error, source } : { err: error, source, cluster };
  if (hit.kind === 'error' && isMissingCredentials(error)) {
    // Not a failure of this cluster: nothing of the source can be read until credentials are found.
    log.warn(
      { source, ...(scope.cluster === undefined ? {} : { cluster }), hint: CREDENTIALS_HINT },
      'no AWS credentials found',
    );
    return `no AWS credentials found for source "${source}": ${CREDENTIALS_HINT}`;
  }
  if (hit.kind === 'error') {
    log.warn(fields, `${what} failed, ${keeping}`);
    return messageOf(error);
  }
  metrics.refreshTimeouts.inc({ source, cluster, timeout: hit.timeout });
  log.warn(
    { ...fields, operation: hit.operation, timeout: `timeouts.${hit.timeout}=${hit.after}` },
    `${what} timed out, ${keeping}`,
  );
  // A cluster's deadline names what passed it and the call it was in; anything else says what failed.
  if (scope.cluster !== undefined && hit.timeout === 'cluster_refresh' && signal.reason instanceof Error)
    return `${signal.reason.message}${hit.operation === undefined ? '' : ` (during ${hit.operation})`}`;
  return messageOf(error);
}
