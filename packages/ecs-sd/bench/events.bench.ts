/**
 * `npm run bench` (events): ecs-sd's event mode (issue 6) on the 10,000-task fleet of the discovery
 * bench (ecs-sim with AWS throttling on and 30 ms latency per call), with 5% of the running service
 * tasks stopped per minute (a batch every 6 s; their services start replacements, ecs-sim emits the
 * ECS events to an SQS queue). It reports:
 *
 * 1. latency from a task reaching RUNNING in ecs-sim (`runningAt`) to its target in the file_sd
 *    output (fs.watch and re-read) and in http_sd (polled), p50/p99/max, and tasks never seen;
 * 2. API calls per hour of event mode at its defaults (count check every 60 s, full sweep every 6 h;
 *    the churn window scaled to an hour plus one measured full sweep × 60 min / 6 h) against
 *    polling at refresh_interval 60 s, DescribeClusters (the count check) counted apart;
 * 3. correctness under chaos: duplicated, delayed and dropped events and a 30 s queue outage,
 *    sampled every 2 s; the time from a late (dropped or delayed) event to the outputs being right
 *    again, p50/p99; whether the outputs equal ground truth after the sweeps;
 * 4. a start and a stop of the same cluster both lost: they cancel out in the counts, so only the
 *    scheduled sweep heals them, and how long it took.
 *
 * ecs-sim's counts trail its model by COUNT_LAG_MS (ECS publishes no freshness; 5 s assumed).
 *
 * ecs-sim runs in one child process and each daemon in another (a child of this file, driven by
 * messages, with its http app on 127.0.0.1:0); this process churns, watches the outputs and keeps
 * the books. It uses only the daemon's public interface (createRuntime, refresh, state, metrics, buildApp).
 *
 * Run: node --expose-gc packages/ecs-sd/bench/events.bench.ts
 * Window per mode: ECS_SD_BENCH_EVENTS_MINUTES (default 3; the whole bench then takes ~12 minutes).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@ecs-sd/testkit';
import { loadConfig } from '../src/config/load.ts';
import { createRuntime } from '../src/daemon/runtime.ts';
import { silentLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import { buildApp, HTTP_SD_PATH } from '../src/server/app.ts';
import { expectedAddresses } from '../test/support/expected-addresses.ts';
import {
  admin,
  ask,
  churnCandidates,
  compareTargets,
  FLEETS,
  floorOf,
  metricSum,
  operationsOf,
  pickEvenly,
  reply,
  row,
  simCalls,
  sleep,
  startSimProcess,
  stopTasks,
  type TruthTask,
  total,
  truth,
  useBenchCredentials,
} from './support.ts';

/** The fleet of the issue: the discovery bench's 10k fleet. */
const FLEET = FLEETS.find((fleet) => fleet.name === '10k')!;
/** Minutes of each measured window (event mode, polling mode). */
const MINUTES = Number(process.env['ECS_SD_BENCH_EVENTS_MINUTES'] ?? '3');
/** Phases to run (`ECS_SD_BENCH_EVENTS_PHASES=chaos`, comma-separated); calls per hour need events and polling. */
const PHASES = new Set(
  (process.env['ECS_SD_BENCH_EVENTS_PHASES'] ?? 'events,polling,chaos,both-lost').split(','),
);
/**
 * Minutes of the chaos run: long enough for a 30 s outage in the middle, short enough for the ~12
 * minute budget (`ECS_SD_BENCH_CHAOS_MINUTES` to change it).
 */
const CHAOS_MINUTES = Number(process.env['ECS_SD_BENCH_CHAOS_MINUTES'] ?? Math.min(MINUTES, 2));
/**
 * `ECS_SD_BENCH_CHAOS_DEFAULTS=1`: the chaos run uses event mode's defaults (checks every 60 s,
 * pending_recheck_after 90 s, full sweep every 6 h), nothing scaled; give it ECS_SD_BENCH_CHAOS_MINUTES=8 or so.
 */
const CHAOS_AT_DEFAULTS = process.env['ECS_SD_BENCH_CHAOS_DEFAULTS'] === '1';
/** Share of running service tasks stopped per minute. */
const CHURN_PER_MINUTE = 0.05;
/** Churn comes in batches this far apart, spreading it evenly over the minute. */
const CHURN_BATCH_MS = 6_000;
/** Pause between two http_sd polls (from the start of one to the start of the next). */
const HTTP_SD_POLL_MS = 200;
/**
 * http_sd is polled for every HTTP_SD_SAMPLE_EVERY-th task definition family only (`?job=`, the
 * family by default): rendering all 10,000 targets takes the daemon ~0.6 s, so polling the whole
 * list every 200 ms would keep it busy and measure the bench instead of the daemon.
 */
const HTTP_SD_SAMPLE_EVERY = 25;
/** The account of ecs-sim's generated fleet, where it creates the events queues. */
const ACCOUNT_ID = '123456789012';
const EVENTS_QUEUE = 'ecs-sd-bench-events';
const CHAOS_QUEUE = 'ecs-sd-bench-chaos';
/** Issue 6: a new task is in file_sd within 2 s (p99); issue 15: in http_sd within 1 s. */
const LATENCY_TARGET_MS = 2_000;
const HTTP_LATENCY_TARGET_MS = 1_000;
/** Issue 15: event mode costs at most a fiftieth of the rate-limited calls of polling at 60 s. */
const RATIO_TARGET = 50;
/** Issue 15: a dropped event is healed within 3 minutes (p99). */
const HEAL_TARGET_MS = 180_000;
/** How far ecs-sim's DescribeClusters/DescribeServices counts trail its model (an assumption: ECS publishes none). */
const COUNT_LAG_MS = 5_000;
/** How long after the window a started task may still appear before it counts as missing. */
const SEEN_GRACE_MS = 30_000;
const POLLING_REFRESH_S = 60;
/** Event mode's defaults: consistency_check_interval and full_sweep_interval. */
const CHECK_S = 60;
const FULL_SWEEP_S = 6 * 3600;
const CHAOS_REFRESH_S = 15;
/** Event mode's default pending_recheck_after. */
const PENDING_RECHECK_S = 90;
/**
 * The chaos run is 2 min, too short for checks every 60 s: it checks every 15 s, describes again
 * tasks pending for a quarter of the default bound, and sweeps each cluster every 2 min; the heal
 * times are then scaled to the 60 s default (× CHAOS_SCALE). With CHAOS_AT_DEFAULTS nothing is scaled.
 */
const CHAOS_CHECK_S = CHAOS_AT_DEFAULTS ? CHECK_S : 15;
const CHAOS_RECONCILE_S = CHAOS_AT_DEFAULTS ? FULL_SWEEP_S : 120;
const CHAOS_SCALE = CHECK_S / CHAOS_CHECK_S;
/** The both-lost run: checks every 15 s, each cluster swept every 5 min (10 clusters: one every 30 s). */
const BOTH_LOST_CHECK_S = 15;
const BOTH_LOST_SWEEP_S = 300;
/** EventBridge → SQS misbehaviour of the chaos run (ecs-sim `POST /_sim/events/delivery`). */
const CHAOS_DELIVERY = { duplicateRate: 0.1, delayRate: 0.2, maxDelayMs: 3_000, dropRate: 0.02 };
/** ReceiveMessage fails (HTTP 503) this long in the middle of the chaos run. */
const OUTAGE_MS = 30_000;
const SAMPLE_MS = 2_000;
/** A task announced (first RUNNING event enqueued) longer ago than this must have its target. */
const ANNOUNCED_GRACE_MS = 2_000;
/**
 * A task stopped longer ago than this must have no target: the stop's events may be delayed by up to
 * the chaos delivery's maxDelayMs (3 s) before they are announced, plus the 2 s of the latency target.
 */
