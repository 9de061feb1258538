/**
 * I/O only: reads one source's clusters into one `ClusterSnapshot` per cluster per refresh (or
 * `unchanged` when the task list is the one whose decisions are final), with batching at each
 * API's limit and caches that make an unchanged refresh cost ListTasks calls only:
 * cluster descriptions (max age), tasks whose decision was complete (by task ARN), task
 * definitions (by revision ARN, forever), container instances and hosts (by ARN / instance id,
 * evicted when a refresh did not use them).
 */
import type { Instance } from '@aws-sdk/client-ec2';
import {
  type Cluster,
  type ContainerInstance,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type Failure,
  paginateListClusters,
  paginateListServices,
  paginateListTasks,
  type Service,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { Logger } from 'pino';
import { clusterSelected, type SourceConfig } from '../config/types.ts';
import type { ClusterSnapshot, HostInfo, TaskDecision } from '../discovery/types.ts';
import { AwsReadError } from '../errors.ts';
import { accountFromArn, clusterNameFromArn } from '../lib/arn.ts';
import {
  DESCRIBE_CLUSTERS_MAX,
  DESCRIBE_CONTAINER_INSTANCES_MAX,
  DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE,
  DESCRIBE_INSTANCES_IDS_MAX,
  DESCRIBE_SERVICES_MAX,
  DESCRIBE_TASKS_MAX,
  LIST_CLUSTERS_PAGE_SIZE,
  LIST_SERVICES_PAGE_SIZE,
  LIST_TASKS_PAGE_SIZE,
} from '../lib/aws-limits.ts';
import type { Metrics } from '../metrics.ts';
import { BoundedCache, type CacheLookupListener } from './cache.ts';
import type { SourceClients } from './clients.ts';
import { abortable } from './timeouts.ts';

/** DescribeTaskDefinition takes one task definition per call; this many run at once. */
export const DESCRIBE_TASK_DEFINITION_CONCURRENCY = 4;

/** Cluster descriptions (tags, status) are re-read after this long: cluster tags rarely change. */
export const CLUSTER_DESCRIPTION_MAX_AGE_MS = 5 * 60_000;
/**
 * A cached task is described again after this long anyway: its address and bindings do not change
 * while it runs, but healthStatus and tags can.
 */
export const TASK_DESCRIPTION_MAX_AGE_MS = 10 * 60_000;
/** Bound of the task definition cache (revision ARNs are immutable, so only memory limits it). */
export const TASK_DEFINITION_CACHE_MAX = 5000;
/** Bound of each per-cluster cache (tasks, container instances, hosts). */
export const CLUSTER_CACHE_MAX = 50_000;

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

/** The outcome of reading one cluster: a snapshot, or `gone` (ClusterNotFoundException). */
export type ClusterFetch =
  /**
   * A snapshot of the tasks described this refresh; `keep` names the cached tasks (still listed,
   * decisions final) whose last decisions stand without deciding them again.
   */
  | { kind: 'ok'; snapshot: ClusterSnapshot; keep: ReadonlySet<string>; listed: readonly string[] }
  | { kind: 'gone' }
  /** Same tasks (all cached), same cluster tags, no services read: the last decisions still hold. */
  | { kind: 'unchanged'; listed: readonly string[] };

/**
 * Skip reasons that mean "the data was not all there", not "the task is not scrapeable": a task
 * skipped for one of these is described again, and its cluster is decided again next refresh.
 */
export const RETRYABLE_SKIP_REASONS: ReadonlySet<string> = new Set([
  'task-missing-fields',
  'task-definition-missing',
  'container-instance-missing',
  'host-missing',
  'no-address',
  'binding-not-assigned-yet',
]);

/** True when a decision or one of its containers was skipped for a retryable reason. */
export function hasRetryableSkip(decision: TaskDecision): boolean {
  if (decision.skip !== undefined && RETRYABLE_SKIP_REASONS.has(decision.skip.reason)) return true;
  return decision.containers.some((container) =>
    container.skips.some((skip) => RETRYABLE_SKIP_REASONS.has(skip.reason)),
  );
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** Options of a fetcher. */
export interface FetcherOptions {
  /** Read services (ListServices + DescribeServices): only when a feature needs them. */
  includeServices: boolean;
  /**
   * Aborts calls that several clusters' reads share (a task definition two clusters wait for), so
   * one cluster's deadline never fails another: the daemon stopping. Each read passes its own signal.
   */
  signal?: AbortSignal;
}

/** The options of `client.send` for a signal: every call of a read is aborted with it. */
function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** Splits a list into batches of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let index = 0; index < items.length; index += size) out.push(items.slice(index, index + size));
  return out;
}

