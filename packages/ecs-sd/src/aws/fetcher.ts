/**
 * I/O only: reads one source's clusters into `ClusterSnapshot`s, describing exactly the tasks it is
 * told to (the describe plan of discovery/describe-plan.ts decides which), with batching at each
 * API's limit and caches that make a steady refresh cost ListTasks calls only: cluster
 * descriptions (cluster-directory.ts), task definitions by revision ARN (forever), tasks as last
 * described, container instances and hosts (evicted when a refresh did not use them). Hosts missing
 * from the cache are read through a loader the caller may share between clusters (host-batch.ts).
 */
import type { ContainerInstance, Task } from '@aws-sdk/client-ecs';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/types.ts';
import type { ClusterSnapshot, HostInfo } from '../discovery/types.ts';
import { AwsReadError } from '../errors.ts';
import { accountFromArn, clusterNameFromArn } from '../lib/arn.ts';
import type { Metrics } from '../metrics.ts';
import type { CacheLookupListener } from './cache.ts';
import type { What } from './calls.ts';
import type { SourceClients } from './clients.ts';
import { ClusterCache } from './cluster-cache.ts';
import { ClusterDirectory, type ClusterRef, type ClusterSelection } from './cluster-directory.ts';
import { describeContainerInstances, describeTasks, listTaskArns, readServices } from './ecs-reads.ts';
import { describeHosts } from './hosts.ts';
import { TaskDefinitions } from './task-definitions.ts';

export type { ClusterRef, ClusterSelection } from './cluster-directory.ts';

/** Options of a fetcher. */
export interface FetcherOptions {
  /** Read services (ListServices + DescribeServices): only when a feature needs them. */
  includeServices: boolean;
  /**
   * Aborts calls that several clusters' reads share (a task definition two clusters wait for), so
   * one cluster's deadline never fails another: the daemon stopping. Each read passes its own signal.
   */
  signal?: AbortSignal;
  /** Describe a known cluster again once its description is this old (`cluster_reread_interval`); undefined: never. */
  clusterRereadAfterMs?: number | undefined;
  /** Milliseconds clock of the caches. @default Date.now */
  now?: () => number;
}

/** The task ARNs a cluster lists, or `gone` (ClusterNotFoundException). */
export type TaskListing = { kind: 'listed'; taskArns: string[] } | { kind: 'gone' };

/** Reads the hosts of these instance ids (e.g. through a batch shared with other clusters). */
export type HostLoader = (ids: readonly string[], signal?: AbortSignal) => Promise<Map<string, HostInfo>>;

/** A snapshot of the tasks described (or, with services read, decided again) now, and the tasks whose last decisions stand. */
export interface ClusterTasks {
  snapshot: ClusterSnapshot;
  /** Tasks not in the snapshot whose last decisions stand. */
  kept: readonly string[];
}

/** Reads one source: selects its clusters and snapshots each; keeps the caches between refreshes. */
export class SourceFetcher {
  readonly source: SourceConfig;
  readonly #clients: SourceClients;
  readonly #log: Logger;
  /** True when services are read: every task is then decided again each refresh, from its cached copy. */
  readonly includeServices: boolean;
  readonly #onLookup: CacheLookupListener;
  readonly #directory: ClusterDirectory;
  readonly #taskDefinitions: TaskDefinitions;
  readonly #clusters = new Map<string, ClusterCache>();
  readonly #now: () => number;

