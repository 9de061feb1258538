/**
 * What the fetcher keeps of one cluster between refreshes, every key belonging to the cluster (a
 * removed cluster drops it all): tasks as last described, container instances, hosts and services.
 * Each says what it keys on and why that is safe. Facts only: which tasks to describe again is the
 * describe plan's decision (discovery/describe-plan.ts), made from the cluster's last decisions.
 */
import type { ContainerInstance, Service, Task } from '@aws-sdk/client-ecs';
import type { HostInfo } from '../discovery/types.ts';
import { intern } from '../lib/intern.ts';
import { BoundedCache, type CacheLookupListener } from './cache.ts';

/** Bound of each per-cluster cache (tasks, container instances, hosts). */
export const CLUSTER_CACHE_MAX = 50_000;

/**
 * A task as last described (by a poll's DescribeTasks, or an event's copy): when, and the container
 * instance it runs on (kept in use). The task itself is kept only when services are read (service
 * labels can change, so every task is decided again each refresh from its copy).
 */
export interface CachedTask {
  readAt: number;
  containerInstanceArn: string | undefined;
  task?: Task;
  /** The task's tags, when it has any: ECS events carry none, so an event's copy of the task takes these. */
  tags?: Task['tags'];
}

/** The caches of one cluster. */
export class ClusterCache {
  /** Tasks by task ARN (a RUNNING task's address and bindings do not change); only listed tasks stay. */
  readonly tasks = new BoundedCache<string, CachedTask>('task', CLUSTER_CACHE_MAX);
  /** Container instances by containerInstanceArn; evicted when no task used them in a refresh. */
  readonly containerInstances: BoundedCache<string, ContainerInstance>;
  /** Hosts by ec2InstanceId (i-… or mi-…); evicted when no container instance used them in a refresh. */
  readonly hosts: BoundedCache<string, HostInfo>;
  /** Services of the last poll (only when services are read): events are decided with these. */
  services: Map<string, Service> | undefined;
  readonly #keepCopies: boolean;

  constructor(onLookup: CacheLookupListener, keepCopies: boolean) {
    this.containerInstances = new BoundedCache('container_instance', CLUSTER_CACHE_MAX, onLookup);
    this.hosts = new BoundedCache('host', CLUSTER_CACHE_MAX, onLookup);
    this.#keepCopies = keepCopies;
  }

  /** Records tasks as described at `readAt`. */
  remember(tasks: readonly Task[], readAt: number): void {
    for (const task of tasks) {
      if (task.taskArn === undefined) continue;
      this.tasks.set(task.taskArn, {
        readAt,
        // Shared: the 50 or so tasks of a host, and their targets' label, hold one copy.
        containerInstanceArn:
          task.containerInstanceArn === undefined ? undefined : intern(task.containerInstanceArn),
        ...(this.#keepCopies ? { task } : {}),
        ...(task.tags !== undefined && task.tags.length > 0 ? { tags: task.tags } : {}),
      });
    }
  }

  /** When a task was last described, if it is held. */
  describedAt(taskArn: string): number | undefined {
    return this.tasks.peek(taskArn)?.readAt;
  }

  /** The container instances the given held tasks run on (in use, so not evicted). */
  instancesOf(taskArns: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const arn of taskArns) {
      const instance = this.tasks.peek(arn)?.containerInstanceArn;
      if (instance !== undefined) out.add(instance);
    }
    return out;
  }

  /**
   * The container instances of these tasks: cached ones, and the others through `read` (then
   * cached). Instances that neither these tasks nor `inUse` run on are evicted.
   */
  async containerInstancesFor(
    tasks: readonly Task[],
    inUse: ReadonlySet<string>,
    read: (arns: string[]) => Promise<ContainerInstance[]>,
  ): Promise<Map<string, ContainerInstance>> {
    const arns = new Set(tasks.map((task) => task.containerInstanceArn).filter((arn) => arn !== undefined));
    const out = new Map<string, ContainerInstance>();
    const misses: string[] = [];
    for (const arn of arns) {
      const cached = this.containerInstances.get(arn);
      if (cached === undefined) misses.push(arn);
      else out.set(arn, cached);
    }
    this.containerInstances.retainOnly(new Set([...arns, ...inUse]));
    if (misses.length === 0) return out;
    for (const instance of await read(misses)) {
      if (instance.containerInstanceArn === undefined) continue;
      this.containerInstances.set(instance.containerInstanceArn, instance);
      out.set(instance.containerInstanceArn, instance);
    }
    return out;
  }

  /**
   * The hosts of these container instances: cached ones, and the others through `load` (then
   * cached). Hosts that neither these instances nor the `inUse` instances run on are evicted.
   */
  async hostsFor(
    instances: Iterable<ContainerInstance>,
    inUse: ReadonlySet<string>,
    load: (ids: string[]) => Promise<ReadonlyMap<string, HostInfo>>,
  ): Promise<Map<string, HostInfo>> {
    const ids = new Set<string>();
    for (const instance of instances) {
      if (instance.ec2InstanceId !== undefined && instance.ec2InstanceId !== '')
        ids.add(instance.ec2InstanceId);
    }
    const out = new Map<string, HostInfo>();
    const misses: string[] = [];
    for (const id of ids) {
      const cached = this.hosts.get(id);
      if (cached === undefined) misses.push(id);
      else out.set(id, cached);
    }
    const keep = new Set(ids);
    for (const arn of inUse) {
      const id = this.containerInstances.peek(arn)?.ec2InstanceId;
      if (id !== undefined && id !== '') keep.add(id);
    }
    this.hosts.retainOnly(keep);
    if (misses.length === 0) return out;
    for (const host of (await load(misses)).values()) {
      this.hosts.set(host.ec2InstanceId, host);
      out.set(host.ec2InstanceId, host);
    }
    return out;
  }
}
