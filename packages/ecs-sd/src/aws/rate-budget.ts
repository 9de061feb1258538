/**
 * The client-side rate budget: one token bucket per AWS throttling category, shared by every source
 * and cluster that read with the same account (or role ARN) and Region, set by default to half of
 * AWS's own bucket so that ecs-sd is never the reason a deploy pipeline gets throttled. A call waits
 * for a token (FIFO per category, on a timer) instead of bursting; a throttling answer halves the
 * category's refill rate (at most once per second) and successes bring it back gradually (AIMD).
 *
 * Pure state on an injectable clock: tests advance a fake clock instead of sleeping.
 */
import {
  type BucketSpec,
  type BudgetSettings,
  budgetSpecs,
  categoryOf,
  RATE_CATEGORIES,
  type RateCategory,
} from '../lib/aws-limits.ts';

/** Time and timers of a budget; tests pass a fake one. */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The process clock. Its timers are ref'd on purpose: a waiting call is real work, and `--once`
 * must not exit mid-refresh; `RateBudget.close()` clears them when the daemon stops.
 */
export const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Configuration of a budget: a share of AWS's buckets, and absolute per-category overrides. */
export interface RateBudgetOptions extends BudgetSettings {
  /** Lowest refill after repeated throttles, as a fraction of the configured refill. @default 1/16 */
  minRefillFraction?: number;
  /** Least refill regained per successful call, as a fraction of the configured refill. @default 0.01 */
  recoveryFraction?: number;
  /**
   * Refill regained per second of successful calls since the last change, as a fraction of the
   * configured refill: from halved to whole in 5 s, from the floor in under 10 s. @default 0.1
   */
  recoveryPerSecond?: number;
  /** Throttles closer together than this halve the refill once. @default 1000 */
  decreaseCooldownMs?: number;
  clock?: Clock;
}

/** A category's current state, as the metrics and tests read it. */
export interface BucketState {
  category: RateCategory;
  /** Tokens available now (negative never: waiters queue instead). */
  tokens: number;
  burst: number;
  /** Current refill rate (lower than `configuredRefillPerSecond` while backing off). */
  refillPerSecond: number;
  configuredRefillPerSecond: number;
  /** Calls queued for a token. */
  waiting: number;
  /** Total seconds calls spent waiting for a token. */
  waitSeconds: number;
  /** Calls granted a token. */
  granted: number;
  /** Throttling answers seen. */
  throttles: number;
}

interface Waiter {
  enqueuedAt: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Bucket {
  spec: BucketSpec;
  tokens: number;
  refillPerSecond: number;
  updatedAt: number;
  lastDecreaseAt: number;
  /** When the refill last changed (a decrease or a recovery step). */
  lastChangeAt: number;
  queue: Waiter[];
  timer: unknown;
  waitSeconds: number;
  granted: number;
  throttles: number;
}

/** Token buckets of one account (or role) and Region; every client reading with them shares one. */
export class RateBudget {
  /** What the budget is for, e.g. `us-east-1` or `arn:aws:iam::1:role/x@us-east-1` (the `budget` label). */
  readonly name: string;
  readonly #clock: Clock;
  readonly #buckets = new Map<RateCategory, Bucket>();
  readonly #minRefillFraction: number;
  readonly #recoveryFraction: number;
  readonly #recoveryPerSecond: number;
  readonly #cooldownMs: number;
  #closed = false;