  constructor(
    source: SourceConfig,
    clients: SourceClients,
    metrics: Pick<Metrics, 'cacheRequests'>,
    log: Logger,
    options: FetcherOptions,
  ) {
    this.source = source;
    this.#clients = clients;
    this.#log = log;
    this.includeServices = options.includeServices;
    this.#now = options.now ?? Date.now;
    this.#onLookup = (cache, result) => metrics.cacheRequests.inc({ cache, result });
    this.#directory = new ClusterDirectory(source, clients.ecs, metrics, log, {
      rereadAfterMs: options.clusterRereadAfterMs,
      now: this.#now,
    });
    this.#taskDefinitions = new TaskDefinitions(clients, log, this.#onLookup, options.signal);
  }

  /** The clusters to read this refresh (configured, or listed), filtered by name. Throws AwsReadError. */
  selectClusters(signal?: AbortSignal): Promise<ClusterSelection> {
    return this.#directory.select(signal);
  }

  /** The selected cluster with this ARN as last described, if a refresh read it. */
  clusterRef(clusterArn: string): ClusterRef | undefined {
    return this.#directory.ref(clusterArn);
  }

  /** ListTasks (desiredStatus RUNNING) of a cluster; tasks it no longer lists are dropped from the cache. */
  async listTasks(cluster: ClusterRef, signal?: AbortSignal): Promise<TaskListing> {
    let taskArns: string[];
    try {
      taskArns = await listTaskArns(
        this.#clients.ecs,
        cluster.clusterArn,
        this.#what(cluster.clusterName),
        signal,
      );
    } catch (error) {
      if (error instanceof AwsReadError && error.awsCode === 'ClusterNotFoundException')
        return { kind: 'gone' };
      throw error;
    }
    this.#cache(cluster.clusterArn).tasks.retainOnly(new Set(taskArns));
    return { kind: 'listed', taskArns };
  }

  /** When a task of a cluster was last described (by a poll or an event's copy), if the cache holds it. */
  describedAt(clusterArn: string, taskArn: string): number | undefined {
    return this.#clusters.get(clusterArn)?.describedAt(taskArn);
  }

  /**
   * Describes exactly `describe` and snapshots them with their task definitions, container
   * instances and hosts (missing hosts through `loadHosts`). The `keep` tasks are not described:
   * their last decisions stand, except when services are read, when their cached copies are decided
   * again with the services. `signal` aborts every call. Throws AwsReadError.
   */
  async readTasks(
    cluster: ClusterRef,
    plan: { describe: readonly string[]; keep: readonly string[] },
    options: { signal?: AbortSignal | undefined; loadHosts?: HostLoader | undefined } = {},
  ): Promise<ClusterTasks> {
    const { signal } = options;
    const cache = this.#cache(cluster.clusterArn);
    const what = this.#what(cluster.clusterName);
    const readAt = this.#now();
    const copies = this.includeServices
      ? plan.keep.flatMap((arn) => {
          const task = cache.tasks.get(arn)?.task;
          return task === undefined ? [] : [task];
        })
      : [];
    const described = await describeTasks(
      this.#clients.ecs,
      cluster.clusterArn,
      plan.describe,
      what,
      this.#log,
      signal,
    );
    cache.remember(described, readAt);
    const inUse = cache.instancesOf(plan.keep);
    const snapshot = await this.#snapshot(cluster, [...copies, ...described], cache, what, inUse, options);
    if (this.includeServices) {
      cache.services = await readServices(this.#clients.ecs, cluster.clusterArn, what, signal);
      snapshot.services = cache.services;
    }
    return { snapshot, kept: this.includeServices ? [] : plan.keep };
  }

  /** The snapshot of some tasks of a cluster: task definitions, container instances and hosts through the caches. */
  async #snapshot(
    cluster: ClusterRef,
    tasks: Task[],
    cache: ClusterCache,
    what: What,
    /** Container instances of tasks not in the snapshot: not read, but in use (not evicted). */
    inUse: ReadonlySet<string>,
    options: { signal?: AbortSignal | undefined; loadHosts?: HostLoader | undefined },
  ): Promise<ClusterSnapshot> {
    const { clusterArn, clusterName } = cluster;
    const { signal, loadHosts } = options;
    const taskDefinitions = await this.#taskDefinitions.read(tasks, what, signal);
    const containerInstances = await cache.containerInstancesFor(tasks, inUse, (arns) =>
      describeContainerInstances(this.#clients.ecs, clusterArn, arns, what, signal),
    );
    const hosts = await cache.hostsFor(containerInstances.values(), inUse, (ids) =>
      loadHosts === undefined ? this.describeHosts(ids, [clusterName], signal) : loadHosts(ids, signal),
    );
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

  /** Reads hosts by instance id for the named clusters (EC2, SSM), uncached: a host batch's read. Throws AwsReadError. */
  async describeHosts(
    ids: readonly string[],
    clusters: readonly string[],
    signal?: AbortSignal,
  ): Promise<Map<string, HostInfo>> {
    const names = clusters.map((name) => JSON.stringify(name)).join(', ');
    const what: What = (action) =>
      `${action} failed for ${clusters.length === 1 ? 'cluster' : 'clusters'} ${names} of source "${this.source.name}"`;
    const found = await describeHosts(this.#clients, ids, what, this.#log, signal);
    return new Map(found.map((host) => [host.ec2InstanceId, host]));
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
    const cache = this.#cache(cluster.clusterArn);
    const what: What = (action) =>
      `${action} failed for cluster "${cluster.clusterName}" of source "${this.source.name}" (events)`;
    const withTags = tasks.map((task) => {
      if (task.tags !== undefined || task.taskArn === undefined) return task;
      const tags = cache.tasks.peek(task.taskArn)?.tags;
      return tags === undefined ? task : { ...task, tags };
    });
    // Instances of the cluster's other cached tasks stay in use: nothing they need is evicted.
    const inUse = new Set<string>();
    for (const entry of cache.tasks.values()) {
      if (entry.containerInstanceArn !== undefined) inUse.add(entry.containerInstanceArn);
    }
    const snapshot = await this.#snapshot(cluster, withTags, cache, what, inUse, { signal });
    if (cache.services !== undefined) snapshot.services = cache.services;
    return snapshot;
  }

  /** DescribeTasks (with tags) of some tasks of a cluster, in batches of 100; `signal` aborts. Throws AwsReadError. */
  describeTasks(clusterArn: string, taskArns: readonly string[], signal?: AbortSignal): Promise<Task[]> {
    const what: What = (action) =>
      `${action} failed for cluster "${clusterNameFromArn(clusterArn)}" of source "${this.source.name}" (events)`;
    return describeTasks(this.#clients.ecs, clusterArn, taskArns, what, this.#log, signal);
  }

  /** Records task copies (from events) as described now: a poll's plan keeps their final decisions. */
  rememberTasks(clusterArn: string, tasks: readonly Task[]): void {
    this.#clusters.get(clusterArn)?.remember(tasks, this.#now());
  }

  /** Drops tasks from a cluster's cache (stopped, or their decisions not final): a poll describes them if listed. */
  forgetTasks(clusterArn: string, taskArns: Iterable<string>): void {
    const cache = this.#clusters.get(clusterArn);
    if (cache !== undefined) for (const arn of taskArns) cache.tasks.delete(arn);
  }

  /** True when a poll or an event apply cached this task (its tags, if any, are known). */
  knowsTask(clusterArn: string, taskArn: string): boolean {
    return this.#clusters.get(clusterArn)?.tasks.peek(taskArn) !== undefined;
  }

  /** Takes a container instance that an event reported (attributes, status) into the cache, or drops one that left. */
  applyContainerInstance(clusterArn: string, instance: ContainerInstance | string): void {
    const cache = this.#clusters.get(clusterArn);
    if (cache === undefined) return;
    if (typeof instance === 'string') cache.containerInstances.delete(instance);
    else if (
      instance.containerInstanceArn !== undefined &&
      cache.containerInstances.peek(instance.containerInstanceArn) !== undefined
    )
      cache.containerInstances.set(instance.containerInstanceArn, instance);
  }

  /** Drops every cache of a cluster that is gone or no longer selected, its description included (re-read next refresh). */
  forget(clusterArn: string): void {
    this.#clusters.delete(clusterArn);
    this.#directory.forget(clusterArn);
  }

  #cache(clusterArn: string): ClusterCache {
    let cache = this.#clusters.get(clusterArn);
    if (cache === undefined) {
      cache = new ClusterCache(this.#onLookup, this.includeServices);
      this.#clusters.set(clusterArn, cache);
    }
    return cache;
  }

  #what(clusterName: string): What {
    return (action) => `${action} failed for cluster "${clusterName}" of source "${this.source.name}"`;
  }
}
