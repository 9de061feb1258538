/**
 * Counting of every AWS request, retry and throttle, once, in SDK middleware: the deserialize step
 * runs once per attempt (inside the retry middleware of the finalizeRequest step), and at high
 * priority it sees the error the deserializer parsed.
 */
import type { DeserializeMiddleware, MetadataBearer, Pluggable } from '@smithy/types';
import type { AwsOutcome, Metrics } from '../metrics.ts';
import { timeoutOf } from './timeouts.ts';

/** Error names AWS uses for throttling (ECS ThrottlingException, EC2 RequestLimitExceeded, …). */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
]);

/** True when an SDK error is a throttle (by name, by the SDK's own marker, or HTTP 429). */
export function isThrottle(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $retryable, $metadata } = error as {
    name?: string;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
  };
  return (
    (name !== undefined && THROTTLING_ERROR_NAMES.has(name)) ||
    $retryable?.throttling === true ||
    $metadata?.httpStatusCode === 429
  );
}

/**
 * The outcome of a failed attempt: `throttled`; `timeout` when it did not answer in time (its
 * request, socket or connection timeout, or the deadline of its read); `aborted` when its read
 * was aborted otherwise (the daemon is stopping); else `error`.
 */
export function failureOutcome(error: unknown): Exclude<AwsOutcome, 'success'> {
  if (isThrottle(error)) return 'throttled';
  if (timeoutOf(error) !== undefined) return 'timeout';
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  return 'error';
}

/** The API operation of an SDK command name: `ListTasksCommand` → `ListTasks`. */
export function operationName(commandName: string | undefined): string {
  return (commandName ?? 'Unknown').replace(/Command$/, '');
}

/**
 * A client plugin counting each attempt into ecs_sd_aws_requests_total (by outcome: success,
 * error, throttled, timeout, aborted) and ecs_sd_aws_throttles_total.
 */
export function countingPlugin(
  source: string,
  metrics: Pick<Metrics, 'awsRequests' | 'awsThrottles'>,
): Pluggable<object, MetadataBearer> {
  const middleware: DeserializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const operation = operationName(context.commandName);
    let outcome: AwsOutcome = 'success';
    try {
      return await next(args);
    } catch (error) {
      outcome = failureOutcome(error);
      throw error;
    } finally {
      metrics.awsRequests.inc({ source, operation, outcome });
      // Incrementing by 0 creates the series, so "no throttles" reads as 0 rather than as no data.
      metrics.awsThrottles.inc({ source, operation }, outcome === 'throttled' ? 1 : 0);
    }
  };
  return {
    applyToStack(stack) {
      stack.add(middleware, {
        step: 'deserialize',
        priority: 'high',
        name: 'ecsSdCountRequests',
        override: true,
      });
    },
  };
}
