import type {
  Cluster,
  ContainerInstance,
  LaunchType,
  Service,
  Subnet,
  Tag,
  Task,
  TaskDefinition,
  TaskStatus,
} from './model.ts';
import type { StartTaskInput } from './task-factory.ts';
import type { WorldCore } from './world-core.ts';

/** Input of createService. */
export interface ServiceInput {
  name: string;
  taskDefinition: TaskDefinition;
  desiredCount: number;
  schedulingStrategy?: 'REPLICA' | 'DAEMON';
  launchType: LaunchType;
  subnets: Subnet[];
  assignIpv6?: boolean;
  tags?: Tag[];
  initialStatus?: TaskStatus;
}

/** How the service scheduler starts and stops tasks (the world's own startTask and stopTask). */
export interface ServiceTasks {
  start(cluster: Cluster, input: StartTaskInput): Task | { reason: string };
  stop(task: Task, reason: string, stopCode?: string): void;
}

/**
 * The ECS service scheduler: REPLICA services keep `desiredCount` tasks of their current task definition, DAEMON
 * services one on every ACTIVE container instance; deployments replace tasks of an older task definition.
 */
export class ServiceScheduler {
  readonly #core: WorldCore;
  readonly #tasks: ServiceTasks;
  readonly #reconciling = new Set<Service>();

  constructor(core: WorldCore, tasks: ServiceTasks) {
    this.#core = core;
    this.#tasks = tasks;
  }

