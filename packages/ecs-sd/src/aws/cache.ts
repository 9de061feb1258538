/**
 * A bounded in-memory cache with LRU eviction and hit/miss counting
 * (`ecs_sd_cache_requests_total{cache,result}`). Each use says what it keys on and why that is safe.
 */
import type { CacheName } from '../metrics.ts';

/** Called on every lookup, to count hits and misses. */
export type CacheLookupListener = (cache: CacheName, result: 'hit' | 'miss') => void;

/** LRU cache bounded to `maxEntries`; `retainOnly` evicts entries unused in a refresh. */
export class BoundedCache<K, V> {
  readonly name: CacheName;
  readonly maxEntries: number;
  readonly #entries = new Map<K, V>();
  readonly #onLookup: CacheLookupListener | undefined;

  constructor(name: CacheName, maxEntries: number, onLookup?: CacheLookupListener) {
    this.name = name;
    this.maxEntries = maxEntries;
    this.#onLookup = onLookup;
  }

  /**
   * The value for `key` (counted as a hit or a miss), refreshed as most recently used; a value
   * `fresh` rejects is dropped and counted as a miss.
   */
  get(key: K, fresh?: (value: V) => boolean): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined || (fresh !== undefined && !fresh(value))) {
      if (value !== undefined) this.#entries.delete(key);
      this.#onLookup?.(this.name, 'miss');
      return undefined;
    }
    this.#onLookup?.(this.name, 'hit');
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value for `key` without counting a lookup or refreshing its recency. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores a value, evicting the least recently used entry beyond `maxEntries`. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Removes one entry. */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Evicts every entry whose key is not in `used`: what a refresh did not need is gone for good or cheap to re-read. */
  retainOnly(used: ReadonlySet<K>): void {
    for (const key of [...this.#entries.keys()]) {
      if (!used.has(key)) this.#entries.delete(key);
    }
  }

  /** Every value, least recently used first, without counting lookups. */
  values(): IterableIterator<V> {
    return this.#entries.values();
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }
}
