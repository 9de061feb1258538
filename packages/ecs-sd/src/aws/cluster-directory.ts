/**
 * Which clusters a source reads, and their tags: the one place ecs-sd holds a cluster's
 * description. Configured clusters are named; otherwise ListClusters lists them every refresh (the
 * floor). A cluster is described (DescribeClusters, 100 per call, with tags) when it is first
 * selected and then only when `rereadAfterMs` asks (`cluster_reread_interval`); a cluster
 * DescribeClusters did not report ACTIVE (a configured one that is missing or deleted) is described
 * again every refresh, so it is picked up once it exists.
 */
import { type Cluster, DescribeClustersCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { Logger } from 'pino';
import { clusterSelected, type SourceConfig } from '../config/types.ts';
import { clusterNameFromArn } from '../lib/arn.ts';
import { DESCRIBE_CLUSTERS_MAX } from '../lib/aws-limits.ts';
import { chunk } from '../lib/batch.ts';
import type { Metrics } from '../metrics.ts';
import { awsCall, sendOptions } from './calls.ts';
import { listClusterArns } from './ecs-reads.ts';

/** A cluster a source selected, as DescribeClusters returned it. */
export interface ClusterRef {
  clusterArn: string;
  clusterName: string;
  tags: Readonly<Record<string, string>>;
}

/** The outcome of selecting a source's clusters: the clusters, and those reported gone. */
export interface ClusterSelection {
  clusters: ClusterRef[];
  /** Configured clusters that DescribeClusters reported MISSING or INACTIVE. */
  missing: string[];
}

/** Options of a directory. */
export interface ClusterDirectoryOptions {
  /** Describe a known cluster again once its description is this old (`cluster_reread_interval`); undefined: never. */
  rereadAfterMs?: number | undefined;
  /** Milliseconds clock. @default Date.now */
  now?: () => number;
}

function tagRecord(tags: readonly { key?: string; value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.key !== undefined) out[tag.key] = tag.value ?? '';
  return out;
}

function refOf(cluster: Cluster): ClusterRef | undefined {
  if (cluster.status === 'INACTIVE' || cluster.clusterArn === undefined) return undefined;
  return {
    clusterArn: cluster.clusterArn,
    clusterName: cluster.clusterName ?? clusterNameFromArn(cluster.clusterArn),
    tags: tagRecord(cluster.tags),
  };
}

/** The selected clusters of one source and their descriptions, by configured name/ARN or listed ARN. */
export class ClusterDirectory {
  readonly #source: SourceConfig;
  readonly #ecs: ECSClient;
  readonly #metrics: Pick<Metrics, 'cacheRequests'>;
  readonly #log: Logger;
  readonly #rereadAfterMs: number | undefined;
  readonly #now: () => number;
  /** ACTIVE clusters by the identifier they were selected by, with the time they were described. */
  readonly #described = new Map<string, { ref: ClusterRef; readAt: number }>();

  constructor(
    source: SourceConfig,
    ecs: ECSClient,
    metrics: Pick<Metrics, 'cacheRequests'>,
    log: Logger,
    options: ClusterDirectoryOptions = {},
  ) {
    this.#source = source;
    this.#ecs = ecs;
    this.#metrics = metrics;
    this.#log = log;
    this.#rereadAfterMs = options.rereadAfterMs;
    this.#now = options.now ?? Date.now;
  }

  /** The clusters to read this refresh, filtered by name. `signal` aborts every call. Throws AwsReadError. */
  async select(signal?: AbortSignal): Promise<ClusterSelection> {
    const source = this.#source.name;
    const identifiers =
      this.#source.clusters ??
      (await listClusterArns(this.#ecs, (action) => `${action} failed for source "${source}"`, signal));
    const wanted = identifiers.filter((id) => clusterSelected(this.#source, clusterNameFromArn(id)));
    const now = this.#now();
    const due = wanted.filter((id) => {
      const known = this.#described.get(id);
      const fresh =
        known !== undefined &&
        (this.#rereadAfterMs === undefined || now - known.readAt < this.#rereadAfterMs);
      this.#metrics.cacheRequests.inc({ cache: 'cluster', result: fresh ? 'hit' : 'miss' });
      return !fresh;
    });
    for (const batch of chunk(due, DESCRIBE_CLUSTERS_MAX)) await this.#describe(batch, now, signal);
    const kept = new Set(wanted);
    for (const id of [...this.#described.keys()]) if (!kept.has(id)) this.#described.delete(id);
    const clusters: ClusterRef[] = [];
    const missing: string[] = [];
    for (const id of wanted) {
      const ref = this.#described.get(id)?.ref;
      if (ref === undefined) missing.push(id);
      else clusters.push(ref);
    }
    return { clusters, missing };
  }

  async #describe(batch: readonly string[], now: number, signal: AbortSignal | undefined): Promise<void> {
    const output = await awsCall(
      'DescribeClusters',
      `describe clusters failed for source "${this.#source.name}"`,
      () =>
        this.#ecs.send(
          new DescribeClustersCommand({ clusters: [...batch], include: ['TAGS'] }),
          sendOptions(signal),
        ),
    );
    const byKey = new Map<string, Cluster>();
    for (const cluster of output.clusters ?? []) {
      if (cluster.clusterArn !== undefined) byKey.set(cluster.clusterArn, cluster);
      if (cluster.clusterName !== undefined) byKey.set(cluster.clusterName, cluster);
    }
    for (const id of batch) {
      const cluster = byKey.get(id);
      const ref = cluster === undefined ? undefined : refOf(cluster);
      if (ref === undefined) this.#described.delete(id);
      else this.#described.set(id, { ref, readAt: now });
    }
    for (const failure of output.failures ?? []) {
      if (failure.reason !== 'MISSING')
        this.#log.warn({ arn: failure.arn, reason: failure.reason }, 'describe clusters reported a failure');
    }
  }

  /** The selected cluster with this ARN as last described, if a refresh read it. */
  ref(clusterArn: string): ClusterRef | undefined {
    for (const { ref } of this.#described.values()) if (ref.clusterArn === clusterArn) return ref;
    return undefined;
  }

  /** Drops the description of a cluster that is gone or no longer selected (described again if selected again). */
  forget(clusterArn: string): void {
    for (const [id, { ref }] of this.#described)
      if (ref.clusterArn === clusterArn) this.#described.delete(id);
  }
}
