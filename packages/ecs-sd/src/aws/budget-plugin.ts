/**
 * The rate budgets of a process and how they reach the SDK: one `RateBudget` per account (or role)
 * and Region, created on first use (`RateBudgets`); the client plugin that takes a token before
 * every attempt (`budgetMiddleware`); and their metrics, computed at scrape time.
 */
import type { FinalizeRequestMiddleware, MetadataBearer, Pluggable } from '@smithy/types';
import { Counter, Gauge, type Registry } from 'prom-client';
import { budgetSpecs, categoryOf } from '../lib/aws-limits.ts';
import { isThrottle, operationName } from './middleware.ts';
import { type BucketState, RateBudget, type RateBudgetOptions } from './rate-budget.ts';

/** The budget key of a source: the role it assumes (or the default credentials), the Region, and the endpoint. */
export function budgetKey(input: {
  roleArn?: string | undefined;
  region: string;
  endpoint?: string | undefined;
}): string {
  const who = input.roleArn === undefined ? input.region : `${input.roleArn}@${input.region}`;
  return input.endpoint === undefined ? who : `${who} ${input.endpoint}`;
}

/** The budgets of a process, one per key, created on first use with the same options. */
export class RateBudgets {
  readonly #options: RateBudgetOptions;
  readonly #budgets = new Map<string, RateBudget>();

  constructor(options: RateBudgetOptions = {}) {
    budgetSpecs(options);
    this.#options = options;
  }

  /** The budget of `key`, shared by every caller asking for the same key. */
  get(key: string): RateBudget {
    let budget = this.#budgets.get(key);
    if (budget === undefined) {
      budget = new RateBudget(key, this.#options);
      this.#budgets.set(key, budget);
    }
    return budget;
  }

  /** Every budget created so far. */
  all(): RateBudget[] {
    return [...this.#budgets.values()];
  }

  /** Closes every budget. */
  close(): void {
    for (const budget of this.#budgets.values()) budget.close();
  }
}

/** Where the SDK keeps a call's options (abortSignal) in a middleware's context (`SMITHY_CONTEXT_KEY` of @smithy/types, a dev-only package). */
const SMITHY_CONTEXT_KEY = '__smithy_context';

/** Name of the budget middleware in the SDK's middleware stack. */
export const BUDGET_MIDDLEWARE_NAME = 'ecsSdRateBudget';

/**
 * A client plugin taking a budget token before every attempt. It sits in the finalizeRequest step
 * right after `retryMiddleware` (inside the retry loop, so each retry waits for a token too) and
 * before `httpSigningMiddleware` (so a long wait never sends a stale signature). It sees the
 * deserialized error, so throttling answers back the bucket off and successes recover it. A wait
 * for a token ends when the call's abortSignal aborts.
 */
export function budgetMiddleware(
  budget: RateBudget | (() => RateBudget | Promise<RateBudget>),
): Pluggable<object, MetadataBearer> {
  let resolved: RateBudget | undefined = typeof budget === 'function' ? undefined : budget;
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    resolved ??= await (budget as () => RateBudget | Promise<RateBudget>)();
    const category = categoryOf(operationName(context.commandName), args.input);
    if (category === undefined) return next(args);
    // The call's abortSignal (a deadline, or the daemon stopping) ends a wait for a token too.
    const signal = (context as { [SMITHY_CONTEXT_KEY]?: { abortSignal?: unknown } })[SMITHY_CONTEXT_KEY]
      ?.abortSignal;
    await resolved.acquireCategory(category, signal instanceof AbortSignal ? signal : undefined);
    try {
      const output = await next(args);
      resolved.onSuccess(category);
      return output;
    } catch (error) {
      if (isThrottle(error)) resolved.onThrottle(category);
      throw error;
    }
  };
  return {
    applyToStack(stack) {
      stack.addRelativeTo(middleware, {
        relation: 'after',
        toMiddleware: 'retryMiddleware',
        name: BUDGET_MIDDLEWARE_NAME,
        override: true,
      });
    },
  };
}

/**
 * Registers the budget metrics, computed at scrape time from `budgets()`:
 * `ecs_sd_rate_budget_tokens`, `ecs_sd_rate_budget_refill_per_second` (falls while backing off)
 * and `ecs_sd_rate_budget_wait_seconds_total`, each by `budget` and `category`.
 */
export function registerRateBudgetMetrics(registry: Registry, budgets: () => readonly RateBudget[]): void {
  const each = (fn: (budget: RateBudget, state: BucketState) => void) => {
    for (const budget of budgets()) for (const state of budget.snapshot()) fn(budget, state);
  };
  new Gauge({
    name: 'ecs_sd_rate_budget_tokens',
    help: 'Tokens left in the client-side rate budget of an AWS throttling category.',
    labelNames: ['budget', 'category'],
    registers: [registry],
    collect() {
      this.reset();
      each((budget, state) => this.set({ budget: budget.name, category: state.category }, state.tokens));
    },
  });
  new Gauge({
    name: 'ecs_sd_rate_budget_refill_per_second',
    help: 'Current refill rate of a client-side rate budget; below its configured rate while backing off after throttles.',
    labelNames: ['budget', 'category'],
    registers: [registry],
    collect() {
      this.reset();
      each((budget, state) =>
        this.set({ budget: budget.name, category: state.category }, state.refillPerSecond),
      );
    },
  });
  new Counter({
    name: 'ecs_sd_rate_budget_wait_seconds_total',
    help: 'Seconds AWS calls waited for a token of the client-side rate budget.',
    labelNames: ['budget', 'category'],
    registers: [registry],
    collect() {
      this.reset();
      each((budget, state) => {
        if (state.waitSeconds > 0)
          this.inc({ budget: budget.name, category: state.category }, state.waitSeconds);
      });
    },
  });
}