  constructor(name: string, options: RateBudgetOptions = {}) {
    this.name = name;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#minRefillFraction = options.minRefillFraction ?? 1 / 16;
    this.#recoveryFraction = options.recoveryFraction ?? 0.01;
    this.#recoveryPerSecond = options.recoveryPerSecond ?? 0.1;
    this.#cooldownMs = options.decreaseCooldownMs ?? 1000;
    const now = this.#clock.now();
    for (const [category, spec] of Object.entries(budgetSpecs(options)) as [RateCategory, BucketSpec][]) {
      this.#buckets.set(category, {
        spec,
        tokens: spec.burst,
        refillPerSecond: spec.refillPerSecond,
        updatedAt: now,
        lastDecreaseAt: Number.NEGATIVE_INFINITY,
        lastChangeAt: now,
        queue: [],
        timer: undefined,
        waitSeconds: 0,
        granted: 0,
        throttles: 0,
      });
    }
  }

  #bucket(category: RateCategory): Bucket {
    const bucket = this.#buckets.get(category);
    if (bucket === undefined)
      throw new RangeError(
        `rate budget: got category "${category}", expected one of ${RATE_CATEGORIES.join(', ')}`,
      );
    return bucket;
  }

  #refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(bucket.spec.burst, bucket.tokens + elapsed * bucket.refillPerSecond);
    bucket.updatedAt = now;
  }

  /**
   * Resolves when a token of the operation's category is taken (at once when one is available and
   * nobody waits); rejects with the signal's reason when aborted, or when the budget is closed.
   * Operations outside every category resolve at once.
   */
  acquire(operation: string, signal?: AbortSignal, input?: unknown): Promise<void> {
    const category = categoryOf(operation, input);
    return category === undefined ? Promise.resolve() : this.acquireCategory(category, signal);
  }

  /** `acquire` by category. */
  acquireCategory(category: RateCategory, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`rate budget "${this.name}" is closed`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const bucket = this.#bucket(category);
    const now = this.#clock.now();
    this.#refill(bucket, now);
    if (bucket.queue.length === 0 && bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.granted++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { enqueuedAt: now, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = bucket.queue.indexOf(waiter);
          if (index !== -1) bucket.queue.splice(index, 1);
          bucket.waitSeconds += (this.#clock.now() - waiter.enqueuedAt) / 1000;
          reject(signal.reason);
          this.#schedule(bucket);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      bucket.queue.push(waiter);
      this.#schedule(bucket);
    });
  }

  /** Grants tokens to waiters in order, then sets one timer for when the next token is due. */
  #pump(bucket: Bucket): void {
    bucket.timer = undefined;
    const now = this.#clock.now();
    this.#refill(bucket, now);
    while (bucket.queue.length > 0 && bucket.tokens >= 1) {
      const waiter = bucket.queue.shift()!;
      bucket.tokens -= 1;
      bucket.granted++;
      bucket.waitSeconds += (now - waiter.enqueuedAt) / 1000;
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule(bucket);
  }

  #schedule(bucket: Bucket): void {
    if (bucket.timer !== undefined) {
      this.#clock.clearTimeout(bucket.timer);
      bucket.timer = undefined;
    }
    if (bucket.queue.length === 0 || this.#closed) return;
    this.#refill(bucket, this.#clock.now());
    const ms = Math.max(0, ((1 - bucket.tokens) / bucket.refillPerSecond) * 1000);
    bucket.timer = this.#clock.setTimeout(() => this.#pump(bucket), Math.ceil(ms));
  }

  /**
   * AWS answered a call of this category with a throttling error: our share was wrong, so the bucket
   * empties and its refill halves (floored at `minRefillFraction`), once per cooldown so a volley of
   * concurrent throttles counts as one signal.
   */
  onThrottle(category: RateCategory): void {
    const bucket = this.#bucket(category);
    const now = this.#clock.now();
    this.#refill(bucket, now);
    bucket.throttles++;
    bucket.tokens = Math.min(bucket.tokens, 0);
    if (now - bucket.lastDecreaseAt >= this.#cooldownMs) {
      bucket.lastDecreaseAt = now;
      bucket.lastChangeAt = now;
      const floor = bucket.spec.refillPerSecond * this.#minRefillFraction;
      bucket.refillPerSecond = Math.max(floor, bucket.refillPerSecond / 2);
    }
    this.#schedule(bucket);
  }

  /**
   * A call of this category succeeded: while backing off, the refill grows additively (by
   * `recoveryPerSecond` of the configured rate per second since its last change, at least
   * `recoveryFraction` per call) back up to the configured rate, never above.
   */
  onSuccess(category: RateCategory): void {
    const bucket = this.#bucket(category);
    if (bucket.refillPerSecond >= bucket.spec.refillPerSecond) return;
    const now = this.#clock.now();
    this.#refill(bucket, now);
    const seconds = Math.max(0, now - bucket.lastChangeAt) / 1000;
    const step = Math.max(this.#recoveryFraction, this.#recoveryPerSecond * seconds);
    bucket.refillPerSecond = Math.min(
      bucket.spec.refillPerSecond,
      bucket.refillPerSecond + bucket.spec.refillPerSecond * step,
    );
    bucket.lastChangeAt = now;
    this.#schedule(bucket);
  }

  /** The state of every category now. */
  snapshot(): BucketState[] {
    const now = this.#clock.now();
    return [...this.#buckets.entries()].map(([category, bucket]) => {
      this.#refill(bucket, now);
      return {
        category,
        tokens: bucket.tokens,
        burst: bucket.spec.burst,
        refillPerSecond: bucket.refillPerSecond,
        configuredRefillPerSecond: bucket.spec.refillPerSecond,
        waiting: bucket.queue.length,
        waitSeconds: bucket.waitSeconds,
        granted: bucket.granted,
        throttles: bucket.throttles,
      };
    });
  }

  /** The state of one category now. */
  state(category: RateCategory): BucketState {
    return this.snapshot().find((state) => state.category === category)!;
  }

  /** Rejects every waiting call and clears the timers (the daemon is stopping). */
  close(): void {
    this.#closed = true;
    for (const bucket of this.#buckets.values()) {
      if (bucket.timer !== undefined) this.#clock.clearTimeout(bucket.timer);
      bucket.timer = undefined;
      for (const waiter of bucket.queue.splice(0)) {
        if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.reject(new Error(`rate budget "${this.name}" is closed`));
      }
    }
  }
}