  /** Creates a service and starts its tasks (RUNNING at once when `initialStatus` is given, as the fleet loader does). */
  create(cluster: Cluster, input: ServiceInput): Service {
    const acct = cluster.account;
    const now = this.#core.now();
    const svc: Service = {
      name: input.name,
      arn: this.#core.ecsArn(
        acct,
        cluster.arnFormat === 'long' ? `service/${cluster.name}/${input.name}` : `service/${input.name}`,
      ),
      cluster,
      status: 'ACTIVE',
      taskDefinition: input.taskDefinition,
      desiredCount: input.desiredCount,
      schedulingStrategy: input.schedulingStrategy ?? 'REPLICA',
      launchType: input.launchType,
      subnets: input.subnets,
      assignIpv6: input.assignIpv6 ?? false,
      createdAt: now,
      updatedAt: now,
      deploymentId: this.#core.prng.digits(19),
      tasks: new Set(),
      tags: input.tags ?? [],
      seq: this.#core.seq.next(),
    };
    cluster.services.set(svc.name, svc);
    this.reconcile(svc, input.initialStatus);
    return svc;
  }

  /** Starts or stops tasks until the service runs `desiredCount` tasks of its current task definition. */
  reconcile(svc: Service, initialStatus?: TaskStatus): { failures: string[] } {
    const failures: string[] = [];
    if (svc.cluster.status !== 'ACTIVE' || this.#reconciling.has(svc)) return { failures };
    this.#reconciling.add(svc);
    try {
      this.#reconcile(svc, initialStatus, failures);
    } finally {
      this.#reconciling.delete(svc);
    }
    return { failures };
  }

  #reconcile(svc: Service, initialStatus: TaskStatus | undefined, failures: string[]): void {
    if (svc.schedulingStrategy === 'DAEMON') {
      this.#reconcileDaemon(svc, initialStatus, failures);
      return;
    }
    const live = [...svc.tasks].filter((t) => t.desiredStatus === 'RUNNING');
    const stale = live.filter((t) => t.taskDefinition !== svc.taskDefinition);
    for (const t of stale) this.#tasks.stop(t, 'Deployment replaced this task.', 'ServiceSchedulerInitiated');
    const current = live.filter((t) => t.taskDefinition === svc.taskDefinition);
    const want = svc.status === 'ACTIVE' ? svc.desiredCount : 0;
    for (let i = current.length; i > want; i--) {
      const t = current[i - 1]!;
      this.#tasks.stop(t, 'Scaling activity initiated by (deployment ecs-svc/' + svc.deploymentId + ')');
    }
    for (let i = current.length; i < want; i++) {
      const r = this.#startTask(svc, initialStatus);
      if ('reason' in r) {
        failures.push(r.reason);
        break;
      }
    }
  }

  /** Like the ECS daemon scheduler: one task of the current task definition on every ACTIVE container instance. */
  #reconcileDaemon(svc: Service, initialStatus: TaskStatus | undefined, failures: string[]): void {
    const live = [...svc.tasks].filter((t) => t.desiredStatus === 'RUNNING');
    for (const t of live) {
      if (t.taskDefinition !== svc.taskDefinition)
        this.#tasks.stop(t, 'Deployment replaced this task.', 'ServiceSchedulerInitiated');
    }
    const instances =
      svc.status === 'ACTIVE'
        ? [...svc.cluster.containerInstances.values()].filter(
            (ci) => ci.status === 'ACTIVE' && ci.launchType === svc.launchType,
          )
        : [];
    svc.desiredCount = instances.length;
    for (const ci of instances) {
      const covered = live.some(
        (t) =>
          t.desiredStatus === 'RUNNING' &&
          t.containerInstance === ci &&
          t.taskDefinition === svc.taskDefinition,
      );
      if (covered) continue;
      const r = this.#startTask(svc, initialStatus, ci);
      if ('reason' in r) failures.push(r.reason);
    }
  }

  /** Starts one task of a service's current deployment, on `ci` when given (DAEMON), else where it fits. */
  #startTask(
    svc: Service,
    initialStatus: TaskStatus | undefined,
    ci?: ContainerInstance,
  ): Task | { reason: string } {
    return this.#tasks.start(svc.cluster, {
      taskDefinition: svc.taskDefinition,
      launchType: svc.launchType,
      service: svc,
      startedBy: `ecs-svc/${svc.deploymentId}`,
      subnets: svc.subnets,
      assignIpv6: svc.assignIpv6,
      containerInstance: ci,
      initialStatus,
    });
  }

  /** Sets a service's desired count and/or task definition (a new deployment) and reconciles. */
  update(
    svc: Service,
    input: { desiredCount?: number; taskDefinition?: TaskDefinition; force?: boolean },
  ): void {
    if (input.desiredCount !== undefined) svc.desiredCount = input.desiredCount;
    if (input.taskDefinition && input.taskDefinition !== svc.taskDefinition) {
      svc.taskDefinition = input.taskDefinition;
      svc.deploymentId = this.#core.prng.digits(19);
    } else if (input.force) {
      svc.deploymentId = this.#core.prng.digits(19);
      for (const t of [...svc.tasks]) {
        if (t.desiredStatus === 'RUNNING') this.#tasks.stop(t, 'Deployment replaced this task.');
      }
    }
    svc.updatedAt = this.#core.now();
    this.reconcile(svc);
  }

  /** Deletes a service: DRAINING, its tasks stop, then INACTIVE. */
  delete(svc: Service): void {
    svc.status = 'DRAINING';
    svc.desiredCount = 0;
    for (const t of [...svc.tasks])
      if (t.desiredStatus === 'RUNNING') this.#tasks.stop(t, 'Service deleted.');
    svc.status = 'INACTIVE';
    svc.updatedAt = this.#core.now();
    svc.cluster.services.delete(svc.name);
  }

  /** Like the ECS service scheduler, retries services that could not place all their tasks once resources free up. */
  retryPlacement(cluster: Cluster): void {
    if (cluster.status !== 'ACTIVE') return;
    for (const svc of cluster.services.values()) {
      if (svc.status !== 'ACTIVE') continue;
      let live = 0;
      for (const t of svc.tasks) if (t.desiredStatus === 'RUNNING') live++;
      if (svc.schedulingStrategy === 'DAEMON' || live < svc.desiredCount) this.reconcile(svc);
    }
  }
}