const STOPPED_GRACE_MS = 5_000;
/** SQS operations: the queue's own calls, not under ECS's or EC2's rate limits. */
const SQS_OPERATIONS = new Set([
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'GetQueueAttributes',
]);
/** Labels of a target that name its task. */
const TASK_ARN = /"__meta_ecs_task_arn":\s*"([^"]+)"/g;
/** The file_sd files of the directory layout (15s-tasks.json, …), not their temporary siblings. */
const FILE_SD = /^\d+[sm]-tasks\.json$/;

const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------- the daemon (child process)

/** How the parent wants a daemon child. */
interface DaemonSpec {
  endpoint: string;
  refreshIntervalS: number;
  events?: { queueUrl: string; checkIntervalS: number; fullSweepIntervalS: number; pendingRecheckS?: number };
  /** `start()` the daemon (event mode, its own timer); otherwise it refreshes only when told. */
  start: boolean;
}

/** The first message of a daemon child: where its outputs are. */
interface Hello {
  outputs: string;
  httpSd: string;
}

/** What the daemon child answers to `refresh`. */
interface RefreshReply {
  wallMs: number;
  complete: boolean;
  failures: string[];
}

/** What the daemon child answers to `status`: its events health gauge, refresh counter, and busy time so far. */
interface StatusReply {
  healthy: number;
  refreshes: number;
  /** Messages received from the queue so far. */
  received: number;
  /** Clusters swept in event mode so far, by reason. */
  sweeps: Record<string, number>;
  /** Main thread busy (event loop utilization's `active`) and process CPU since the child started, ms. */
  activeMs: number;
  cpuMs: number;
}

type Command = { cmd: 'ready' } | { cmd: 'refresh' } | { cmd: 'status' } | { cmd: 'stop' };

/** The daemon child: one runtime with file_sd in a temporary directory and its http app on 127.0.0.1:0. */
async function runDaemonChild(spec: DaemonSpec): Promise<void> {
  useBenchCredentials();
  const outputs = await mkdtemp(join(tmpdir(), 'ecs-sd-bench-events-'));
  const config = loadConfig({
    fileText: JSON.stringify({
      refresh_interval: `${spec.refreshIntervalS}s`,
      sources: [
        {
          name: 'bench',
          region: 'us-east-1',
          endpoint: spec.endpoint,
          ...(spec.events === undefined
            ? {}
            : {
                events: {
                  queue_url: spec.events.queueUrl,
                  consistency_check_interval: `${spec.events.checkIntervalS}s`,
                  full_sweep_interval: `${spec.events.fullSweepIntervalS}s`,
                  pending_recheck_after: `${Math.round((spec.events.pendingRecheckS ?? PENDING_RECHECK_S) * 1000)}ms`,
                },
              }),
        },
      ],
      output: { directory: outputs },
    }),
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const daemon = createRuntime(config, { log: silentLogger(), metrics });
  const server = createServer(
    buildApp({
      view: daemon.state,
      registry: metrics.registry,
      refreshIntervalSeconds: spec.refreshIntervalS,
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  if (spec.start) daemon.start();
  process.on('message', (message: Command) => {
    void (async () => {
      if (message.cmd === 'ready') {
        await waitUntil('the first complete refresh', () => daemon.state.ready(), { timeoutMs: 300_000 });
        process.send!({});
      } else if (message.cmd === 'refresh') {
        const wall0 = performance.now();
        const summary = await daemon.refresh();
        const answer: RefreshReply = {
          wallMs: performance.now() - wall0,
          complete: summary.complete,
          failures: summary.failures.slice(0, 3),
        };
        process.send!(answer);
      } else if (message.cmd === 'status') {
        const answer: StatusReply = {
          healthy: await metricSum(metrics, 'ecs_sd_events_healthy'),
          refreshes: await metricSum(metrics, 'ecs_sd_refreshes_total'),
          received: await metricSum(metrics, 'ecs_sd_events_received_total'),
          sweeps: await sweepsByReason(metrics),
          activeMs: performance.eventLoopUtilization().active,
          cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
        };
        process.send!(answer);
      } else {
        await daemon.stop();
        server.closeAllConnections();
        server.close();
        await rm(outputs, { recursive: true, force: true });
        process.send!({}, () => process.disconnect());
      }
    })();
  });
  const hello: Hello = { outputs, httpSd: `http://127.0.0.1:${port}${HTTP_SD_PATH}` };
  process.send!(hello);
}

/** `ecs_sd_event_sweeps_total` summed by reason. */
async function sweepsByReason(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number>> {
  const out: Record<string, number> = { 'count-mismatch': 0, scheduled: 0, 'queue-unhealthy': 0, start: 0 };
  for (const value of (await metrics.eventSweeps.get()).values) {
    const reason = String(value.labels['reason']);
    out[reason] = (out[reason] ?? 0) + value.value;
  }
  return out;
}

/** A forked daemon child and where its outputs are. */
interface DaemonChild extends Hello {
  child: ChildProcess;
}

async function startDaemon(spec: DaemonSpec): Promise<DaemonChild> {
  const child = fork(SELF, ['--daemon', JSON.stringify(spec)], { stdio: 'inherit' });
  const hello = await reply<Hello>(child);
  return { child, ...hello };
}

async function stopDaemon(daemon: DaemonChild): Promise<void> {
  if (daemon.child.exitCode === null) {
    await ask(daemon.child, { cmd: 'stop' }).catch(() => {});
    if (daemon.child.exitCode === null) {
      daemon.child.kill('SIGTERM');
      await once(daemon.child, 'exit');
    }
  }
}

// ---------------------------------------------------------------- watching the outputs (parent)

/** Task ARNs of a file_sd / http_sd body, from the `__meta_ecs_task_arn` labels (no full parse: bodies are MBs). */
function taskArnsOf(text: string): Set<string> {
  const arns = new Set<string>();
  for (const match of text.matchAll(TASK_ARN)) arns.add(match[1]!);
  return arns;
}

/** When each task ARN was first seen in one output, and which ARNs it holds now. */
class Sightings {
  readonly firstSeen = new Map<string, number>();
  /** When each ARN last left the output. */
  readonly goneAt = new Map<string, number>();
  current: ReadonlySet<string> = new Set();
  /** Which tasks this output is watched for (a sample of http_sd, every task of file_sd). */
  readonly covers: (task: TruthTask) => boolean;

  constructor(covers: (task: TruthTask) => boolean = () => true) {
    this.covers = covers;
  }

  update(arns: ReadonlySet<string>, at: number): void {
    for (const arn of arns) if (!this.firstSeen.has(arn)) this.firstSeen.set(arn, at);
    for (const arn of this.current) if (!arns.has(arn)) this.goneAt.set(arn, at);
    this.current = arns;
  }
}

/** A running watcher; `stop()` ends its loop and resolves once it has. */
interface Watcher {
  stop(): Promise<void>;
}

/**
 * Watches the file_sd directory: on each change the changed files are re-read and their ARNs
 * recorded at the time of the first change not yet read (the daemon renames whole files in).
 */
function watchFileSd(directory: string, sightings: Sightings): Watcher {
  const perFile = new Map<string, ReadonlySet<string>>();
  const pending = new Set<string>();
  let since: number | undefined;
  let reading: Promise<void> | undefined;
  let closed = false;
  const drain = async () => {
    while (pending.size > 0 && !closed) {
      const at = since!;
      const names = [...pending];
      pending.clear();
      since = undefined;
      for (const name of names) {
        const text = await readFile(join(directory, name), 'utf8').catch(() => undefined);
        if (text !== undefined) perFile.set(name, taskArnsOf(text));
      }
      sightings.update(new Set([...perFile.values()].flatMap((arns) => [...arns])), at);
    }
    reading = undefined;
  };
  const changed = (name: string) => {
    if (!FILE_SD.test(name)) return;
    pending.add(name);
    since ??= Date.now();
    reading ??= drain();
  };
  const watcher = watch(directory, (_event, name) => {
    if (name !== null) changed(name);
  });
  void readdir(directory).then((names) => names.forEach(changed));
  return {
    async stop() {
      closed = true;
      watcher.close();
      await reading;
    },
  };
}

/** What the http_sd poller saw of its own pace. */
interface PollStats {
  polls: number;
  meanIntervalMs: number;
  meanResponseMs: number;
  conditional: boolean;
}

/**
 * Polls http_sd every HTTP_SD_POLL_MS (start to start; back to back when a response takes longer),
 * recording ARNs at the time the request was sent: the server renders the state it has on arrival.
 * Uses If-None-Match when the server sends an ETag.
 */
function pollHttpSd(url: string, sightings: Sightings): Watcher & { stats(): PollStats } {
  let stopped = false;
  let polls = 0;
  let responseMs = 0;
  let first = 0;
  let last = 0;
  let etag: string | undefined;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      const response = await fetch(url, etag === undefined ? {} : { headers: { 'if-none-match': etag } });
      if (response.status === 304) {
        sightings.update(sightings.current, at);
      } else {
        const text = await response.text();
        if (response.ok) {
          etag = response.headers.get('etag') ?? undefined;
          sightings.update(taskArnsOf(text), at);
        }
      }
      if (polls === 0) first = at;
      last = at;
      polls++;
      responseMs += Date.now() - at;
      await sleep(at + HTTP_SD_POLL_MS - Date.now());
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
    stats: () => ({
      polls,
      meanIntervalMs: polls > 1 ? (last - first) / (polls - 1) : 0,
      meanResponseMs: polls > 0 ? responseMs / polls : 0,
      conditional: etag !== undefined,
    }),
  };
}

/** Both outputs of one daemon, watched from its first write on. */
interface OutputWatch {
  file: Sightings;
  http: Sightings;
  stop(): Promise<PollStats>;
}

/** Every HTTP_SD_SAMPLE_EVERY-th task definition family of the fleet, by name. */
function sampleFamilies(tasks: readonly TruthTask[]): Set<string> {
  const families = [...new Set(tasks.map((task) => task.family))].sort();
  return new Set(families.filter((_, index) => index % HTTP_SD_SAMPLE_EVERY === 0));
}

function watchOutputs(daemon: DaemonChild, families: ReadonlySet<string>): OutputWatch {
  const file = new Sightings();
  const http = new Sightings((task) => families.has(task.family));
  const fileWatcher = watchFileSd(daemon.outputs, file);
  const query = [...families].map((family) => `job=${encodeURIComponent(family)}`).join('&');
  const poller = pollHttpSd(`${daemon.httpSd}?${query}`, http);
  return {
    file,
    http,
    async stop() {
      await Promise.all([fileWatcher.stop(), poller.stop()]);
      return poller.stats();
    },
  };
}

/** The task ARNs in the file_sd files on disk now. */
async function fileSdTaskArns(directory: string): Promise<Set<string>> {
  const arns = new Set<string>();
  for (const name of (await readdir(directory)).filter((entry) => FILE_SD.test(entry))) {
    const text = await readFile(join(directory, name), 'utf8').catch(() => '');
    for (const arn of taskArnsOf(text)) arns.add(arn);
  }
  return arns;
}

/** Waits until the watchers have read every file_sd file (not just the first one written) and one http_sd answer. */
async function outputsRead(daemon: DaemonChild, outputs: OutputWatch): Promise<void> {
  await waitUntil(
    'both outputs read',
    async () => {
      const onDisk = await fileSdTaskArns(daemon.outputs);
      return (
        onDisk.size > 0 &&
        [...onDisk].every((arn) => outputs.file.current.has(arn)) &&
        outputs.http.current.size > 0
      );
    },
    { timeoutMs: 60_000 },
  );
}

/** Every address of the file_sd files and of http_sd, fully parsed, for the exact comparison with truth. */
async function outputAddresses(daemon: DaemonChild): Promise<{ file: string[]; http: string[] }> {
  const addressesOf = (text: string) =>
    (JSON.parse(text) as { targets: string[] }[]).flatMap((group) => group.targets);
  const names = (await readdir(daemon.outputs)).filter((name) => FILE_SD.test(name));
  const file: string[] = [];
  for (const name of names) file.push(...addressesOf(await readFile(join(daemon.outputs, name), 'utf8')));
  const response = await fetch(daemon.httpSd);
  const text = await response.text();
  if (!response.ok) throw new Error(`http_sd ${daemon.httpSd}: got HTTP ${response.status}: ${text}`);
  return { file, http: addressesOf(text) };
}

/** ecs-sim's event delivery counts since it started (published, enqueued, duplicated, delayed, dropped). */
async function deliveryCounts(endpoint: string): Promise<Record<string, number>> {
  return (await admin<{ counts: Record<string, number> }>(endpoint, 'GET', 'events/delivery')).counts;
}

/** The difference of two count records. */
function countsSince(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - (before[key] ?? 0)]));
}

// ---------------------------------------------------------------- churn and quiet (parent)

/** When the bench stopped each task (epoch ms): churn's own record, so stale targets can be told. */
type StopTimes = Map<string, number>;

/**
 * Stops CHURN_PER_MINUTE of the running service tasks per minute in batches every CHURN_BATCH_MS
 * until `untilMs`, never a task that reached RUNNING at or after `protectedSince` (those are measured).
 */
async function churnUntil(endpoint: string, untilMs: number, protectedSince: number, stops: StopTimes) {
  for (let next = Date.now(), batch = 0; next < untilMs; next += CHURN_BATCH_MS, batch++) {
    await sleep(next - Date.now());
    const running = churnCandidates(await truth(endpoint));
    const count = Math.round((running.length * CHURN_PER_MINUTE * CHURN_BATCH_MS) / 60_000);
    const candidates = running.filter(
      (task) => !stops.has(task.taskArn) && (task.runningAt ?? 0) < protectedSince,
    );
    const picked = pickEvenly(candidates, count, (batch * 0.618) % 1);
    const requested = Date.now();
    await stopTasks(endpoint, picked, (task) => stops.set(task.taskArn, requested));
  }
}

/** ECS, EC2 and SSM calls only (the rate-limited reads discovery makes). */
function discoveryCalls(calls: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).filter(([operation]) => !SQS_OPERATIONS.has(operation)));
}

