import type { Cluster, Task, TaskContainer, TaskStatus } from './model.ts';
import type { Network } from './network.ts';
import type { WorldCore } from './world-core.ts';

/** Delays of each lifecycle step of tasks started after load (RunTask, services); 0 makes a step immediate. */
export interface LifecycleOptions {
  provisioningMs: number;
  pendingMs: number;
  activatingMs: number;
  deactivatingMs: number;
  stoppingMs: number;
  deprovisioningMs: number;
  /** How long STOPPED tasks stay visible to DescribeTasks/ListTasks (ECS keeps them about an hour). */
  stoppedRetentionMs: number;
}

/** Default lifecycle timing: a few hundred milliseconds from RunTask to RUNNING. */
export const DEFAULT_LIFECYCLE: LifecycleOptions = {
  provisioningMs: 100,
  pendingMs: 200,
  activatingMs: 0,
  deactivatingMs: 0,
  stoppingMs: 200,
  deprovisioningMs: 100,
  stoppedRetentionMs: 3_600_000,
};

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);

/** Whether a status is on the stop path. */
export const isStopping = (s: TaskStatus): boolean => TERMINAL.has(s);

/** What the lifecycle tells the rest of the world. */
export interface LifecycleHooks {
  /** A task reached STOPPED and freed its host ports and address: services of its cluster may place tasks now. */
  stopped(cluster: Cluster): void;
  /** A STOPPED task's retention ended: it leaves its cluster. */
  forget(task: Task): void;
}

/**
 * The task state machine: PROVISIONING (awsvpc) → PENDING → [ACTIVATING] → RUNNING and, once stopped,
 * [DEACTIVATING] → STOPPING → [DEPROVISIONING] → STOPPED. Each step sets what ECS shows at that point (timestamps,
 * container states, host ports), bumps the task's version and tells the change listeners; the next step is scheduled
 * on the world's scheduler.
 */
export class TaskLifecycle {
  readonly #core: WorldCore;
  readonly #options: LifecycleOptions;
  readonly #network: Pick<Network, 'deleteEni'>;
  readonly #hooks: LifecycleHooks;

  constructor(
    core: WorldCore,
    options: LifecycleOptions,
    network: Pick<Network, 'deleteEni'>,
    hooks: LifecycleHooks,
  ) {
    this.#core = core;
    this.#options = options;
    this.#network = network;
    this.#hooks = hooks;
  }

  /** Starts a created task: straight into `initialStatus` (fleet load, pinned states), else its first step. */
  begin(task: Task, initialStatus: TaskStatus | undefined): void {
    if (initialStatus !== undefined) {
      this.#jumpTo(task, initialStatus);
      if (!task.pinned && initialStatus !== 'RUNNING' && initialStatus !== 'STOPPED')
        this.#scheduleNext(task);
    } else {
      this.#enter(task, task.taskDefinition.networkMode === 'awsvpc' ? 'PROVISIONING' : 'PENDING');
    }
  }

  /** Puts a task on the stop path (desiredStatus STOPPED, reason, stop code); false when it already was. */
  stop(task: Task, reason: string, stopCode: string): boolean {
    if (task.desiredStatus === 'STOPPED' || task.lastStatus === 'STOPPED') return false;
    task.desiredStatus = 'STOPPED';
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.pinned = false;
    this.#core.scheduler.cancel(task);
    const first: TaskStatus = this.#options.deactivatingMs > 0 ? 'DEACTIVATING' : 'STOPPING';
    this.#enter(task, first);
    return true;
  }

