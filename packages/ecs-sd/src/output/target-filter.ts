/**
 * Selection of targets by the http_sd query string: job, interval, cluster, and a stable shard
 * (`shard=i&shards=n`) so a fleet of Prometheus servers can split the targets among them.
 * Pure: parsing returns a value or a problem, never throws.
 */
import type { Target } from '../discovery/types.ts';
import { INTERVALS, type Interval, parseInterval } from '../lib/intervals.ts';

/** Which targets a caller wants; an absent field selects everything. Values within a field are ORed. */
export interface TargetFilter {
  jobs?: readonly string[];
  intervals?: readonly Interval[];
  clusters?: readonly string[];
  shard?: { index: number; count: number };
}

/** Query parameters the http_sd endpoint understands; any other parameter is a 400. */
export const TARGET_FILTER_PARAMS = ['job', 'interval', 'cluster', 'shard', 'shards'] as const;

/** Highest shard count accepted: far more Prometheus servers than anyone runs, small enough to catch typos. */
export const MAX_SHARDS = 1_000_000;

/** The outcome of parsing a query: a filter, or a one-line problem naming the parameter and value. */
export type ParsedTargetFilter = { ok: true; filter: TargetFilter } | { ok: false; error: string };

const NON_NEGATIVE_INTEGER = /^(0|[1-9][0-9]*)$/;

/**
 * Parses `?job=&interval=&cluster=&shard=&shards=` into a filter. Repeating a parameter ORs its
 * values; `shard` and `shards` come together, with 0 <= shard < shards.
 */
export function parseTargetFilter(query: URLSearchParams): ParsedTargetFilter {
  for (const name of new Set(query.keys())) {
    if (!(TARGET_FILTER_PARAMS as readonly string[]).includes(name)) {
      return {
        ok: false,
        error: `unknown query parameter "${name}", expected one of ${TARGET_FILTER_PARAMS.join(', ')}`,
      };
    }
  }
  const filter: TargetFilter = {};
  const jobs = query.getAll('job');
  if (jobs.length > 0) filter.jobs = jobs;
  const clusters = query.getAll('cluster');
  if (clusters.length > 0) filter.clusters = clusters;
  const intervals = query.getAll('interval');
  if (intervals.length > 0) {
    const valid: Interval[] = [];
    for (const text of intervals) {
      const interval = parseInterval(text);
      if (interval === undefined) {
        return {
          ok: false,
          error: `interval "${text}" is not a known interval, expected one of ${INTERVALS.join(', ')}`,
        };
      }
      valid.push(interval);
    }
    filter.intervals = valid;
  }

  const shards = query.getAll('shards');
  const shard = query.getAll('shard');
  if (shards.length > 1 || shard.length > 1) {
    const name = shards.length > 1 ? 'shards' : 'shard';
    return { ok: false, error: `${name} is given ${query.getAll(name).length} times, expected it once` };
  }
  const [shardsValue] = shards;
  const [shardValue] = shard;
  if (shardsValue !== undefined || shardValue !== undefined) {
    if (shardsValue === undefined) {
      return { ok: false, error: `shard "${shardValue}" is given without shards, expected shard=i&shards=n` };
    }
    if (shardValue === undefined) {
      return {
        ok: false,
        error: `shards "${shardsValue}" is given without shard, expected shard=i&shards=n`,
      };
    }
    const count = NON_NEGATIVE_INTEGER.test(shardsValue) ? Number(shardsValue) : Number.NaN;
    if (!(count >= 1 && count <= MAX_SHARDS)) {
      return {
        ok: false,
        error: `shards "${shardsValue}" is not a shard count, expected an integer from 1 to ${MAX_SHARDS}`,
      };
    }
    const index = NON_NEGATIVE_INTEGER.test(shardValue) ? Number(shardValue) : Number.NaN;
    if (!(index >= 0 && index < count)) {
      return {
        ok: false,
        error: `shard "${shardValue}" is not a shard index, expected an integer from 0 to ${count - 1} (shards=${count})`,
      };
    }
    filter.shard = { index, count };
  }
  return { ok: true, filter };
}

/**
 * FNV-1a (32-bit) of the UTF-8 bytes of a string. Stable across processes, versions and hosts,
 * unlike a seeded hash, so a target stays on the same shard for its whole life.
 */
export function fnv1a32(value: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(value)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The shard (0 <= shard < count) a target belongs to: FNV-1a of its stable key (task ARN,
 * container, port, path) modulo the shard count, so every target is in exactly one shard and
 * does not move while the task lives, whatever else changes in the fleet.
 */
export function shardOf(target: Pick<Target, 'key'>, count: number): number {
  return fnv1a32(target.key) % count;
}

/** The targets the filter selects, in their original order. */
export function filterTargets(targets: readonly Target[], filter: TargetFilter): Target[] {
  const { jobs, intervals, clusters, shard } = filter;
  return targets.filter(
    (target) =>
      (jobs === undefined || jobs.includes(target.job)) &&
      (intervals === undefined || intervals.includes(target.interval)) &&
      (clusters === undefined || clusters.includes(target.clusterName)) &&
      (shard === undefined || shardOf(target, shard.count) === shard.index),
  );
}