/** Maps with at most `limit` promises in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function tagRecord(tags: readonly { key?: string; value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.key !== undefined) out[tag.key] = tag.value ?? '';
  return out;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function isMissing(failure: Failure): boolean {
  return failure.reason === 'MISSING';
}

/** The host of an EC2 instance, as the snapshot carries it. */
export function hostFromEc2(instance: Instance): HostInfo {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  const host: HostInfo = { ec2InstanceId: instance.InstanceId!, source: 'ec2', tags };
  if (instance.PrivateIpAddress !== undefined) host.privateIpAddress = instance.PrivateIpAddress;
  const ipv6 =
    instance.Ipv6Address ??
    instance.NetworkInterfaces?.flatMap((eni) => eni.Ipv6Addresses ?? [])[0]?.Ipv6Address;
  if (ipv6 !== undefined) host.ipv6Address = ipv6;
  if (instance.PublicIpAddress !== undefined) host.publicIpAddress = instance.PublicIpAddress;
  if (instance.InstanceType !== undefined) host.instanceType = instance.InstanceType;
  if (instance.Placement?.AvailabilityZone !== undefined)
    host.availabilityZone = instance.Placement.AvailabilityZone;
  if (instance.SubnetId !== undefined) host.subnetId = instance.SubnetId;
  return host;
}

/** A task as DescribeTasks returned it, with the time it was read. */
interface DescribedTask {
  task: Task;
  readAt: number;
}

/**
 * A cached task: when it was described and the container instance it runs on (kept in use). The
 * task itself is kept only when services are read (service labels can change, so every task is
 * decided again each refresh); otherwise its last decision stands and the task is not held in memory.
 */
interface CachedTask {
  readAt: number;
  containerInstanceArn: string | undefined;
  task?: Task;
  /** The task's tags, when it has any: ECS events carry none, so an event's copy of the task takes these. */
  tags?: Task['tags'];
}

/** Per-cluster caches: every key belongs to the cluster, so a removed cluster drops them all. */
interface ClusterCaches {
  /** Tasks by task ARN, only those whose decision was complete (a RUNNING task's address and bindings do not change). */
  tasks: BoundedCache<string, CachedTask>;
  /** Tasks described in the last refresh, awaiting their decisions (`settle`). */
  described: Map<string, DescribedTask>;
  /** Container instances by containerInstanceArn; evicted when no task used them in a refresh. */
  containerInstances: BoundedCache<string, ContainerInstance>;
  /** Hosts by ec2InstanceId (i-… or mi-…); evicted when no container instance used them in a refresh. */
  hosts: BoundedCache<string, HostInfo>;
  /** Task ARNs and cluster tags of the refresh in progress, awaiting `settle`. */
  listed: { arns: readonly string[]; tags: Readonly<Record<string, string>> } | undefined;
  /** Cluster tags of the last decisions: when they change, every task is decided again. */
  decidedTags: Readonly<Record<string, string>> | undefined;
  /** Services of the last poll (only when services are read): events are decided with these. */
  services: Map<string, Service> | undefined;
  /** Task ARNs and cluster tags whose decisions are all final: an identical listing needs no new decisions. */
  settled: { arns: ReadonlySet<string>; tags: Readonly<Record<string, string>> } | undefined;
}