  /** Walks a freshly created task straight to `status`, applying each step's side effects without delays. */
  #jumpTo(task: Task, status: TaskStatus): void {
    const order: TaskStatus[] = ['PROVISIONING', 'PENDING', 'RUNNING'];
    if (
      status === 'PROVISIONING' ||
      status === 'PENDING' ||
      status === 'ACTIVATING' ||
      status === 'RUNNING'
    ) {
      for (const s of order) {
        this.#apply(task, s);
        if (s === status || (status === 'ACTIVATING' && s === 'PENDING')) break;
      }
      if (status === 'ACTIVATING') this.#apply(task, 'ACTIVATING');
    } else {
      this.#apply(task, 'PENDING');
      this.#apply(task, 'RUNNING');
      task.desiredStatus = 'STOPPED';
      for (const s of ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const) {
        this.#apply(task, s);
        if (s === status) break;
      }
    }
    task.version = 1;
    this.#core.emit({ kind: 'task', task });
  }

  /** Enters `status` (side effects, version bump, event) and schedules the following step. */
  #enter(task: Task, status: TaskStatus): void {
    this.#apply(task, status);
    task.version++;
    this.#core.emit({ kind: 'task', task });
    if (!task.pinned) this.#scheduleNext(task);
    if (status === 'STOPPED') this.#hooks.stopped(task.cluster);
  }

  /** Schedules the next step (immediately when its delay is 0), or the end of a STOPPED task's retention. */
  #scheduleNext(task: Task): void {
    if (task.lastStatus === 'STOPPED') {
      const retention = this.#options.stoppedRetentionMs;
      this.#core.scheduler.schedule(task, retention, () => this.#hooks.forget(task), true);
      return;
    }
    const next = nextStep(task, this.#options);
    if (!next) return;
    const [status, delay] = next;
    if (delay <= 0) this.#enter(task, status);
    else this.#core.scheduler.schedule(task, delay, () => this.#enter(task, status));
  }

  /** Side effects of entering a status: timestamps, container states, host ports, addresses. */
  #apply(task: Task, status: TaskStatus): void {
    const now = this.#core.now();
    task.lastStatus = status;
    switch (status) {
      case 'PROVISIONING':
        break;
      case 'PENDING':
        task.pullStartedAt = now;
        break;
      case 'ACTIVATING':
      case 'RUNNING': {
        if (task.startedAt) break;
        task.pullStoppedAt = now;
        task.startedAt = now;
        task.connectivityAt = now;
        const mode = task.taskDefinition.networkMode;
        for (const c of task.containers) {
          c.lastStatus = 'RUNNING';
          c.runtimeId = `${task.id}-${this.#core.prng.hex(10)}`;
          c.def.portMappings.forEach((p, i) => {
            if (mode === 'host') c.hostPorts[i] = p.containerPort;
            else if (mode === 'bridge') {
              c.hostPorts[i] = p.hostPort > 0 ? p.hostPort : task.containerInstance?.ports.dynamic();
            } else if (mode === 'awsvpc') c.hostPorts[i] = p.containerPort;
          });
        }
        break;
      }
      case 'DEACTIVATING':
      case 'STOPPING':
        task.desiredStatus = 'STOPPED';
        task.stoppingAt ??= now;
        break;
      case 'DEPROVISIONING':
        task.executionStoppedAt ??= now;
        for (const c of task.containers) stopContainer(c);
        break;
      case 'STOPPED': {
        task.desiredStatus = 'STOPPED';
        task.stoppingAt ??= now;
        task.executionStoppedAt ??= now;
        task.stoppedAt = now;
        for (const c of task.containers) stopContainer(c);
        this.#releaseResources(task);
        break;
      }
    }
  }

  /** Frees what a stopped task held: host ports, its place on the container instance and in its service, its ENI. */
  #releaseResources(task: Task): void {
    const ci = task.containerInstance;
    if (ci) {
      for (const p of task.staticPorts) ci.ports.release(p);
      if (task.taskDefinition.networkMode === 'bridge') {
        for (const c of task.containers) {
          c.def.portMappings.forEach((p, i) => {
            const hp = c.hostPorts[i];
            if (p.hostPort === 0 && hp !== undefined) ci.ports.release(hp);
          });
        }
      }
      ci.tasks.delete(task);
    }
    if (task.eni && task.eni.status === 'in-use') this.#network.deleteEni(task.cluster.account, task.eni);
    const svc = task.service;
    if (svc) {
      svc.tasks.delete(task);
    }
  }
}

/** The status after the task's current one and the delay before it; undefined at RUNNING and STOPPED. */
function nextStep(task: Task, L: LifecycleOptions): [TaskStatus, number] | undefined {
  const vpc = task.taskDefinition.networkMode === 'awsvpc';
  switch (task.lastStatus) {
    case 'PROVISIONING':
      return ['PENDING', L.provisioningMs];
    case 'PENDING':
      return L.activatingMs > 0 ? ['ACTIVATING', L.pendingMs] : ['RUNNING', L.pendingMs];
    case 'ACTIVATING':
      return ['RUNNING', L.activatingMs];
    case 'RUNNING':
      return undefined;
    case 'DEACTIVATING':
      return ['STOPPING', L.deactivatingMs];
    case 'STOPPING':
      return vpc ? ['DEPROVISIONING', L.stoppingMs] : ['STOPPED', L.stoppingMs];
    case 'DEPROVISIONING':
      return ['STOPPED', L.deprovisioningMs];
    case 'STOPPED':
      return undefined;
  }
}

/** A container stops; one that was running exits 137 (SIGKILL after the stop timeout). */
function stopContainer(c: TaskContainer): void {
  if (c.lastStatus === 'STOPPED') return;
  c.exitCode = c.lastStatus === 'RUNNING' ? 137 : undefined;
  c.lastStatus = 'STOPPED';
}
