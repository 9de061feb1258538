/**
 * Problems between the `pools` section and the rest of the config, found on the document as given
 * so they appear with every other problem in one run: pool names used twice, a members source that
 * does not exist, a members cluster its source does not read, and an `ha.replicas` that leaves the
 * rate budget unusable.
 */
import { resolveBudget } from '../lib/aws-limits.ts';
import { compilePattern } from '../lib/pattern.ts';
import { show } from './issues.ts';
import type { Config } from './types.ts';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function sourceName(fields: Record<string, unknown>): unknown {
  return fields['name'] ?? fields['region'] ?? 'default';
}

/** Whether a source as written reads a cluster of this name: its list names it, or its patterns select it. */
function readsCluster(source: Record<string, unknown>, cluster: string): boolean {
  const clusters = source['clusters'];
  if (Array.isArray(clusters)) {
    return clusters.some(
      (entry) => entry === cluster || (typeof entry === 'string' && entry.endsWith(`:cluster/${cluster}`)),
    );
  }
  for (const [key, wanted] of [
    ['cluster_include', true],
    ['cluster_exclude', false],
  ] as const) {
    const text = source[key];
    if (typeof text !== 'string') continue;
    const compiled = compilePattern(text);
    if (compiled.ok && compiled.value.test(cluster) !== wanted) return false;
  }
  return true;
}

/** One line per problem of the `pools` section against `sources`. */
export function poolProblems(document: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const pools = Array.isArray(document['pools']) ? document['pools'] : [];
  const written = Array.isArray(document['sources']) ? document['sources'] : [];
  const sources = (written.length > 0 ? written : [{}]).map((source) => record(source) ?? {});
  const seen = new Map<string, number>();
  pools.forEach((pool: unknown, index: number) => {
    const fields = record(pool);
    if (fields === undefined) return;
    const name = fields['name'];
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first === undefined) seen.set(name, index);
      else
        problems.push(
          `pools[${index}].name: pool name ${show(name)} is also used by pools[${first}], expected unique names`,
        );
    }
    const ecs = record(record(fields['members'])?.['ecs']);
    if (ecs === undefined) return;
    const at = `pools[${index}].members.ecs`;
    const wanted = ecs['source'];
    const names = sources.map(sourceName);
    let source: Record<string, unknown> | undefined;
    if (wanted === undefined) {
      if (sources.length > 1) {
        problems.push(
          `${at}.source: nothing given while ${sources.length} sources are configured, expected the name of the source that reads the members' cluster (one of ${names.map(show).join(', ')})`,
        );
        return;
      }
      source = sources[0];
    } else {
      source = sources.find((candidate) => sourceName(candidate) === wanted);
      if (source === undefined) {
        problems.push(
          `${at}.source: ${show(wanted)} is not a configured source, expected one of ${names.map(show).join(', ')}`,
        );
        return;
      }
    }
    const cluster = ecs['cluster'];
    if (typeof cluster === 'string' && source !== undefined && !readsCluster(source, cluster)) {
      problems.push(
        `${at}.cluster: ${show(cluster)} is not read by source ${show(sourceName(source))}, expected a cluster the source reads (add it to its clusters, or widen cluster_include/cluster_exclude)`,
      );
    }
  });
  return problems;
}

/** The problem of an `ha.replicas` whose share of the rate budget is below a usable bucket, if any. */
export function replicasProblem(config: Pick<Config, 'rateBudget' | 'ha'>): string | undefined {
  const resolved = resolveBudget(config.rateBudget);
  if (resolved.ok) return undefined;
  const [problem] = resolved.problems;
  return `ha.replicas: ${config.ha.replicas} replicas leave each a rate_budget ${problem!.key} of ${problem!.value}, ${problem!.expected}; expected fewer replicas or a larger rate_budget`;
}

/** This replica's share of a rate budget: scale and every absolute override divided by the replicas. */
export function replicaShare(budget: Config['rateBudget'], replicas: number): Config['rateBudget'] {
  if (replicas === 1) return budget;
  const overrides: Config['rateBudget']['overrides'] = {};
  for (const [category, bucket] of Object.entries(budget.overrides)) {
    overrides[category as keyof typeof overrides] = {
      ...(bucket.burst === undefined ? {} : { burst: bucket.burst / replicas }),
      ...(bucket.refillPerSecond === undefined ? {} : { refillPerSecond: bucket.refillPerSecond / replicas }),
    };
  }
  return { scale: budget.scale / replicas, overrides };
}
