import { addRole, newAccount } from './accounts.ts';
import {
  type ContainerInstanceHost,
  createCluster,
  deactivateContainerInstance,
  deleteCluster,
  registerContainerInstance,
} from './clusters.ts';
import { LaggedCounts } from './counts.ts';
import type {
  Account,
  ArnFormat,
  Cluster,
  ContainerInstance,
  Ec2Instance,
  Eni,
  ManagedInstance,
  Role,
  Service,
  Subnet,
  Tag,
  Task,
  TaskDefinition,
  TaskStatus,
  Vpc,
} from './model.ts';
import { type InstanceInput, Network, type SubnetInput } from './network.ts';
import { Placement } from './placement.ts';
import { Prng } from './prng.ts';
import { Scheduler } from './scheduler.ts';
import { type ServiceInput, ServiceScheduler } from './service-scheduler.ts';
import {
  registerTaskDefinition,
  resolveTaskDefinition,
  type TaskDefinitionInput,
} from './task-definitions.ts';
import { createTask, type StartTaskInput } from './task-factory.ts';
import { type LifecycleOptions, TaskLifecycle } from './task-lifecycle.ts';
import { TaskOrder } from './task-order.ts';
import { type ChangeListener, Clock, Sequence, type WorldCore } from './world-core.ts';

export { DEFAULT_LIFECYCLE, type LifecycleOptions } from './task-lifecycle.ts';

/** The account every unknown access key acts in. */
export const DEFAULT_ACCOUNT_ID = '123456789012';

/** Options of the world model. */
export interface WorldOptions {
  region: string;
  accountId: string;
  seed: number;
  lifecycle: LifecycleOptions;
}

/**
 * The whole simulated world: accounts and their resources. Its methods are the model's verbs, the only way the API
 * handlers, the fleet loader and tests change it; each delegates to the part that owns the concern (network and
 * hosts, clusters, task definitions, placement, the task lifecycle, the service scheduler), and the few that cross
 * parts (a task starts, stops, a host goes away) are composed here.
 */
export class World {
  readonly region: string;
  readonly defaultAccountId: string;
  readonly prng: Prng;
  readonly scheduler = new Scheduler();
  readonly lifecycle: LifecycleOptions;
  readonly accounts = new Map<string, Account>();
  readonly listeners = new Set<ChangeListener>();
  /** The counts DescribeClusters and DescribeServices serve, as of a configurable lag (`setCountLag`). */
  readonly counts = new LaggedCounts(0);
  readonly #clock = new Clock();
  readonly #core: WorldCore;
  readonly #network: Network;
  readonly #placement = new Placement();
  readonly #order = new TaskOrder();
  readonly #lifecycle: TaskLifecycle;
  readonly #services: ServiceScheduler;

