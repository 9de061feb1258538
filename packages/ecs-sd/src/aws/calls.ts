/** What every AWS read of the fetcher does the same way: pass its abort signal, and wrap its failure with context. */
import { AwsReadError } from '../errors.ts';

/** The options of `client.send` for a signal: every call of a read is aborted with it. */
export function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** Runs the calls of one API operation, wrapping a failure as AwsReadError with `message` and the operation. */
export async function awsCall<T>(operation: string, message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AwsReadError) throw error;
    throw new AwsReadError(message, error, operation);
  }
}

/** The name of an error (the AWS error code of an SDK error), or '' for anything else. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** What a failure message says was being done: `describe tasks failed for cluster "prod" of source "eu"`. */
export type What = (action: string) => string;
