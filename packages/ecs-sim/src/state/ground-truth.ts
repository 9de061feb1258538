import type { Task } from './model.ts';
import { isStopping } from './task-lifecycle.ts';
import type { World } from './world.ts';
import type { ChangeListener } from './world-core.ts';

/** One container's truth: where it can be scraped, if anywhere. */
export interface TruthContainer {
  name: string;
  lastStatus: string;
  /** Address to scrape: ENI IP (awsvpc), host IP (bridge/host), none for `none`. */
  address: string | undefined;
  /** containerPort → hostPort (bridge dynamic/static, host = containerPort, awsvpc = containerPort). */
  ports: { containerPort: number; hostPort: number | undefined }[];
  environment: Record<string, string>;
  dockerLabels: Record<string, string>;
}

/** One task's truth as the simulator knows it (not as DescribeTasks may show it under chaos). */
export interface TruthTask {
  account: string;
  cluster: string;
  taskArn: string;
  family: string;
  revision: number;
  service: string | undefined;
  launchType: string;
  networkMode: string;
  lastStatus: string;
  desiredStatus: string;
  availabilityZone: string;
  containerInstanceArn: string | undefined;
  ec2InstanceId: string | undefined;
  containers: TruthContainer[];
  /** Epoch ms when lastStatus became RUNNING; undefined if it never did. */
  runningAt: number | undefined;
  /**
   * Epoch ms when the first event carrying lastStatus RUNNING was enqueued to the events queue (receivable);
   * undefined without a queue, when every such event was dropped, or while it is still delayed.
   */
  announcedAt: number | undefined;
  /** Epoch ms when lastStatus became STOPPED; undefined before. */
  stoppedAt: number | undefined;
}

/**
 * A change listener recording when each task reached RUNNING. Register it before any other listener (and before a
 * fleet loads) so `runningAt <= announcedAt` holds to the millisecond.
 */
export function truthRecorder(): ChangeListener {
  return (change) => {
    if (change.kind !== 'task') return;
    const t = change.task;
    if (t.runningAt !== undefined) return;
    if (t.lastStatus === 'RUNNING') t.runningAt = Date.now();
    // Created straight on the stop path (fleet load): it did run, from startedAt, without a RUNNING change of its own.
    else if (t.version === 1 && isStopping(t.lastStatus) && t.startedAt) t.runningAt = t.startedAt.getTime();
  };
}

type TruthBase = Omit<TruthTask, 'runningAt' | 'announcedAt' | 'stoppedAt'>;

/** Per task: its truth without the times, valid while `version` is unchanged (every change of a task bumps it). */
const CACHE = new WeakMap<Task, { version: number; base: TruthBase; key: string; json: string }>();

function truthBase(t: Task): TruthBase {
  const mode = t.taskDefinition.networkMode;
  const address =
    mode === 'awsvpc'
      ? t.eni?.privateIpAddress
      : mode === 'none'
        ? undefined
        : t.containerInstance?.privateIp;
  return {
    account: t.cluster.account.id,
    cluster: t.cluster.name,
    taskArn: t.arn,
    family: t.taskDefinition.family,
    revision: t.taskDefinition.revision,
    service: t.service?.name,
    launchType: t.launchType,
    networkMode: mode,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    availabilityZone: t.availabilityZone,
    containerInstanceArn: t.containerInstance?.arn,
    ec2InstanceId: t.containerInstance?.ec2InstanceId,
    containers: t.containers.map((ct) => {
      const env: Record<string, string> = {};
      for (const e of ct.def.environment) env[e.name] = e.value;
      for (const e of ct.environmentOverrides ?? []) env[e.name] = e.value;
      return {
        name: ct.def.name,
        lastStatus: ct.lastStatus,
        address,
        ports: ct.def.portMappings.map((p, i) => ({
          containerPort: p.containerPort,
          hostPort: ct.hostPorts[i],
        })),
        environment: env,
        dockerLabels: ct.def.dockerLabels,
      };
    }),
  };
}

function cached(t: Task): { base: TruthBase; key: string; json: string } {
  let c = CACHE.get(t);
  if (c?.version !== t.version) {
    c = { version: t.version, base: truthBase(t), key: '', json: '' };
    CACHE.set(t, c);
  }
  return c;
}

const withTimes = (t: Task, base: TruthBase): TruthTask => ({
  ...base,
  runningAt: t.runningAt,
  announcedAt: t.announcedAt,
  stoppedAt: t.stoppedAt?.getTime(),
});

function eachTask(world: World, fn: (t: Task) => void): void {
  for (const a of world.accounts.values()) {
    for (const c of a.clusters.values()) for (const t of c.tasks.values()) fn(t);
  }
}

/**
 * Every task with lastStatus, network mode, address and host ports per container, and when it reached RUNNING and was
 * announced, so benches can compare discovery to truth. Cached per task version (polled every second at 10,000
 * tasks): callers must not mutate the containers.
 */
export function groundTruth(world: World): { tasks: TruthTask[] } {
  const tasks: TruthTask[] = [];
  eachTask(world, (t) => tasks.push(withTimes(t, cached(t).base)));
  return { tasks };
}

/** `JSON.stringify(groundTruth(world))`, built from per-task cached JSON: the admin `/_sim/state` body. */
export function groundTruthJson(world: World): string {
  const parts: string[] = [];
  eachTask(world, (t) => {
    const c = cached(t);
    const key = `${t.runningAt}/${t.announcedAt}`;
    if (c.key !== key || c.json === '') {
      c.key = key;
      c.json = JSON.stringify(withTimes(t, c.base));
    }
    parts.push(c.json);
  });
  return `{"tasks":[${parts.join(',')}]}`;
}
