/**
 * Task definitions by revision ARN, for every cluster of a source. A revision ARN is immutable, so a
 * task definition is described once and cached for good (bounded by LRU); a revision another
 * cluster is describing right now is awaited, not described twice.
 */
import { DescribeTaskDefinitionCommand, type Task, type TaskDefinition } from '@aws-sdk/client-ecs';
import type { Logger } from 'pino';
import { AwsReadError } from '../errors.ts';
import { mapLimit } from '../lib/batch.ts';
import { BoundedCache, type CacheLookupListener } from './cache.ts';
import { errorName, sendOptions, type What } from './calls.ts';
import type { SourceClients } from './clients.ts';
import { abortable } from './timeouts.ts';

/** DescribeTaskDefinition takes one task definition per call; this many run at once. */
export const DESCRIBE_TASK_DEFINITION_CONCURRENCY = 4;
/** Bound of the task definition cache (revision ARNs are immutable, so only memory limits it). */
export const TASK_DEFINITION_CACHE_MAX = 5000;

/** The task definitions of a source: cached by revision ARN, each described at most once at a time. */
export class TaskDefinitions {
  readonly #clients: SourceClients;
  readonly #log: Logger;
  /** Aborts the shared calls (the daemon stopping); never one cluster's deadline, since others may wait for the call. */
  readonly #signal: AbortSignal | undefined;
  readonly #cache: BoundedCache<string, TaskDefinition>;
  readonly #inFlight = new Map<string, Promise<TaskDefinition | undefined>>();

  constructor(clients: SourceClients, log: Logger, onLookup: CacheLookupListener, signal?: AbortSignal) {
    this.#clients = clients;
    this.#log = log;
    this.#signal = signal;
    this.#cache = new BoundedCache('task_definition', TASK_DEFINITION_CACHE_MAX, onLookup);
  }

  /** The task definitions of these tasks by ARN; one that cannot be described is absent. `signal` ends the wait. */
  async read(tasks: readonly Task[], what: What, signal?: AbortSignal): Promise<Map<string, TaskDefinition>> {
    const arns = [...new Set(tasks.map((task) => task.taskDefinitionArn).filter((arn) => arn !== undefined))];
    const out = new Map<string, TaskDefinition>();
    const misses: string[] = [];
    for (const arn of arns) {
      const cached = this.#cache.get(arn);
      if (cached === undefined) misses.push(arn);
      else out.set(arn, cached);
    }
    await mapLimit(misses, DESCRIBE_TASK_DEFINITION_CONCURRENCY, async (arn) => {
      let pending = this.#inFlight.get(arn);
      if (pending === undefined) {
        pending = this.#describe(arn, what).finally(() => this.#inFlight.delete(arn));
        this.#inFlight.set(arn, pending);
        // A read that stopped waiting leaves no unhandled rejection behind.
        pending.catch(() => {});
      }
      const taskDefinition = await abortable(pending, signal);
      if (taskDefinition !== undefined) out.set(arn, taskDefinition);
    });
    return out;
  }

  async #describe(arn: string, what: What): Promise<TaskDefinition | undefined> {
    try {
      const output = await this.#clients.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: arn }),
        sendOptions(this.#signal),
      );
      if (output.taskDefinition !== undefined) this.#cache.set(arn, output.taskDefinition);
      return output.taskDefinition;
    } catch (error) {
      // A revision that cannot be described (ClientException) leaves its tasks as task-definition-missing.
      if (errorName(error) === 'ClientException') {
        this.#log.warn({ err: error, taskDefinitionArn: arn }, 'task definition not described');
        return undefined;
      }
      throw new AwsReadError(what(`describe task definition "${arn}"`), error, 'DescribeTaskDefinition');
    }
  }
}