/** Waits until the daemon makes no ECS/EC2 call for `quietMs` (its event refreshes have ended). */
async function waitForQuiet(endpoint: string, quietMs = 3_000): Promise<void> {
  let last = -1;
  let since = Date.now();
  await waitUntil(
    'the daemon to stop calling ECS',
    async () => {
      const count = total(discoveryCalls((await simCalls(endpoint)).calls));
      if (count !== last) {
        last = count;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    { timeoutMs: 120_000, everyMs: 500 },
  );
}

// ---------------------------------------------------------------- latency

/** Distribution of latencies (ms) of one output. */
interface Latency {
  count: number;
  missing: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/** Latency from `runningAt` to the first sighting of each task the output is watched for; tasks never seen are missing. */
function latencyOf(tasks: readonly TruthTask[], sightings: Sightings): Latency {
  const values: number[] = [];
  let missing = 0;
  for (const task of tasks.filter(sightings.covers)) {
    const seen = sightings.firstSeen.get(task.taskArn);
    if (seen === undefined) missing++;
    else values.push(seen - task.runningAt!);
  }
  values.sort((a, b) => a - b);
  return {
    count: values.length,
    missing,
    p50: percentile(values, 0.5),
    p99: percentile(values, 0.99),
    max: values.at(-1) ?? Number.NaN,
  };
}

/** ecs-sim's `announcedAt` (first RUNNING event enqueued) as sightings, for the simulator's share of the latency. */
function announcements(tasks: readonly TruthTask[]): Sightings {
  const sightings = new Sightings();
  for (const task of tasks)
    if (task.announcedAt !== undefined) sightings.firstSeen.set(task.taskArn, task.announcedAt);
  return sightings;
}

/** True when ground truth says this task should have a target now. */
function shouldHaveTarget(task: TruthTask): boolean {
  return expectedAddresses([task]).length > 0;
}

// ---------------------------------------------------------------- phase 1: event mode

interface EventModeResult {
  coldStartMs: number;
  /** Share of the window the daemon's main thread was busy, and its CPU time per second of window. */
  busy: number;
  cpuPerSecond: number;
  /** Messages ecs-sim enqueued and the daemon received during the window. */
  messages: { enqueued: number; received: number };
  windowMs: number;
  stopped: number;
  calls: Record<string, number>;
  reconcileCalls: Record<string, number>;
  reconcileMs: number;
  /** Clusters swept during the window, by reason. */
  sweeps: Record<string, number>;
  /** From RUNNING to its event in the queue (ecs-sim's own part of the latency). */
  enqueued: Latency;
  file: Latency;
  http: Latency;
  poll: PollStats;
}

async function eventMode(
  endpoint: string,
  families: ReadonlySet<string>,
  log: (text: string) => void,
): Promise<EventModeResult> {
  await admin(endpoint, 'POST', 'events', { queue: EVENTS_QUEUE });
  const daemon = await startDaemon({
    endpoint,
    refreshIntervalS: POLLING_REFRESH_S,
    events: {
      queueUrl: `${endpoint}/${ACCOUNT_ID}/${EVENTS_QUEUE}`,
      checkIntervalS: CHECK_S,
      fullSweepIntervalS: FULL_SWEEP_S,
    },
    start: true,
  });
  const outputs = watchOutputs(daemon, families);
  try {
    const started = Date.now();
    await ask(daemon.child, { cmd: 'ready' });
    const coldStartMs = Date.now() - started;
    await outputsRead(daemon, outputs);
    await waitForQuiet(endpoint);
    log(`event mode: cold start ${(coldStartMs / 1000).toFixed(1)} s; churning for ${MINUTES} min`);
    await admin(endpoint, 'POST', 'counters/reset');
    const before = await ask<StatusReply>(daemon.child, { cmd: 'status' });
    const deliveredBefore = await deliveryCounts(endpoint);
    const windowStart = Date.now();
    const stops: StopTimes = new Map();
    await churnUntil(endpoint, windowStart + MINUTES * 60_000, windowStart, stops);
    const windowEnd = Date.now();
    const { calls } = await simCalls(endpoint);
    const after = await ask<StatusReply>(daemon.child, { cmd: 'status' });
    const enqueued = countsSince(await deliveryCounts(endpoint), deliveredBefore)['enqueued'] ?? 0;
    const measured = (tasks: readonly TruthTask[]) =>
      tasks.filter(
        (task) =>
          task.runningAt !== undefined &&
          task.runningAt >= windowStart &&
          task.runningAt <= windowEnd &&
          shouldHaveTarget(task),
      );
    const tasks = await waitUntil(
      'every task started in the window in both outputs',
      async () => {
        const all = await truth(endpoint);
        const seen = (task: TruthTask) =>
          outputs.file.firstSeen.has(task.taskArn) &&
          (!outputs.http.covers(task) || outputs.http.firstSeen.has(task.taskArn));
        return measured(all).every(seen) || Date.now() > windowEnd + SEEN_GRACE_MS ? all : undefined;
      },
      { timeoutMs: SEEN_GRACE_MS + 10_000, everyMs: 1_000 },
    );
    const counted = measured(tasks);
    const announced = latencyOf(counted, announcements(counted));
    const file = latencyOf(counted, outputs.file);
    const http = latencyOf(counted, outputs.http);
    log(`event mode: ${counted.length} tasks started in the window; measuring one full reconcile`);
    await admin(endpoint, 'POST', 'settle');
    await waitForQuiet(endpoint);
    await admin(endpoint, 'POST', 'counters/reset');
    const reconcile = await ask<RefreshReply>(daemon.child, { cmd: 'refresh' });
    if (!reconcile.complete) throw new Error(`full reconcile incomplete: ${reconcile.failures.join('; ')}`);
    const reconcileCalls = discoveryCalls((await simCalls(endpoint)).calls);
    return {
      coldStartMs,
      busy: (after.activeMs - before.activeMs) / (windowEnd - windowStart),
      messages: { enqueued, received: after.received - before.received },
      cpuPerSecond: (after.cpuMs - before.cpuMs) / ((windowEnd - windowStart) / 1000),
      windowMs: windowEnd - windowStart,
      stopped: stops.size,
      calls,
      reconcileCalls,
      reconcileMs: reconcile.wallMs,
      sweeps: countsSince(after.sweeps, before.sweeps),
      enqueued: announced,
      file,
      http,
      poll: await outputs.stop(),
    };
  } finally {
    await outputs.stop();
    await stopDaemon(daemon);
    await admin(endpoint, 'POST', 'events', { queue: null });
  }
}

// ---------------------------------------------------------------- phase 2: polling mode

interface PollingModeResult {
  refreshes: number;
  calls: Record<string, number>;
  meanRefreshMs: number;
}

async function pollingMode(endpoint: string, log: (text: string) => void): Promise<PollingModeResult> {
  const daemon = await startDaemon({ endpoint, refreshIntervalS: POLLING_REFRESH_S, start: false });
  try {
    const cold = await ask<RefreshReply>(daemon.child, { cmd: 'refresh' });
    log(`polling mode: cold start ${(cold.wallMs / 1000).toFixed(1)} s; churning for ${MINUTES} min`);
    await sleep(5_000); // the budgets refill, as after the cold start of a daemon refreshing every 60 s
    await admin(endpoint, 'POST', 'counters/reset');
    const windowStart = Date.now();
    const churning = churnUntil(endpoint, windowStart + MINUTES * 60_000, windowStart, new Map());
    let refreshMs = 0;
    for (let minute = 1; minute <= MINUTES; minute++) {
      await sleep(windowStart + minute * POLLING_REFRESH_S * 1000 - Date.now());
      const refresh = await ask<RefreshReply>(daemon.child, { cmd: 'refresh' });
      if (!refresh.complete) throw new Error(`polling refresh incomplete: ${refresh.failures.join('; ')}`);
      refreshMs += refresh.wallMs;
    }
    await churning;
    return {
      refreshes: MINUTES,
      calls: (await simCalls(endpoint)).calls,
      meanRefreshMs: refreshMs / MINUTES,
    };
  } finally {
    await stopDaemon(daemon);
  }
}

// ---------------------------------------------------------------- phase 3: chaos

/** When a sample was taken relative to the outage. */
type Period = 'before' | 'outage' | 'after';
const PERIODS: readonly Period[] = ['before', 'outage', 'after'];
const VIOLATIONS = ['missing file_sd', 'missing http_sd', 'stale file_sd', 'stale http_sd'] as const;
type Violation = (typeof VIOLATIONS)[number];

interface ChaosResult {
  runMs: number;
  samples: Record<Period, number>;
  /** Distinct tasks with a violation, by kind and by the period it was first seen in. */
  violations: Record<Violation, Record<Period, number>>;
  unhealthyAfterMs: number | undefined;
  healthyAgainAfterMs: number | undefined;
  fallbackRefreshes: number;
  delivery: Record<string, number>;
  reconcileObserved: boolean;
  mismatch: { file: string; http: string };
  /** For tasks missing from file_sd outside the outage: seconds from announced to first seen in file_sd. */
  lateFile: { count: number; p50: number; max: number; never: number };
  /**
   * Heal time in file_sd of every task with a violation outside the outage: from its RUNNING event
   * (announced) to its target, or from its stop to its target's removal.
   */
  heal: { count: number; p50: number; p99: number; max: number; never: number };
  /**
   * Tasks whose RUNNING event was dropped (ecs-sim never announced them) that reached RUNNING
   * outside the outage: from RUNNING to their target in file_sd, the heal of a lost event.
   */
  dropped: { count: number; p50: number; p99: number; max: number; never: number };
  /** Clusters swept during the run and after it, by reason. */
  sweeps: Record<string, number>;
}

/** One sample: tasks announced more than 2 s ago without a target, targets of tasks stopped more than 3 s ago. */
function sampleViolations(
  tasks: readonly TruthTask[],
  outputs: { file: ReadonlySet<string>; http: ReadonlySet<string>; httpCovers: (task: TruthTask) => boolean },
  stops: StopTimes,
  at: number,
): Map<Violation, string[]> {
  const found = new Map<Violation, string[]>(VIOLATIONS.map((kind) => [kind, []]));
  const { file, http } = outputs;
  for (const task of tasks) {
    if (stops.has(task.taskArn) || task.announcedAt === undefined) continue;
    if (task.announcedAt >= at - ANNOUNCED_GRACE_MS || !shouldHaveTarget(task)) continue;
    if (!file.has(task.taskArn)) found.get('missing file_sd')!.push(task.taskArn);
    if (outputs.httpCovers(task) && !http.has(task.taskArn)) found.get('missing http_sd')!.push(task.taskArn);
  }
  const stoppedAt = new Map(stops);
  for (const task of tasks)
    if (task.stoppedAt !== undefined && !stoppedAt.has(task.taskArn))
      stoppedAt.set(task.taskArn, task.stoppedAt);
  for (const [output, arns] of [
    ['stale file_sd', file],
    ['stale http_sd', http],
  ] as const) {
    for (const arn of arns) {
      const stopped = stoppedAt.get(arn);
      if (stopped !== undefined && stopped < at - STOPPED_GRACE_MS) found.get(output)!.push(arn);
    }
  }
  return found;
}

async function chaos(
  endpoint: string,
  families: ReadonlySet<string>,
  log: (text: string) => void,
): Promise<ChaosResult> {
  await admin(endpoint, 'POST', 'events', { queue: CHAOS_QUEUE });
  await admin(endpoint, 'POST', 'events/delivery', CHAOS_DELIVERY);
  const daemon = await startDaemon({
    endpoint,
    refreshIntervalS: CHAOS_REFRESH_S,
    events: {
      queueUrl: `${endpoint}/${ACCOUNT_ID}/${CHAOS_QUEUE}`,
      checkIntervalS: CHAOS_CHECK_S,
      fullSweepIntervalS: CHAOS_RECONCILE_S,
      pendingRecheckS: PENDING_RECHECK_S / CHAOS_SCALE,
    },
    start: true,
  });
  const outputs = watchOutputs(daemon, families);
  try {
    await ask(daemon.child, { cmd: 'ready' });
    await outputsRead(daemon, outputs);
    const runStart = Date.now();
    const runEnd = runStart + CHAOS_MINUTES * 60_000;
    const outageStart = runStart + (runEnd - runStart - OUTAGE_MS) / 2;
    const outageEnd = outageStart + OUTAGE_MS;
    log(
      `chaos: ${CHAOS_MINUTES} min with churn, ReceiveMessage failing from +${((outageStart - runStart) / 1000).toFixed(0)} s for ${OUTAGE_MS / 1000} s`,
    );
    const stops: StopTimes = new Map();
    const deliveredBefore = await deliveryCounts(endpoint);
    const sweptBefore = (await ask<StatusReply>(daemon.child, { cmd: 'status' })).sweeps;
    const churning = churnUntil(endpoint, runEnd, runStart, stops);
    const outage = (async () => {
      await sleep(outageStart - Date.now());
      const { id } = await admin<{ id: string }>(endpoint, 'POST', 'faults', {
        operation: 'ReceiveMessage',
        kind: 'http503',
      });
      await sleep(outageEnd - Date.now());
      await admin(endpoint, 'DELETE', `faults/${id}`);
    })();
    const samples: Record<Period, number> = { before: 0, outage: 0, after: 0 };
    const firstViolation = new Map<Violation, Map<string, Period>>(
      VIOLATIONS.map((kind) => [kind, new Map()]),
    );
    const announced = new Map<string, number>();
    let unhealthyAt: number | undefined;
    let healthyAgainAt: number | undefined;
    let refreshesAtUnhealthy = 0;
    let fallbackRefreshes = 0;
    while (Date.now() < runEnd) {
      const at = Date.now();
      // Outputs as of `at` (the watchers' latest sets, replaced, never mutated), then the truth.
      const seen = {
        file: outputs.file.current,
        http: outputs.http.current,
        httpCovers: outputs.http.covers,
      };
      const tasks = await truth(endpoint);
      for (const task of tasks)
        if (task.announcedAt !== undefined) announced.set(task.taskArn, task.announcedAt);
      const found = sampleViolations(tasks, seen, stops, at);
      const period: Period =
        at < outageStart ? 'before' : at < outageEnd + CHAOS_REFRESH_S * 1000 ? 'outage' : 'after';
      samples[period]++;
      for (const [kind, arns] of found) {
        const first = firstViolation.get(kind)!;
        for (const arn of arns) if (!first.has(arn)) first.set(arn, period);
      }
      const status = await ask<StatusReply>(daemon.child, { cmd: 'status' });
      if (status.healthy === 0 && unhealthyAt === undefined && at >= outageStart) {
        unhealthyAt = at;
        refreshesAtUnhealthy = status.refreshes;
      }
      if (unhealthyAt !== undefined && healthyAgainAt === undefined) {
        fallbackRefreshes = status.refreshes - refreshesAtUnhealthy;
        if (status.healthy === 1) healthyAgainAt = at;
      }
      await sleep(at + SAMPLE_MS - Date.now());
    }
    await Promise.all([churning, outage]);
    const delivery = countsSince(await deliveryCounts(endpoint), deliveredBefore);
    await admin(endpoint, 'POST', 'events/delivery', {});
    // The consumer backs off up to 30 s: follow it until it reads the queue again.
    await waitUntil(
      'the events source healthy again',
      async () => {
        const status = await ask<StatusReply>(daemon.child, { cmd: 'status' });
        if (unhealthyAt === undefined || healthyAgainAt !== undefined) return true;
        fallbackRefreshes = status.refreshes - refreshesAtUnhealthy;
        if (status.healthy === 1) healthyAgainAt = Date.now();
        return status.healthy === 1;
      },
      { timeoutMs: 60_000, everyMs: 500 },
    ).catch(() => false);
    log('chaos: run over; waiting for the next reconcile');
    // After the last delayed events and their refreshes, the next time every cluster's tasks are listed is the reconcile.
    await admin(endpoint, 'POST', 'settle');
    await sleep(CHAOS_DELIVERY.maxDelayMs);
    await waitForQuiet(endpoint);
    await admin(endpoint, 'POST', 'counters/reset');
    const pages = floorOf(await truth(endpoint), FLEET.clusters) - 1;
    // At the defaults the next full round of sweeps is hours away: the outputs are compared without it.
    // A RUNNING event dropped near the end heals within pending_recheck_after and two checks.
    if (CHAOS_AT_DEFAULTS) await sleep((PENDING_RECHECK_S + 2 * CHECK_S) * 1000);
    const reconcileObserved = CHAOS_AT_DEFAULTS
      ? false
      : await waitUntil(
          'a reconcile (every cluster listed)',
          async () => ((await simCalls(endpoint)).calls['ListTasks'] ?? 0) >= pages,
          { timeoutMs: (CHAOS_RECONCILE_S + 90) * 1000, everyMs: 500 },
        ).catch(() => false);
    await waitForQuiet(endpoint);
    const expected = expectedAddresses(await truth(endpoint));
    let mismatch = { file: 'not compared', http: 'not compared' };
    await waitUntil(
      'outputs equal to ground truth',
      async () => {
        const addresses = await outputAddresses(daemon);
        mismatch = {
          file: compareTargets(addresses.file, expected),
          http: compareTargets(addresses.http, expected),
        };
        return mismatch.file === '' && mismatch.http === '';
      },
      { timeoutMs: 15_000, everyMs: 1_000 },
    ).catch(() => false);
    const violations = Object.fromEntries(
      VIOLATIONS.map((kind) => {
        const byPeriod: Record<Period, number> = { before: 0, outage: 0, after: 0 };
        for (const period of firstViolation.get(kind)!.values()) byPeriod[period]++;
        return [kind, byPeriod];
      }),
    ) as Record<Violation, Record<Period, number>>;
    const late: number[] = [];
    let never = 0;
    for (const [arn, period] of firstViolation.get('missing file_sd')!) {
      if (period === 'outage') continue;
      const seenAt = outputs.file.firstSeen.get(arn);
      if (seenAt === undefined) never++;
      else late.push(seenAt - announced.get(arn)!);
    }
    late.sort((a, b) => a - b);
    const heal: number[] = [];
    let unhealed = 0;
    for (const [arn, period] of firstViolation.get('missing file_sd')!) {
      if (period === 'outage') continue;
      const seenAt = outputs.file.firstSeen.get(arn);
      if (seenAt === undefined) unhealed++;
      else heal.push(seenAt - announced.get(arn)!);
    }
    const finalTruth = await truth(endpoint);
    const stoppedAt = new Map(stops);
    for (const task of finalTruth)
      if (task.stoppedAt !== undefined && !stoppedAt.has(task.taskArn))
        stoppedAt.set(task.taskArn, task.stoppedAt);
    for (const [arn, period] of firstViolation.get('stale file_sd')!) {
      if (period === 'outage') continue;
      const goneAt = outputs.file.goneAt.get(arn);
      if (goneAt === undefined || outputs.file.current.has(arn)) unhealed++;
      else heal.push(goneAt - stoppedAt.get(arn)!);
    }
    heal.sort((a, b) => a - b);
    const dropped: number[] = [];
    let droppedNever = 0;
    const inOutage = (at: number) => at >= outageStart && at < outageEnd + CHAOS_REFRESH_S * 1000;
    for (const task of finalTruth) {
      const at = task.runningAt;
      if (at === undefined || task.announcedAt !== undefined || at < runStart || at > runEnd || inOutage(at))
        continue;
      if (!shouldHaveTarget({ ...task, lastStatus: 'RUNNING' })) continue;
      const seenAt = outputs.file.firstSeen.get(task.taskArn);
      if (seenAt !== undefined) dropped.push(seenAt - at);
      else if (task.lastStatus === 'RUNNING') droppedNever++;
    }
    dropped.sort((a, b) => a - b);
    const sweptAfter = (await ask<StatusReply>(daemon.child, { cmd: 'status' })).sweeps;
    return {
      heal: {
        count: heal.length,
        p50: percentile(heal, 0.5),
        p99: percentile(heal, 0.99),
        max: heal.at(-1) ?? Number.NaN,
        never: unhealed,
      },
      sweeps: countsSince(sweptAfter, sweptBefore),
      dropped: {
        count: dropped.length,
        p50: percentile(dropped, 0.5),
        p99: percentile(dropped, 0.99),
        max: dropped.at(-1) ?? Number.NaN,
        never: droppedNever,
      },
      runMs: runEnd - runStart,
      samples,
      violations,
      lateFile: { count: late.length, p50: percentile(late, 0.5), max: late.at(-1) ?? Number.NaN, never },
      unhealthyAfterMs: unhealthyAt === undefined ? undefined : unhealthyAt - outageStart,
      healthyAgainAfterMs: healthyAgainAt === undefined ? undefined : healthyAgainAt - outageEnd,
      fallbackRefreshes,
      delivery,
      reconcileObserved,
      mismatch,
    };
  } finally {
    await outputs.stop();
    await stopDaemon(daemon);
    await admin(endpoint, 'POST', 'events', { queue: null });
  }
}

// ---------------------------------------------------------------- phase 4: a start and a stop both lost

const LOST_QUEUE = 'ecs-sd-bench-lost';

interface BothLostResult {
  cluster: string;
  /** From the lost stop to the outputs right again (the stopped task gone, its replacement in). */
  healedMs: number | undefined;
  /** Clusters swept from the loss to the heal, by reason. */
  sweeps: Record<string, number>;
  /** Count checks that ran meanwhile (DescribeClusters calls). */
  checks: number;
}

/**
 * Stops one service task while ecs-sim sends its events to a queue no daemon reads: the stop and
 * its replacement's start are both lost in the same cluster, so the counts agree; only the scheduled
 * sweep of that cluster heals the outputs.
 */
async function bothLost(endpoint: string, log: (text: string) => void): Promise<BothLostResult> {
  await admin(endpoint, 'POST', 'events', { queue: EVENTS_QUEUE });
  const daemon = await startDaemon({
    endpoint,
    refreshIntervalS: POLLING_REFRESH_S,
    events: {
      queueUrl: `${endpoint}/${ACCOUNT_ID}/${EVENTS_QUEUE}`,
      checkIntervalS: BOTH_LOST_CHECK_S,
      fullSweepIntervalS: BOTH_LOST_SWEEP_S,
    },
    start: true,
  });
  try {
    await ask(daemon.child, { cmd: 'ready' });
    await waitForQuiet(endpoint);
    const running = churnCandidates(await truth(endpoint));
    const victim = running[Math.floor(running.length / 2)]!;
    const before = await ask<StatusReply>(daemon.child, { cmd: 'status' });
    await admin(endpoint, 'POST', 'counters/reset');
    await admin(endpoint, 'POST', 'events', { queue: LOST_QUEUE });
    const lostAt = Date.now();
    await stopTasks(endpoint, [victim], () => {});
    await admin(endpoint, 'POST', 'settle');
    await admin(endpoint, 'POST', 'events', { queue: EVENTS_QUEUE });
    const replacement = (await truth(endpoint)).find(
      (task) =>
        task.service === victim.service &&
        task.cluster === victim.cluster &&
        task.runningAt !== undefined &&
        task.runningAt >= lostAt,
    );
    if (replacement === undefined) throw new Error(`no replacement of ${victim.taskArn} started`);
    log(
      `both lost: stopped ${victim.taskArn} in ${victim.cluster}, replacement ${replacement.taskArn}; waiting for the scheduled sweep`,
    );
    const healedAt = await waitUntil(
      'both lost events healed',
      async () => {
        const arns = await fileSdTaskArns(daemon.outputs);
        return arns.has(replacement.taskArn) && !arns.has(victim.taskArn) ? Date.now() : undefined;
      },
      { timeoutMs: (BOTH_LOST_SWEEP_S + 3 * BOTH_LOST_CHECK_S) * 1000, everyMs: 250 },
    ).catch(() => undefined);
    const after = await ask<StatusReply>(daemon.child, { cmd: 'status' });
    return {
      cluster: victim.cluster,
      healedMs: healedAt === undefined ? undefined : healedAt - lostAt,
      sweeps: countsSince(after.sweeps, before.sweeps),
      checks: (await simCalls(endpoint)).calls['DescribeClusters'] ?? 0,
    };
  } finally {
    await stopDaemon(daemon);
    await admin(endpoint, 'POST', 'events', { queue: null });
  }
}

// ---------------------------------------------------------------- report

const seconds = (ms: number) => (Number.isNaN(ms) ? '–' : `${(ms / 1000).toFixed(2)} s`);
const met = (ok: boolean) => (ok ? 'target met' : 'missed');

function formatLatency(result: EventModeResult, sampled: number, families: number): string[] {
  const { poll } = result;
  const line = (name: string, latency: Latency, targetMs: number) => {
    const ok = latency.missing === 0 && latency.count > 0 && latency.p99 < targetMs;
    return row([
      name,
      latency.count,
      seconds(latency.p50),
      seconds(latency.p99),
      seconds(latency.max),
      latency.missing,
      `< ${targetMs / 1000} s: ${met(ok)}`,
    ]);
  };
  return [
    `**1. Latency** from RUNNING in ecs-sim (\`runningAt\`) to the task's target, tasks started in the ${MINUTES} min window that should have targets (${result.stopped} tasks stopped by churn).`,
    `file_sd: fs.watch on the output directory, changed files re-read. http_sd: polled every ${HTTP_SD_POLL_MS} ms (measured ${poll.meanIntervalMs.toFixed(0)} ms start to start, ${poll.meanResponseMs.toFixed(0)} ms per response, ${poll.polls} polls; conditional requests ${poll.conditional ? 'used (ETag)' : 'not supported by the server'}) for the tasks of ${sampled} of ${families} task definition families (\`?job=\`), since the whole list (16 MB at 10,000 targets) every 200 ms would load the daemon: resolution ≈ ${poll.meanIntervalMs.toFixed(0)} ms.`,
    `Queue during the window: ${result.messages.enqueued} messages enqueued, ${result.messages.received} received in ${result.calls['ReceiveMessage'] ?? 0} ReceiveMessage calls (${(result.messages.received / Math.max(1, result.calls['ReceiveMessage'] ?? 0)).toFixed(1)} per call; SQS returns at most 10).`,
    `Daemon during the window: main thread busy ${(result.busy * 100).toFixed(0)}%, ${result.cpuPerSecond.toFixed(0)} ms CPU per second; the http_sd polls account for ≈ ${((poll.meanResponseMs / poll.meanIntervalMs) * 100).toFixed(0)}% of its time (response time ÷ interval, an upper bound).`,
    '',
    row(['output', 'count', 'p50', 'p99', 'max', 'missing', 'p99 target']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---']),
    row([
      'RUNNING event enqueued (ecs-sim)',
      result.enqueued.count,
      seconds(result.enqueued.p50),
      seconds(result.enqueued.p99),
      seconds(result.enqueued.max),
      result.enqueued.missing,
      '–',
    ]),
    line('file_sd', result.file, LATENCY_TARGET_MS),
    line(`http_sd (${sampled} families)`, result.http, HTTP_LATENCY_TARGET_MS),
  ];
}

function formatCalls(events: EventModeResult, polling: PollingModeResult): string[] {
  const perHour = 60 / (events.windowMs / 60_000);
  const sweepsPerHour = 3600 / FULL_SWEEP_S;
  const eventHour = (operation: string) =>
    (events.calls[operation] ?? 0) * perHour + (events.reconcileCalls[operation] ?? 0) * sweepsPerHour;
  const pollRefresh = (operation: string) => (polling.calls[operation] ?? 0) / polling.refreshes;
  const pollHour = (operation: string) => pollRefresh(operation) * (3600 / POLLING_REFRESH_S);
  const operations = operationsOf([events.calls, events.reconcileCalls, polling.calls]);
  const sum = (of: (operation: string) => number, only: (operation: string) => boolean) =>
    operations.filter(only).reduce((acc, operation) => acc + of(operation), 0);
  const all = () => true;
  const discovery = (operation: string) => !SQS_OPERATIONS.has(operation);
  const resources = (operation: string) => discovery(operation) && operation !== 'DescribeClusters';
  const fmt = (value: number) => Math.round(value).toLocaleString('en-US');
  const ratio = (only: (operation: string) => boolean) => sum(pollHour, only) / sum(eventHour, only);
  const ratioAll = ratio(all);
  const ratioDiscovery = ratio(discovery);
  const ratioResources = ratio(resources);
  const sweeps = Object.entries(events.sweeps)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  return [
    `**2. API calls per hour**, same fleet and churn, event mode at its defaults (consistency_check_interval ${CHECK_S} s, full_sweep_interval ${FULL_SWEEP_S / 3600} h; ecs-sim's counts trail its model by ${COUNT_LAG_MS / 1000} s). Event mode: calls in the ${(events.windowMs / 60_000).toFixed(1)} min window after the cold start × ${perHour.toFixed(1)} (count checks and the sweeps they earned: ${sweeps || 'no sweep'}), plus one measured full sweep of every cluster (${seconds(events.reconcileMs)}) × ${sweepsPerHour.toFixed(3)} (60 min / full_sweep_interval; each cluster's share comes at its own time, spread over the interval). Polling: mean of ${polling.refreshes} refreshes at refresh_interval ${POLLING_REFRESH_S} s (${seconds(polling.meanRefreshMs)} each) × ${3600 / POLLING_REFRESH_S}.`,
    '',
    row([
      'operation',
      'event window',
      'one full sweep',
      '**event mode /h**',
      'polling per refresh',
      '**polling /h**',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...operations.map((operation) =>
      row([
        operation,
        events.calls[operation] ?? 0,
        events.reconcileCalls[operation] ?? 0,
        fmt(eventHour(operation)),
        pollRefresh(operation).toFixed(1),
        fmt(pollHour(operation)),
      ]),
    ),
    row([
      '**total**',
      total(events.calls),
      total(events.reconcileCalls),
      `**${fmt(sum(eventHour, all))}**`,
      (total(polling.calls) / polling.refreshes).toFixed(1),
      `**${fmt(sum(pollHour, all))}**`,
    ]),
    row([
      'ECS/EC2/SSM (rate-limited)',
      total(discoveryCalls(events.calls)),
      total(events.reconcileCalls),
      fmt(sum(eventHour, discovery)),
      (total(discoveryCalls(polling.calls)) / polling.refreshes).toFixed(1),
      fmt(sum(pollHour, discovery)),
    ]),
    row([
      'of which not DescribeClusters',
      total(discoveryCalls(events.calls)) - (events.calls['DescribeClusters'] ?? 0),
      total(events.reconcileCalls) - (events.reconcileCalls['DescribeClusters'] ?? 0),
      fmt(sum(eventHour, resources)),
      (
        (total(discoveryCalls(polling.calls)) - (polling.calls['DescribeClusters'] ?? 0)) /
        polling.refreshes
      ).toFixed(1),
      fmt(sum(pollHour, resources)),
    ]),
    '',
    `Polling ÷ event mode, the rate-limited ECS/EC2/SSM reads (what shares the account's limits with CI/CD and the console): **${ratioDiscovery.toFixed(1)}×** with the count check's DescribeClusters (target ≥ ${RATIO_TARGET}×: ${met(ratioDiscovery >= RATIO_TARGET)}); **${ratioResources.toFixed(1)}×** without them (DescribeClusters draws on the cluster-read bucket, not the cluster-resource one ListTasks and DescribeTasks drain). Counting SQS calls too (SQS has its own quota): ${ratioAll.toFixed(1)}×.`,
  ];
}

function formatChaos(result: ChaosResult): string[] {
  const periodTotal = (kind: Violation) =>
    PERIODS.reduce((acc, period) => acc + result.violations[kind][period], 0);
  const all = VIOLATIONS.reduce((acc, kind) => acc + periodTotal(kind), 0);
  const outside = VIOLATIONS.reduce(
    (acc, kind) => acc + result.violations[kind].before + result.violations[kind].after,
    0,
  );
  const equal = result.reconcileObserved && result.mismatch.file === '' && result.mismatch.http === '';
  const delivery = result.delivery;
  const after = (ms: number | undefined, what: string) =>
    ms === undefined ? `never ${what}` : `${what} ${seconds(ms)} after`;
  return [
    `**3. Correctness under chaos**: ${CHAOS_MINUTES} min with churn; event delivery with duplicates ${CHAOS_DELIVERY.duplicateRate * 100}%, delays up to ${CHAOS_DELIVERY.maxDelayMs / 1000} s for ${CHAOS_DELIVERY.delayRate * 100}%, drops ${CHAOS_DELIVERY.dropRate * 100}% (ecs-sim: ${delivery['published'] ?? '?'} events, ${delivery['duplicated'] ?? '?'} duplicated, ${delivery['delayed'] ?? '?'} delayed, ${delivery['dropped'] ?? '?'} dropped); ReceiveMessage HTTP 503 for ${OUTAGE_MS / 1000} s in the middle; refresh_interval ${CHAOS_REFRESH_S} s, consistency_check_interval ${CHAOS_CHECK_S} s, pending_recheck_after ${PENDING_RECHECK_S / CHAOS_SCALE} s, full_sweep_interval ${CHAOS_RECONCILE_S} s.`,
    `Every ${SAMPLE_MS / 1000} s: tasks that should have a target, announced (first RUNNING event enqueued) more than ${ANNOUNCED_GRACE_MS / 1000} s before, missing from an output; targets of tasks stopped more than ${STOPPED_GRACE_MS / 1000} s before (stale). Distinct tasks, by the period of their first violation; "outage" runs from its start to ${CHAOS_REFRESH_S} s (refresh_interval) after its end, where the ${ANNOUNCED_GRACE_MS / 1000} s rule cannot hold until the fallback poll.`,
    '',
    row(['', 'before outage', 'outage (+refresh_interval)', 'after']),
    row(['---', '---:', '---:', '---:']),
    row(['samples', ...PERIODS.map((period) => result.samples[period])]),
    ...VIOLATIONS.map((kind) => row([kind, ...PERIODS.map((period) => result.violations[kind][period])])),
    '',
    `Heal time in file_sd of each task with a violation outside the outage (dropped or delayed events: from its RUNNING event to its target, or from its stop to its target's removal), count checks every ${CHAOS_CHECK_S} s: ${result.heal.count} tasks, p50 ${seconds(result.heal.p50)}, p99 **${seconds(result.heal.p99)}**, max ${seconds(result.heal.max)}, ${result.heal.never} never healed. Scaled to the default ${CHECK_S} s checks (the wait for two mismatching checks grows with the interval; × ${CHAOS_SCALE}, an upper bound): p50 ${seconds(result.heal.p50 * CHAOS_SCALE)}, p99 **${seconds(result.heal.p99 * CHAOS_SCALE)}** (target < ${HEAL_TARGET_MS / 60_000} min: ${met(result.heal.never === 0 && result.heal.p99 * CHAOS_SCALE < HEAL_TARGET_MS)}). Clusters swept meanwhile: ${
      Object.entries(result.sweeps)
        .filter(([, count]) => count > 0)
        .map(([reason, count]) => `${count} ${reason}`)
        .join(', ') || 'none'
    }.`,
    `Tasks whose RUNNING event was dropped (never announced), reaching RUNNING outside the outage: ${result.dropped.count} healed, RUNNING to target in file_sd p50 ${seconds(result.dropped.p50)}, p99 **${seconds(result.dropped.p99)}**, max ${seconds(result.dropped.max)}; ${result.dropped.never} never healed. Scaled to the default ${CHECK_S} s checks (× ${CHAOS_SCALE}, an upper bound): p50 ${seconds(result.dropped.p50 * CHAOS_SCALE)}, p99 **${seconds(result.dropped.p99 * CHAOS_SCALE)}** (target < ${HEAL_TARGET_MS / 60_000} min: ${met(result.dropped.count > 0 && result.dropped.never === 0 && result.dropped.p99 * CHAOS_SCALE < HEAL_TARGET_MS)}).`,
    `Fallback: the events source turned ${after(result.unhealthyAfterMs, 'unhealthy')} the outage began; ${result.fallbackRefreshes} refreshes while unhealthy; ${after(result.healthyAgainAfterMs, 'healthy again')} it ended.`,
    `Violations: **${all}** in all, ${outside} outside the outage (expect 0: ${outside === 0 ? 'yes' : 'no'}).`,
    `Tasks missing from file_sd outside the outage: ${result.lateFile.count} appeared later (announced to first seen in file_sd: p50 ${seconds(result.lateFile.p50)}, max ${seconds(result.lateFile.max)}), ${result.lateFile.never} never appeared.`,
    `Equal after every cluster was swept: **${equal ? 'yes' : 'no'}**${result.reconcileObserved ? '' : ' (no full round of sweeps observed)'}${result.mismatch.file === '' ? '' : `; file_sd: ${result.mismatch.file}`}${result.mismatch.http === '' ? '' : `; http_sd: ${result.mismatch.http}`}`,
  ];
}

function formatBothLost(result: BothLostResult): string[] {
  const sweeps = Object.entries(result.sweeps)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  return [
    `**4. A start and a stop both lost** in cluster ${result.cluster} (a service task stopped and its replacement started while ecs-sim sent the events to a queue no daemon reads; no churn): the counts agree, so no count-mismatch sweep can find them. Checks every ${BOTH_LOST_CHECK_S} s (${result.checks} DescribeClusters calls meanwhile), full_sweep_interval ${BOTH_LOST_SWEEP_S / 60} min (10 clusters: one swept every ${BOTH_LOST_SWEEP_S / 10} s).`,
    `Healed after **${result.healedMs === undefined ? 'never (timed out)' : seconds(result.healedMs)}**, by the sweeps ${sweeps || 'none'}. At the defaults the wait is the cluster's turn in the spread sweep: at most full_sweep_interval (6 h), on average half of it.`,
  ];
}

// ---------------------------------------------------------------- entry

async function main(): Promise<number> {
  if (!Number.isFinite(MINUTES) || MINUTES <= 0) {
    process.stderr.write(
      `ECS_SD_BENCH_EVENTS_MINUTES: got ${JSON.stringify(process.env['ECS_SD_BENCH_EVENTS_MINUTES'])}, expected a positive number of minutes\n`,
    );
    return 2;
  }
  const log = (text: string) => process.stderr.write(`[events] ${text}\n`);
  const { endpoint, child: sim } = await startSimProcess(FLEET);
  log(`ecs-sim at ${endpoint}`);
  await admin(endpoint, 'POST', 'count-lag', { ms: COUNT_LAG_MS });
  try {
    const fleet = await truth(endpoint);
    const families = sampleFamilies(fleet);
    const events = PHASES.has('events') ? await eventMode(endpoint, families, log) : undefined;
    const polling = PHASES.has('polling') ? await pollingMode(endpoint, log) : undefined;
    const chaosResult = PHASES.has('chaos') ? await chaos(endpoint, families, log) : undefined;
    const lost = PHASES.has('both-lost') ? await bothLost(endpoint, log) : undefined;
    const head = `### Event mode: ${FLEET.tasks.toLocaleString('en-US')} tasks / ${FLEET.clusters} clusters / ${FLEET.taskDefinitions} task definitions / ${FLEET.hosts} hosts, ${CHURN_PER_MINUTE * 100}% churn per minute (a batch every ${CHURN_BATCH_MS / 1000} s)`;
    const lines = [
      head,
      '',
      `Window: ${MINUTES} min per mode (ECS_SD_BENCH_EVENTS_MINUTES).${events === undefined ? '' : ` Event-mode cold start ${seconds(events.coldStartMs)}.`}`,
      '',
      ...(events === undefined
        ? []
        : formatLatency(events, families.size, new Set(fleet.map((task) => task.family)).size)),
      '',
      ...(events === undefined || polling === undefined ? [] : formatCalls(events, polling)),
      '',
      ...(chaosResult === undefined ? [] : formatChaos(chaosResult)),
      '',
      ...(lost === undefined ? [] : formatBothLost(lost)),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
    const equal =
      chaosResult === undefined ||
      (chaosResult.reconcileObserved && chaosResult.mismatch.file === '' && chaosResult.mismatch.http === '');
    return equal ? 0 : 1;
  } catch (error) {
    process.stderr.write(`events bench failed: ${(error as Error).stack}\n`);
    return 1;
  } finally {
    sim.kill('SIGTERM');
    await once(sim, 'exit');
  }
}

if (process.argv[1] === SELF) {
  if (process.argv[2] === '--daemon') await runDaemonChild(JSON.parse(process.argv[3]!) as DaemonSpec);
  else process.exitCode = await main();
}