/** Reads one source: selects its clusters and snapshots each; keeps the caches between refreshes. */
export class SourceFetcher {
  readonly source: SourceConfig;
  readonly #clients: SourceClients;
  readonly #metrics: Pick<Metrics, 'cacheRequests'>;
  readonly #log: Logger;
  readonly #options: FetcherOptions;
  readonly #onLookup: CacheLookupListener;
  /** Cluster descriptions by the configured name/ARN or the listed ARN, with the time they were read. */
  readonly #clusterDescriptions = new Map<string, { cluster: Cluster; readAt: number }>();
  /** Task definitions by revision ARN: immutable, so cached forever (bounded by LRU). */
  readonly #taskDefinitions: BoundedCache<string, TaskDefinition>;
  readonly #taskDefinitionsInFlight = new Map<string, Promise<TaskDefinition | undefined>>();
  readonly #clusters = new Map<string, ClusterCaches>();
  readonly #now: () => number;

  constructor(
    source: SourceConfig,
    clients: SourceClients,
    metrics: Pick<Metrics, 'cacheRequests'>,
    log: Logger,
    options: FetcherOptions,
    now: () => number = Date.now,
  ) {
    this.source = source;
    this.#clients = clients;
    this.#metrics = metrics;
    this.#log = log;
    this.#options = options;
    this.#now = now;
    this.#onLookup = (cache, result) => this.#metrics.cacheRequests.inc({ cache, result });
    this.#taskDefinitions = new BoundedCache('task_definition', TASK_DEFINITION_CACHE_MAX, this.#onLookup);
  }

  /**
   * The clusters to read this refresh: configured (DescribeClusters) or listed (ListClusters),
   * filtered by name. `signal` aborts every call. Throws AwsReadError.
   */
  async selectClusters(signal?: AbortSignal): Promise<ClusterSelection> {
    const identifiers = this.source.clusters ?? (await this.#listClusterArns(signal));
    const wanted = identifiers.filter((id) => clusterSelected(this.source, clusterNameFromArn(id)));
    const now = this.#now();
    const stale = wanted.filter((id) => {
      const cached = this.#clusterDescriptions.get(id);
      const fresh = cached !== undefined && now - cached.readAt < CLUSTER_DESCRIPTION_MAX_AGE_MS;
      this.#metrics.cacheRequests.inc({ cache: 'cluster', result: fresh ? 'hit' : 'miss' });
      return !fresh;
    });
    const missing = new Set<string>();
    for (const batch of chunk(stale, DESCRIBE_CLUSTERS_MAX)) {
      const output = await this.#call(
        'DescribeClusters',
        `describe clusters failed for source "${this.source.name}"`,
        () =>
          this.#clients.ecs.send(
            new DescribeClustersCommand({ clusters: batch, include: ['TAGS'] }),
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
        if (cluster === undefined) {
          missing.add(id);
          this.#clusterDescriptions.delete(id);
        } else {
          this.#clusterDescriptions.set(id, { cluster, readAt: now });
        }
      }
      for (const failure of output.failures ?? []) {
        if (!isMissing(failure)) {
          this.#log.warn(
            { arn: failure.arn, reason: failure.reason },
            'describe clusters reported a failure',
          );
        }
      }
    }
    for (const id of [...this.#clusterDescriptions.keys()]) {
      if (!wanted.includes(id)) this.#clusterDescriptions.delete(id);
    }
    const clusters: ClusterRef[] = [];
    for (const id of wanted) {
      const cluster = this.#clusterDescriptions.get(id)?.cluster;
      if (cluster === undefined || cluster.status === 'INACTIVE' || cluster.clusterArn === undefined) {
        missing.add(id);
        continue;
      }
      clusters.push({
        clusterArn: cluster.clusterArn,
        clusterName: cluster.clusterName ?? clusterNameFromArn(cluster.clusterArn),
        tags: tagRecord(cluster.tags),
      });
    }
    return { clusters, missing: [...missing] };
  }

