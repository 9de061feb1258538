import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { type AdminControl, handleAdmin } from './admin/admin.ts';
import { Counters } from './admin/counters.ts';
import { renderTask } from './api/ecs-shapes.ts';
import { EventDelivery, type EventDeliveryCounts, type EventDeliveryOptions } from './events/delivery.ts';
import { eventPublisher } from './events/publisher.ts';
import { type FaultSpec, Faults } from './faults/faults.ts';
import { generateFleet } from './fleet/generator.ts';
import { applyFleet, validateFleet } from './fleet/loader.ts';
import type { FleetSpec, GenerateSpec } from './fleet/schema.ts';
import { buildApp } from './server/app.ts';
import { groundTruth, groundTruthJson, type TruthTask, truthRecorder } from './state/ground-truth.ts';
import type { LaunchType, Task, TaskStatus } from './state/model.ts';
import { createQueue } from './state/queues.ts';
import { DEFAULT_ACCOUNT_ID, DEFAULT_LIFECYCLE, type LifecycleOptions, World } from './state/world.ts';
import { Throttler } from './throttle/buckets.ts';

/** Options of startSim; every key is optional. */
export interface SimOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** A fleet (same shape as the fleet file, parsed). */
  fleet?: FleetSpec | undefined;
  /** Generate a fleet (merged after `fleet`). */
  generate?: GenerateSpec | undefined;
  /** Token-bucket throttling: true (AWS rates), false, or `{ scale }` multiplying burst and refill. @default true */
  throttling?: boolean | { scale: number };
  /** Latency added to every API call. @default 0 */
  latencyMs?: number;
  /** Seed of every id, address and fault decision. @default 1 (or the fleet's seed) */
  seed?: number;
  /** @default 'us-east-1' (or the fleet's region) */
  region?: string;
  /** Default account id. @default '123456789012' */
  accountId?: string;
  /** Lifecycle delays of tasks started after load. */
  lifecycle?: Partial<LifecycleOptions>;
  /** Publish ECS events to this SQS queue (in the default account). */
  eventsQueue?: string | undefined;
  /** Fault rules active from the start. */
  faults?: FaultSpec[];
  /**
   * DescribeClusters and DescribeServices counts as they were this long ago (ECS's counts follow
   * changes with a lag it does not publish). @default 0 (live)
   */
  countLagMs?: number;
  /** EventBridge → SQS delivery chaos (duplicates, delays, drops); missing keys are 0. @default every rate 0 */
  eventDelivery?: Partial<EventDeliveryOptions> | undefined;
}

/** Input of `sim.runTask`: a cluster and task definition by name, like RunTask. */
export interface SimRunTaskInput {
  cluster: string;
  taskDefinition: string;
  count?: number;
  launchType?: LaunchType;
  group?: string;
  startedBy?: string;
  subnets?: string[];
  account?: string;
  /** Create the task straight in this state (default: walk the lifecycle). */
  lastStatus?: TaskStatus;
  /** Keep it in that state. */
  pinned?: boolean;
}

/** A running simulator: its endpoint, the world to inspect or mutate, counters, faults and lifecycle controls. */
export interface Sim {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly world: World;
  /** Alias of world, for tests that read the model. */
  readonly state: World;
  counters(accountId?: string): Record<string, number>;
  resetCounters(): void;
  readonly faults: Faults;
  readonly throttler: Throttler;
  runTask(input: SimRunTaskInput): Task[];
  stopTask(taskArn: string, reason?: string): void;
  findTask(taskArn: string): Task | undefined;
  describeTask(taskArn: string): Record<string, unknown> | undefined;
  setTaskChaos(taskArn: string, chaos: { missing?: string[]; bindingUnassigned?: boolean } | undefined): void;
  setEventsQueue(queue: string | undefined, accountId?: string): void;
  /** Replaces the event delivery options (missing keys are 0); throws an Error listing problems when invalid. */
  setEventDelivery(options: Partial<EventDeliveryOptions>): EventDeliveryOptions;
  /** Current event delivery options and counts since start. */
  eventDelivery(): EventDeliveryOptions & { counts: EventDeliveryCounts };
  groundTruth(): { tasks: TruthTask[] };
  /** Moves the lifecycle clock forward and runs due steps. */
  advance(ms: number): void;
  /** Runs every pending lifecycle step now (tasks reach RUNNING or STOPPED). */
  settle(): void;
  setLatency(ms: number): void;
  /** DescribeClusters and DescribeServices serve counts as they were `ms` ago from now on (0: live). */
  setCountLag(ms: number): void;
  close(): Promise<void>;
}

function throttleSettings(t: SimOptions['throttling']): { enabled: boolean; scale: number } {
  if (t === false) return { enabled: false, scale: 1 };
  if (t === undefined || t === true) return { enabled: true, scale: 1 };
  return { enabled: true, scale: t.scale };
}