  constructor(opts: WorldOptions) {
    this.region = opts.region;
    this.defaultAccountId = opts.accountId;
    this.prng = new Prng(opts.seed);
    this.lifecycle = opts.lifecycle;
    this.#core = {
      region: this.region,
      prng: this.prng,
      scheduler: this.scheduler,
      seq: new Sequence(),
      now: () => this.#clock.now(),
      ecsArn: (account, resource) => this.ecsArn(account, resource),
      emit: (change) => {
        this.counts.observe(change);
        for (const l of this.listeners) l(change);
      },
    };
    this.#network = new Network(this.#core);
    this.#lifecycle = new TaskLifecycle(this.#core, this.lifecycle, this.#network, {
      stopped: (cluster) => this.#services.retryPlacement(cluster),
      forget: (task) => this.forgetTask(task),
    });
    this.#services = new ServiceScheduler(this.#core, {
      start: (cluster, input) => this.startTask(cluster, input),
      stop: (task, reason, stopCode) => this.stopTask(task, reason, stopCode),
    });
    this.account(opts.accountId);
  }

  /** The current time as a Date shared by everything created in the same millisecond (never mutated: less garbage). */
  now(): Date {
    return this.#clock.now();
  }

  /** The account with this id, created on first use. */
  account(id: string): Account {
    let a = this.accounts.get(id);
    if (!a) {
      a = newAccount(id);
      this.accounts.set(id, a);
    }
    return a;
  }

  /** Adds an IAM role that AssumeRole accepts. */
  addRole(account: Account, name: string, externalId: string | undefined): Role {
    return addRole(account, name, externalId);
  }

  /** `arn:aws:ecs:REGION:ACCOUNT:RESOURCE`. */
  ecsArn(account: Account, resource: string): string {
    return `arn:aws:ecs:${this.region}:${account.id}:${resource}`;
  }

  // ---- network and hosts (network.ts) ----

  /** Creates a VPC. */
  createVpc(account: Account, cidrBlock: string, id?: string): Vpc {
    return this.#network.createVpc(account, cidrBlock, id);
  }

  /** Creates a subnet; throws a lowercase message when the CIDR is invalid or overlaps another subnet. */
  createSubnet(account: Account, input: SubnetInput): Subnet {
    return this.#network.createSubnet(account, input);
  }

  /** The account's subnets, creating one /16 per AZ (127.1.0.0/16, 127.2.0.0/16, 127.3.0.0/16) when it has none. */
  subnets(account: Account): Subnet[] {
    return this.#network.subnets(account);
  }

  /** Picks a subnet round-robin with free addresses. */
  pickSubnet(account: Account, from?: Subnet[]): Subnet {
    return this.#network.pickSubnet(account, from);
  }

  /** Allocates an ENI in a subnet (an EC2 instance's primary interface or an awsvpc task's). */
  createEni(
    account: Account,
    subnet: Subnet,
    description: string,
    ipv6: boolean,
    interfaceType: string,
  ): Eni {
    return this.#network.createEni(account, subnet, description, ipv6, interfaceType);
  }

  /** Releases an ENI and its address. */
  deleteEni(account: Account, eni: Eni): void {
    this.#network.deleteEni(account, eni);
  }

  /** Launches an EC2 instance (running at once) with a private IP from its subnet. */
  runInstance(account: Account, input: InstanceInput): Ec2Instance {
    return this.#network.runInstance(account, input);
  }

  /** Terminates an EC2 instance: its container instance goes INACTIVE and its tasks stop. */
  terminateInstance(account: Account, inst: Ec2Instance): void {
    if (!this.#network.terminate(account, inst)) return;
    for (const cluster of account.clusters.values()) {
      for (const ci of cluster.containerInstances.values()) {
        if (ci.ec2InstanceId === inst.instanceId && ci.status !== 'INACTIVE') {
          this.deregisterContainerInstance(ci, `Host EC2 (instance ${inst.instanceId}) terminated.`);
        }
      }
    }
  }

  /** Registers an SSM managed instance (`mi-…`) with an address from a subnet: an ECS Anywhere host. */
  registerManagedInstance(account: Account, subnet?: Subnet): ManagedInstance {
    return this.#network.registerManagedInstance(account, subnet);
  }

  // ---- clusters and task definitions (clusters.ts, task-definitions.ts) ----

  /** Creates (or returns the existing ACTIVE) cluster. */
  createCluster(account: Account, name: string, opts: { arnFormat?: ArnFormat; tags?: Tag[] } = {}): Cluster {
    return createCluster(this.#core, account, name, opts);
  }

  /** Deletes a cluster (INACTIVE, kept for DescribeClusters) and drops every pending step of its tasks. */
  deleteCluster(cluster: Cluster): void {
    deleteCluster(this.#core, cluster);
  }

  /** Registers the next revision of a family. */
  registerTaskDefinition(account: Account, input: TaskDefinitionInput): TaskDefinition {
    return registerTaskDefinition(this.#core, account, input);
  }

  /** Resolves `family` (latest ACTIVE), `family:rev` or a task definition ARN. */
  resolveTaskDefinition(account: Account, ref: string): TaskDefinition | undefined {
    return resolveTaskDefinition(account, ref);
  }

  /** Registers a container instance on an EC2 instance or an SSM managed instance; waiting services place tasks. */
  registerContainerInstance(
    cluster: Cluster,
    host: ContainerInstanceHost,
    tags: Tag[] = [],
  ): ContainerInstance {
    const ci = registerContainerInstance(this.#core, cluster, host, tags);
    this.#services.retryPlacement(cluster);
    return ci;
  }

  /** Deregisters a container instance: INACTIVE, its tasks stop (the service replaces them elsewhere). */
  deregisterContainerInstance(ci: ContainerInstance, reason = 'Container instance deregistered.'): void {
    if (ci.status === 'INACTIVE') return;
    deactivateContainerInstance(this.#core, ci);
    this.#placement.instancesChanged();
    for (const t of [...ci.tasks]) this.stopTask(t, reason, 'TaskFailedToStart');
    ci.cluster.containerInstances.delete(ci.id);
  }

  /** DescribeClusters and DescribeServices serve counts as they were `ms` ago from now on (0: live). */
  setCountLag(ms: number): void {
    this.counts.setLag(
      ms,
      [...this.accounts.values()].flatMap((account) => [...account.clusters.values()]),
    );
  }

  // ---- tasks (placement.ts, task-factory.ts, task-lifecycle.ts, task-order.ts) ----

  /** Places and creates a task; returns a failure reason (as RunTask's `failures[].reason`) when it cannot be placed. */
  startTask(cluster: Cluster, input: StartTaskInput): Task | { reason: string } {
    const placed = this.#placement.place(
      cluster,
      input.taskDefinition,
      input.launchType,
      input.containerInstance,
    );
    if ('reason' in placed) return placed;
    const task = createTask(this.#core, this.#network, cluster, input, placed);
    this.#lifecycle.begin(task, input.initialStatus);
    return task;
  }

  /** Stops a task (StopTask, scale-in, host loss): desiredStatus STOPPED and the stop path; services replace it. */
  stopTask(task: Task, reason: string, stopCode = 'UserInitiated'): void {
    if (this.#lifecycle.stop(task, reason, stopCode) && task.service) this.reconcileService(task.service);
  }

  /** Removes a task from its cluster (after the STOPPED retention). */
  forgetTask(task: Task): void {
    this.#order.forget(task);
  }

  /** A cluster's tasks in creation (seq) order as an array, cached until a task is added or forgotten: O(log n) paging. */
  orderedTasks(cluster: Cluster): Task[] {
    return this.#order.ordered(cluster);
  }

  // ---- services (service-scheduler.ts) ----

  /** Creates a service and starts its tasks (RUNNING at once when `initialStatus` is given, as the fleet loader does). */
  createService(cluster: Cluster, input: ServiceInput): Service {
    return this.#services.create(cluster, input);
  }

  /** Starts or stops tasks until the service runs `desiredCount` tasks of its current task definition. */
  reconcileService(svc: Service, initialStatus?: TaskStatus): { failures: string[] } {
    return this.#services.reconcile(svc, initialStatus);
  }

  /** Sets a service's desired count and/or task definition (a new deployment) and reconciles. */
  updateService(
    svc: Service,
    input: { desiredCount?: number; taskDefinition?: TaskDefinition; force?: boolean },
  ): void {
    this.#services.update(svc, input);
  }

  /** Deletes a service: DRAINING, its tasks stop, then INACTIVE. */
  deleteService(svc: Service): void {
    this.#services.delete(svc);
  }

  /** Stops every timer. */
  close(): void {
    this.scheduler.close();
  }
}