  async #listClusterArns(signal: AbortSignal | undefined): Promise<string[]> {
    const arns: string[] = [];
    await this.#call('ListClusters', `list clusters failed for source "${this.source.name}"`, async () => {
      for await (const page of paginateListClusters(
        { client: this.#clients.ecs, pageSize: LIST_CLUSTERS_PAGE_SIZE },
        {},
        sendOptions(signal),
      )) {
        arns.push(...(page.clusterArns ?? []));
      }
    });
    return arns;
  }

  #caches(clusterArn: string): ClusterCaches {
    let caches = this.#clusters.get(clusterArn);
    if (caches === undefined) {
      caches = {
        tasks: new BoundedCache('task', CLUSTER_CACHE_MAX, this.#onLookup),
        described: new Map(),
        containerInstances: new BoundedCache('container_instance', CLUSTER_CACHE_MAX, this.#onLookup),
        hosts: new BoundedCache('host', CLUSTER_CACHE_MAX, this.#onLookup),
        listed: undefined,
        decidedTags: undefined,
        services: undefined,
        settled: undefined,
      };
      this.#clusters.set(clusterArn, caches);
    }
    return caches;
  }

  /**
   * Reads one cluster into a snapshot; `gone` when ECS says the cluster does not exist. `signal`
   * aborts every call of the read (its deadline, the daemon stopping). Throws AwsReadError.
   */
  async fetchCluster(cluster: ClusterRef, signal?: AbortSignal): Promise<ClusterFetch> {
    const { clusterArn, clusterName } = cluster;
    const caches = this.#caches(clusterArn);
    const what = (action: string) =>
      `${action} failed for cluster "${clusterName}" of source "${this.source.name}"`;

    let taskArns: string[];
    try {
      taskArns = await this.#listTaskArns(clusterArn, signal);
    } catch (error) {
      if (error instanceof AwsReadError && error.awsCode === 'ClusterNotFoundException')
        return { kind: 'gone' };
      throw error;
    }

    const tasks: Task[] = [];
    const toDescribe: string[] = [];
    const keep = new Set<string>();
    const keptInstances = new Set<string>();
    const now = this.#now();
    const fresh = (entry: CachedTask) => now - entry.readAt < TASK_DESCRIPTION_MAX_AGE_MS;
    // Changed cluster tags change every target's labels: decide every task again, from a fresh read.
    if (caches.decidedTags !== undefined && !sameTags(caches.decidedTags, cluster.tags))
      caches.tasks.retainOnly(new Set());
    for (const arn of taskArns) {
      const cached = caches.tasks.get(arn, fresh);
      if (cached === undefined) toDescribe.push(arn);
      else if (cached.task !== undefined) tasks.push(cached.task);
      else {
        keep.add(arn);
        if (cached.containerInstanceArn !== undefined) keptInstances.add(cached.containerInstanceArn);
      }
    }
    caches.tasks.retainOnly(new Set(taskArns));
    caches.described.clear();
    caches.listed = { arns: taskArns, tags: cluster.tags };
    const settled = caches.settled;
    if (
      toDescribe.length === 0 &&
      !this.#options.includeServices &&
      settled !== undefined &&
      settled.arns.size === taskArns.length &&
      taskArns.every((arn) => settled.arns.has(arn)) &&
      sameTags(settled.tags, cluster.tags)
    ) {
      return { kind: 'unchanged', listed: taskArns };
    }
    for (const batch of chunk(toDescribe, DESCRIBE_TASKS_MAX)) {
      const output = await this.#call('DescribeTasks', what('describe tasks'), () =>
        this.#clients.ecs.send(
          new DescribeTasksCommand({ cluster: clusterArn, tasks: batch, include: ['TAGS'] }),
          sendOptions(signal),
        ),
      );
      for (const task of output.tasks ?? []) {
        tasks.push(task);
        if (task.taskArn !== undefined) caches.described.set(task.taskArn, { task, readAt: now });
      }
      for (const failure of output.failures ?? []) {
        this.#log.debug(
          { cluster: clusterName, arn: failure.arn, reason: failure.reason },
          'task not described',
        );
      }
    }

    const snapshot = await this.#snapshot(cluster, tasks, caches, what, keptInstances, signal);
    if (this.#options.includeServices) {
      caches.services = await this.#readServices(clusterArn, what, signal);
      snapshot.services = caches.services;
    }
    return { kind: 'ok', snapshot, keep, listed: taskArns };
  }

  /** The snapshot of some tasks of a cluster: task definitions, container instances and hosts through the caches. */
  async #snapshot(
    cluster: ClusterRef,
    tasks: Task[],
    caches: ClusterCaches,
    what: (action: string) => string,
    keptInstances: ReadonlySet<string>,
    signal: AbortSignal | undefined,
  ): Promise<ClusterSnapshot> {
    const { clusterArn, clusterName } = cluster;
    const taskDefinitions = await this.#readTaskDefinitions(tasks, what, signal);
    const containerInstances = await this.#readContainerInstances(
      clusterArn,
      tasks,
      caches,
      what,
      keptInstances,
      signal,
    );
    const keptHosts = new Set<string>();
    for (const arn of keptInstances) {
      const id = caches.containerInstances.peek(arn)?.ec2InstanceId;
      if (id !== undefined && id !== '') keptHosts.add(id);
    }
    const hosts = await this.#readHosts([...containerInstances.values()], caches, what, keptHosts, signal);
    const snapshot: ClusterSnapshot = {
      source: this.source.name,
      region: await this.#clients.region(),
      clusterArn,
      clusterName,
      clusterTags: cluster.tags,
      tasks,
      taskDefinitions,
      containerInstances,
      hosts,
    };
    const accountId = accountFromArn(clusterArn);
    if (accountId !== undefined) snapshot.accountId = accountId;
    return snapshot;
  }

  /** The selected cluster with this ARN as last described, if a refresh read it. */
  clusterRef(clusterArn: string): ClusterRef | undefined {
    for (const { cluster } of this.#clusterDescriptions.values()) {
      if (cluster.clusterArn !== clusterArn) continue;
      return {
        clusterArn,
        clusterName: cluster.clusterName ?? clusterNameFromArn(clusterArn),
        tags: tagRecord(cluster.tags),
      };
    }
    return undefined;
  }

  /**
   * The snapshot of tasks that events reported, with no ECS call for what the caches know: task
   * definitions, container instances and hosts are read only when missing, through the same caches
   * (and rate budget) as a poll. An event's task has no tags; the tags a poll read are put back.
   * Services are those of the last poll. `signal` aborts every call. Throws AwsReadError.
   */
  async eventSnapshot(
    cluster: ClusterRef,
    tasks: readonly Task[],
    signal?: AbortSignal,
  ): Promise<ClusterSnapshot> {
    const caches = this.#caches(cluster.clusterArn);
    const what = (action: string) =>
      `${action} failed for cluster "${cluster.clusterName}" of source "${this.source.name}" (events)`;
    const withTags = tasks.map((task) => {
      if (task.tags !== undefined || task.taskArn === undefined) return task;
      const tags = caches.tasks.peek(task.taskArn)?.tags;
      return tags === undefined ? task : { ...task, tags };
    });
    // Instances of the cluster's other cached tasks stay in use: nothing they need is evicted.
    const inUse = new Set<string>();
    for (const entry of caches.tasks.values()) {
      if (entry.containerInstanceArn !== undefined) inUse.add(entry.containerInstanceArn);
    }
    const snapshot = await this.#snapshot(cluster, withTags, caches, what, inUse, signal);
    if (caches.services !== undefined) snapshot.services = caches.services;
    return snapshot;
  }

  /**
   * Records the decisions of tasks that events changed, and the tasks they removed: a RUNNING task
   * with a final decision is cached as if described now (a poll does not describe it again), and the
   * listing an unchanged poll compares with follows the change.
   */
  settleEvents(
    clusterArn: string,
    decided: readonly { decision: TaskDecision; task: Task }[],
    removed: Iterable<string>,
  ): void {
    const caches = this.#clusters.get(clusterArn);
    if (caches === undefined) return;
    const now = this.#now();
    const settled = caches.settled === undefined ? undefined : new Set(caches.settled.arns);
    let final = settled !== undefined;
    for (const arn of removed) {
      caches.tasks.delete(arn);
      settled?.delete(arn);
    }
    for (const { decision, task } of decided) {
      const retry = hasRetryableSkip(decision);
      if (!decision.incomplete && decision.lastStatus === 'RUNNING' && !retry) {
        caches.tasks.set(decision.taskArn, this.#cached(task, now));
      } else {
        caches.tasks.delete(decision.taskArn);
      }
      if (decision.incomplete || retry) final = false;
      settled?.add(decision.taskArn);
    }
    caches.settled =
      final && settled !== undefined && caches.settled !== undefined
        ? { arns: settled, tags: caches.settled.tags }
        : undefined;
  }

  /** True when a poll or an event apply cached this task (its tags, if any, are known). */
  knowsTask(clusterArn: string, taskArn: string): boolean {
    return this.#clusters.get(clusterArn)?.tasks.peek(taskArn) !== undefined;
  }

  /** DescribeTasks (with tags) of some tasks of a cluster, in batches of 100; `signal` aborts. Throws AwsReadError. */
  async describeTasks(
    clusterArn: string,
    taskArns: readonly string[],
    signal?: AbortSignal,
  ): Promise<Task[]> {
    const tasks: Task[] = [];
    for (const batch of chunk(taskArns, DESCRIBE_TASKS_MAX)) {
      const output = await this.#call(
        'DescribeTasks',
        `describe tasks failed for cluster "${clusterNameFromArn(clusterArn)}" of source "${this.source.name}" (events)`,
        () =>
          this.#clients.ecs.send(
            new DescribeTasksCommand({ cluster: clusterArn, tasks: batch, include: ['TAGS'] }),
            sendOptions(signal),
          ),
      );
      tasks.push(...(output.tasks ?? []));
    }
    return tasks;
  }

  /** Takes a container instance that an event reported (attributes, status) into the cache, or drops one that left. */
  applyContainerInstance(clusterArn: string, instance: ContainerInstance | string): void {
    const caches = this.#clusters.get(clusterArn);
    if (caches === undefined) return;
    if (typeof instance === 'string') caches.containerInstances.delete(instance);
    else if (
      instance.containerInstanceArn !== undefined &&
      caches.containerInstances.peek(instance.containerInstanceArn) !== undefined
    )
      caches.containerInstances.set(instance.containerInstanceArn, instance);
  }

  #cached(task: Task, readAt: number): CachedTask {
    return {
      readAt,
      containerInstanceArn: task.containerInstanceArn,
      ...(this.#options.includeServices ? { task } : {}),
      ...(task.tags !== undefined && task.tags.length > 0 ? { tags: task.tags } : {}),
    };
  }

  /**
   * Records the decisions of the last snapshot of a cluster: tasks RUNNING with a complete decision
   * are cached and not described again (for TASK_DESCRIPTION_MAX_AGE_MS); any other task is
   * described again next refresh.
   */
  settle(clusterArn: string, decisions: readonly TaskDecision[]): void {
    const caches = this.#clusters.get(clusterArn);
    if (caches === undefined) return;
    let final = true;
    for (const decision of decisions) {
      const retry = hasRetryableSkip(decision);
      if (!decision.incomplete && decision.lastStatus === 'RUNNING' && !retry) {
        const described = caches.described.get(decision.taskArn);
        if (described !== undefined)
          caches.tasks.set(decision.taskArn, this.#cached(described.task, described.readAt));
      } else {
        caches.tasks.delete(decision.taskArn);
      }
      if (decision.incomplete || retry) final = false;
    }
    caches.decidedTags = caches.listed?.tags;
    caches.settled =
      final && caches.listed !== undefined
        ? { arns: new Set(caches.listed.arns), tags: caches.listed.tags }
        : undefined;
    caches.listed = undefined;
    caches.described.clear();
  }

  /** Drops every cache of a cluster that is gone or no longer selected, its description included (re-read next refresh). */
  forget(clusterArn: string): void {
    this.#clusters.delete(clusterArn);
    for (const [id, { cluster }] of this.#clusterDescriptions) {
      if (cluster.clusterArn === clusterArn) this.#clusterDescriptions.delete(id);
    }
  }

  async #listTaskArns(clusterArn: string, signal: AbortSignal | undefined): Promise<string[]> {
    const arns: string[] = [];
    await this.#call(
      'ListTasks',
      `list tasks failed for cluster "${clusterNameFromArn(clusterArn)}" of source "${this.source.name}"`,
      async () => {
        for await (const page of paginateListTasks(
          { client: this.#clients.ecs, pageSize: LIST_TASKS_PAGE_SIZE },
          { cluster: clusterArn, desiredStatus: 'RUNNING' },
          sendOptions(signal),
        )) {
          arns.push(...(page.taskArns ?? []));
        }
      },
    );
    return arns;
  }

  async #readTaskDefinitions(
    tasks: readonly Task[],
    what: (action: string) => string,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, TaskDefinition>> {
    const arns = [...new Set(tasks.map((task) => task.taskDefinitionArn).filter((arn) => arn !== undefined))];
    const out = new Map<string, TaskDefinition>();
    const misses: string[] = [];
    for (const arn of arns) {
      const cached = this.#taskDefinitions.get(arn);
      if (cached === undefined) misses.push(arn);
      else out.set(arn, cached);
    }
    await mapLimit(misses, DESCRIBE_TASK_DEFINITION_CONCURRENCY, async (arn) => {
      // Clusters refresh concurrently: a revision another cluster is describing right now is awaited, not described twice.
      // The shared call is not aborted by this read's signal (another cluster may wait for it); the wait is.
      let pending = this.#taskDefinitionsInFlight.get(arn);
      if (pending === undefined) {
        pending = this.#describeTaskDefinition(arn, what).finally(() =>
          this.#taskDefinitionsInFlight.delete(arn),
        );
        this.#taskDefinitionsInFlight.set(arn, pending);
        // A read that stopped waiting leaves no unhandled rejection behind.
        pending.catch(() => {});
      }
      const taskDefinition = await abortable(pending, signal);
      if (taskDefinition !== undefined) out.set(arn, taskDefinition);
    });
    return out;
  }

  async #describeTaskDefinition(
    arn: string,
    what: (action: string) => string,
  ): Promise<TaskDefinition | undefined> {
    try {
      const output = await this.#clients.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: arn }),
        sendOptions(this.#options.signal),
      );
      if (output.taskDefinition !== undefined) this.#taskDefinitions.set(arn, output.taskDefinition);
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

  async #readContainerInstances(
    clusterArn: string,
    tasks: readonly Task[],
    caches: ClusterCaches,
    what: (action: string) => string,
    /** Container instances of kept tasks: not read, not in the snapshot, but in use (not evicted). */
    kept: ReadonlySet<string>,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, ContainerInstance>> {
    const arns = new Set(tasks.map((task) => task.containerInstanceArn).filter((arn) => arn !== undefined));
    const out = new Map<string, ContainerInstance>();
    const misses: string[] = [];
    for (const arn of arns) {
      const cached = caches.containerInstances.get(arn);
      if (cached === undefined) misses.push(arn);
      else out.set(arn, cached);
    }
    caches.containerInstances.retainOnly(new Set([...arns, ...kept]));
    for (const batch of chunk(misses, DESCRIBE_CONTAINER_INSTANCES_MAX)) {
      const output = await this.#call(
        'DescribeContainerInstances',
        what('describe container instances'),
        () =>
          this.#clients.ecs.send(
            new DescribeContainerInstancesCommand({ cluster: clusterArn, containerInstances: batch }),
            sendOptions(signal),
          ),
      );
      for (const instance of output.containerInstances ?? []) {
        if (instance.containerInstanceArn === undefined) continue;
        caches.containerInstances.set(instance.containerInstanceArn, instance);
        out.set(instance.containerInstanceArn, instance);
      }
    }
    return out;
  }

  async #readHosts(
    containerInstances: readonly ContainerInstance[],
    caches: ClusterCaches,
    what: (action: string) => string,
    /** Hosts of kept tasks: in use, so not evicted. */
    kept: ReadonlySet<string>,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, HostInfo>> {
    const ids = new Set(
      containerInstances
        .map((instance) => instance.ec2InstanceId)
        .filter((id) => id !== undefined && id !== ''),
    ) as Set<string>;
    const out = new Map<string, HostInfo>();
    const ec2Misses: string[] = [];
    const ssmMisses: string[] = [];
    for (const id of ids) {
      const cached = caches.hosts.get(id);
      if (cached !== undefined) out.set(id, cached);
      else if (id.startsWith('mi-')) ssmMisses.push(id);
      else ec2Misses.push(id);
    }
    caches.hosts.retainOnly(new Set([...ids, ...kept]));
    const found: HostInfo[] = [];
    for (const batch of chunk(ec2Misses, DESCRIBE_INSTANCES_IDS_MAX)) {
      found.push(...(await this.#describeInstances(batch, what, signal)));
    }
    for (const batch of chunk(ssmMisses, DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE)) {
      await this.#call('DescribeInstanceInformation', what('describe instance information'), async () => {
        const { paginateDescribeInstanceInformation } = await import('@aws-sdk/client-ssm');
        const ssm = await this.#clients.ssm();
        for await (const page of paginateDescribeInstanceInformation(
          { client: ssm, pageSize: DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE },
          { Filters: [{ Key: 'InstanceIds', Values: batch }] },
          sendOptions(signal),
        )) {
          for (const info of page.InstanceInformationList ?? []) {
            if (info.InstanceId === undefined) continue;
            const host: HostInfo = { ec2InstanceId: info.InstanceId, source: 'ssm', tags: {} };
            if (info.IPAddress !== undefined) {
              if (info.IPAddress.includes(':')) host.ipv6Address = info.IPAddress;
              else host.privateIpAddress = info.IPAddress;
            }
            found.push(host);
          }
        }
      });
    }
    for (const host of found) {
      caches.hosts.set(host.ec2InstanceId, host);
      out.set(host.ec2InstanceId, host);
    }
    return out;
  }

  /** DescribeInstances by InstanceIds; one unknown id fails the whole call, so then each id is read alone. */
  async #describeInstances(
    ids: readonly string[],
    what: (action: string) => string,
    signal: AbortSignal | undefined,
  ): Promise<HostInfo[]> {
    const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
    const ec2 = await this.#clients.ec2();
    const read = async (batch: readonly string[]) => {
      const hosts: HostInfo[] = [];
      let nextToken: string | undefined;
      do {
        const output = await ec2.send(
          new DescribeInstancesCommand({
            InstanceIds: [...batch],
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
          sendOptions(signal),
        );
        for (const reservation of output.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            if (instance.InstanceId !== undefined) hosts.push(hostFromEc2(instance));
          }
        }
        nextToken = output.NextToken;
      } while (nextToken);
      return hosts;
    };
    try {
      return await read(ids);
    } catch (error) {
      if (!errorName(error).startsWith('InvalidInstanceID'))
        throw new AwsReadError(what('describe instances'), error, 'DescribeInstances');
    }
    const hosts: HostInfo[] = [];
    for (const id of ids) {
      try {
        hosts.push(...(await read([id])));
      } catch (error) {
        if (!errorName(error).startsWith('InvalidInstanceID'))
          throw new AwsReadError(what('describe instances'), error, 'DescribeInstances');
        this.#log.debug({ ec2InstanceId: id }, 'ec2 instance not found');
      }
    }
    return hosts;
  }

  async #readServices(
    clusterArn: string,
    what: (action: string) => string,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, Service>> {
    const arns: string[] = [];
    await this.#call('ListServices', what('list services'), async () => {
      for await (const page of paginateListServices(
        { client: this.#clients.ecs, pageSize: LIST_SERVICES_PAGE_SIZE },
        { cluster: clusterArn },
        sendOptions(signal),
      )) {
        arns.push(...(page.serviceArns ?? []));
      }
    });
    const out = new Map<string, Service>();
    for (const batch of chunk(arns, DESCRIBE_SERVICES_MAX)) {
      const output = await this.#call('DescribeServices', what('describe services'), () =>
        this.#clients.ecs.send(
          new DescribeServicesCommand({ cluster: clusterArn, services: batch, include: ['TAGS'] }),
          sendOptions(signal),
        ),
      );
      for (const service of output.services ?? []) {
        if (service.serviceName !== undefined) out.set(service.serviceName, service);
      }
    }
    return out;
  }

  /** Runs the calls of one API operation, wrapping a failure as AwsReadError with `message` and the operation. */
  async #call<T>(operation: string, message: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof AwsReadError) throw error;
      throw new AwsReadError(message, error, operation);
    }
  }
}