/** Starts a simulator on loopback and resolves once it listens; throws FleetError for an invalid fleet. */
export async function startSim(options: SimOptions = {}): Promise<Sim> {
  const fleet = options.fleet ? validateFleet(options.fleet) : undefined;
  const seed = options.seed ?? fleet?.seed ?? options.generate?.seed ?? fleet?.generate?.seed ?? 1;
  const region = options.region ?? fleet?.region ?? 'us-east-1';
  const accountId = options.accountId ?? fleet?.accountId ?? DEFAULT_ACCOUNT_ID;
  const world = new World({
    region,
    accountId,
    seed,
    lifecycle: { ...DEFAULT_LIFECYCLE, ...options.lifecycle },
  });
  const counters = new Counters(world);
  const faults = new Faults(seed);
  for (const f of options.faults ?? []) faults.add(f);
  const throttler = new Throttler(throttleSettings(options.throttling));
  const delivery = new EventDelivery(seed, counters.registry);
  if (options.eventDelivery) delivery.configure(options.eventDelivery);
  world.listeners.add(truthRecorder());
  let latency = options.latencyMs ?? 0;
  let endpoint = '';
  const shutdown = new AbortController();

  const sim: Sim = {
    get endpoint() {
      return endpoint;
    },
    region,
    accountId,
    world,
    state: world,
    counters: (id?: string) => counters.calls(id ?? accountId),
    resetCounters: () => counters.reset(),
    faults,
    throttler,
    runTask(input) {
      const acct = world.account(input.account ?? accountId);
      const cluster = acct.clusters.get(input.cluster);
      if (!cluster)
        throw new Error(`run task: cluster ${JSON.stringify(input.cluster)} not found in account ${acct.id}`);
      const td = world.resolveTaskDefinition(acct, input.taskDefinition);
      if (!td) throw new Error(`run task: task definition ${JSON.stringify(input.taskDefinition)} not found`);
      const subnets = input.subnets?.map((id) => {
        const s = world.subnets(acct).find((x) => x.id === id);
        if (!s) throw new Error(`run task: subnet ${JSON.stringify(id)} not found`);
        return s;
      });
      const out: Task[] = [];
      for (let i = 0; i < (input.count ?? 1); i++) {
        const r = world.startTask(cluster, {
          taskDefinition: td,
          launchType:
            input.launchType ??
            (td.requiresCompatibilities.length === 1 ? td.requiresCompatibilities[0]! : 'EC2'),
          group: input.group,
          startedBy: input.startedBy,
          subnets,
          initialStatus: input.lastStatus,
          pinned: input.pinned,
        });
        if ('reason' in r) throw new Error(`run task: cannot place a task in ${cluster.name}: ${r.reason}`);
        out.push(r);
      }
      return out;
    },
    stopTask(taskArn, reason = 'Task stopped by ecs-sim') {
      const t = sim.findTask(taskArn);
      if (!t) throw new Error(`stop task: ${JSON.stringify(taskArn)} not found`);
      world.stopTask(t, reason);
    },
    findTask(taskArn) {
      const id = taskArn.slice(taskArn.lastIndexOf('/') + 1);
      for (const a of world.accounts.values()) {
        for (const c of a.clusters.values()) {
          const t = c.tasks.get(id);
          if (t) return t;
        }
      }
      return undefined;
    },
    describeTask(taskArn) {
      const t = sim.findTask(taskArn);
      return t ? structuredClone(renderTask(t, true)) : undefined;
    },
    setTaskChaos(taskArn, chaos) {
      const t = sim.findTask(taskArn);
      if (!t) throw new Error(`set task chaos: ${JSON.stringify(taskArn)} not found`);
      t.chaos = chaos
        ? { missing: new Set(chaos.missing ?? []), bindingUnassigned: chaos.bindingUnassigned ?? false }
        : undefined;
      t.version++;
    },
    setEventsQueue(queue, id) {
      const acct = world.account(id ?? accountId);
      acct.eventsQueue = queue;
      if (queue) createQueue(world, acct, queue, endpoint);
    },
    setEventDelivery: (o) => delivery.configure(o),
    eventDelivery: () => ({ ...delivery.options, counts: delivery.counts() }),
    groundTruth: () => groundTruth(world),
    advance: (ms) => world.scheduler.advance(ms),
    settle: () => void world.scheduler.settle(),
    setLatency(ms) {
      latency = ms;
    },
    setCountLag: (ms) => world.setCountLag(ms),
    async close() {
      shutdown.abort();
      delivery.close();
      world.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const admin: AdminControl = {
    counters,
    faults,
    throttler,
    setLatency: sim.setLatency,
    setCountLag: sim.setCountLag,
    advance: sim.advance,
    settle: sim.settle,
    pendingSteps: () => world.scheduler.pending,
    setEventsQueue: sim.setEventsQueue,
    eventDelivery: sim.eventDelivery,
    setEventDelivery: sim.setEventDelivery,
    stopTask: sim.stopTask,
    setTaskChaos: sim.setTaskChaos,
    stateJson: () => groundTruthJson(world),
  };
  const server: Server = createServer(
    buildApp({
      world,
      throttler,
      faults,
      counters,
      latencyMs: () => latency,
      endpoint: () => endpoint,
      shutdown: shutdown.signal,
      admin: (req, res, body) => handleAdmin(admin, req, res, body),
    }),
  );
  server.keepAliveTimeout = 5000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('ecs-sim: server has no TCP address');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  endpoint = `http://${host}:${addr.port}`;

  try {
    if (fleet) applyFleet(world, fleet);
    const generate = options.generate ?? fleet?.generate;
    if (generate) applyFleet(world, validateFleet(generateFleet(generate, fleet)));
  } catch (err) {
    await sim.close();
    throw err;
  }
  world.listeners.add(eventPublisher(world, () => endpoint, delivery));
  for (const a of world.accounts.values()) if (a.eventsQueue) createQueue(world, a, a.eventsQueue, endpoint);
  if (options.eventsQueue) sim.setEventsQueue(options.eventsQueue);
  if (options.countLagMs !== undefined) sim.setCountLag(options.countLagMs);
  return sim;
}
