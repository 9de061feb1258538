/**
 * `npm run bench` (footprint): the compiled `dist/` daemon, as the container image runs it (with the
 * image's node flags, read from the Dockerfile's ENTRYPOINT), against its own ecs-sim process with
 * the 10,000-task fleet of issue 17 (10 clusters, AWS throttling on, 30 ms latency), three runs;
 * medians and ranges beside the Python prometheus-ecs-sd's figures from the issue (the reference:
 * it cannot be installed here). Then one run at 100,000 tasks for its peak RSS.
 *
 * Nothing is asked of the daemon while it is measured: CPU and memory come from
 * /proc/<pid>/stat and /proc/<pid>/status, API calls from ecs-sim's counters, and the start and end
 * of each refresh from its own log (`refresh done`, debug level). The refresh interval is shortened
 * to REFRESH_INTERVAL_S to keep the bench short; the figures of a whole 60 s cycle are the CPU of a
 * refresh plus the idle rate measured between refreshes over the rest of the minute.
 *
 * Like the image, the daemon reads a compile cache warmed by dist/compile-cache.js (in a temporary
 * directory); ECS_SD_BENCH_COMPILE_CACHE=off runs it without, as a build before the cache ran.
 *
 * Run: node packages/ecs-sd/bench/footprint.bench.ts [runs=N] [no100k] [start]
 * (`start`: only the RSS after start, N times, without the 10k and 100k fleets; builds dist/ first
 * when it is missing; ECS_SD_BENCH_CLI=path/to/cli.js measures another build,
 * ECS_SD_BENCH_NODE_FLAGS='--flag ...' other node flags than the image's).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ecs-sd/testkit';
import { type BenchCompileCache, benchCompileCache, imageAllocatorEnv, imageNodeFlags } from './image.ts';
import {
  admin,
  churnCandidates,
  FLEETS,
  type FleetSpec,
  pickEvenly,
  row,
  sample,
  simCalls,
  sleep,
  spread,
  startSimProcess,
  stopTasks,
  total,
  truth,
} from './support.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = process.env['ECS_SD_BENCH_CLI'] ?? fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const DOCKERFILE = fileURLToPath(new URL('../Dockerfile', import.meta.url));
/** Seconds between refreshes in the bench (the default and the is 60). */
const REFRESH_INTERVAL_S = 20;
/** The minute the per-cycle figures are for. */
const CYCLE_S = 60;
const CHURN_FRACTION = 0.05;
/** file_sd sizes in MB, as the issue gives them. */
const MB = 1_000_000;

const argv = process.argv.slice(2);
const RUNS = Number(argv.find((arg) => arg.startsWith('runs='))?.slice(5) ?? 3);
const WITH_100K = !argv.includes('no100k');
const START_ONLY = argv.includes('start');

/** The Python prometheus-ecs-sd at 10,000 tasks, from issue 17 (one figure or a range). */
const PYTHON: Record<string, string> = {
  calls: '226 / 101 / 121',
  peakRss: '201',
  steadyRss: '182',
  coldCpu: '3.5–4.2',
  churnCpu: '0.78–1.02',
  cycleCpu: '0.45–0.68',
  idleCpu: '',
  fileSd: '3.5',
};

/** The daemon as a child process; `next(msg)` resolves at its next log line with that message. */
interface Daemon {
  child: ChildProcess;
  pid: number;
  next(message: string): Promise<{ at: number; line: Record<string, unknown> }>;
  /** How many log lines with that message the daemon wrote so far. */
  count(message: string): number;
  maxRss(sinceMs: number): number;
  stop(): Promise<void>;
}

/** How the daemon runs: the image's node flags and compile cache, or what the environment overrides. */
interface Launch {
  flags: string[];
  cache: BenchCompileCache;
  /** The image's allocator settings (MALLOC_*), unless the bench's environment sets its own. */
  env: Record<string, string>;
}

/** The image's node flags, or ECS_SD_BENCH_NODE_FLAGS (space-separated) to try others. */
function nodeFlags(): string[] {
  const override = process.env['ECS_SD_BENCH_NODE_FLAGS'];
  if (override !== undefined) return override.split(' ').filter((flag) => flag !== '');
  return imageNodeFlags(readFileSync(DOCKERFILE, 'utf8'));
}

function startDaemon(launch: Launch, endpoint: string, directory: string, port: number): Daemon {
  const { NODE_COMPILE_CACHE: _, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [
      ...launch.flags,
      CLI,
      '--aws.region=us-east-1',
      `--aws.endpoint=${endpoint}`,
      `--output.directory=${directory}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--refresh-interval=${REFRESH_INTERVAL_S}s`,
      '--log.level=debug',
      '--log.format=json',
    ],
    {
      env: {
        ...launch.env,
        ...env,
        ...(launch.cache.directory === undefined ? {} : { NODE_COMPILE_CACHE: launch.cache.directory }),
        NODE_ENV: 'production',
        AWS_ACCESS_KEY_ID: 'AKIDECSSDBENCH',
        AWS_SECRET_ACCESS_KEY: 'ecs-sd-bench-secret',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const pid = child.pid!;
  const waiting = new Map<string, ((value: { at: number; line: Record<string, unknown> }) => void)[]>();
  const counts = new Map<string, number>();
  createInterface({ input: child.stderr! }).on('line', (text) => {
    const at = Date.now();
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const message = String(line['msg']);
    counts.set(message, (counts.get(message) ?? 0) + 1);
    const resolvers = waiting.get(message) ?? [];
    waiting.delete(message);
    for (const resolve of resolvers) resolve({ at, line });
  });
  // RSS every 250 ms: the steady figure is the highest over a window, the peak is VmHWM.
  const rss: { at: number; mib: number }[] = [];
  const sampler = setInterval(() => {
    try {
      rss.push({ at: Date.now(), mib: sample(pid).rssMiB });
    } catch {}
  }, 250);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid,
    next: (message) =>
      new Promise((resolve, reject) => {
        waiting.set(message, [...(waiting.get(message) ?? []), resolve]);
        void exited.then(() => reject(new Error(`daemon exited before logging "${message}"`)));
      }),
    count: (message) => counts.get(message) ?? 0,
    maxRss: (sinceMs) => Math.max(0, ...rss.filter((each) => each.at >= sinceMs).map((each) => each.mib)),
    async stop() {
      clearInterval(sampler);
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Bytes of the file_sd files the daemon wrote. */
function fileSdBytes(directory: string): number {
  return readdirSync(directory)
    .filter((name) => !name.includes('.tmp'))
    .reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
}

/** The figures of one run. */
interface RunFigures {
  startRss: number;
  coldCalls: number;
  steadyCalls: number;
  churnCalls: number;
  peakRss: number;
  steadyRss: number;
  coldCpu: number;
  coldWall: number;
  steadyCpu: number;
  steadyWall: number;
  churnCpu: number;
  /** How many times the churn refresh wrote file_sd (each write rewrites the whole file). */
  churnWrites: number;
  cycleCpu: number;
  idlePerMinute: number;
  fileSdMB: number;
}

/** One refresh after the one that ended at `endedAt`: the idle CPU before it, then its own. */
async function measureRefresh(daemon: Daemon, endpoint: string, endedAt: number, cpuAtEnd: number) {
  const startsAt = endedAt + REFRESH_INTERVAL_S * 1000;
  const done = daemon.next('refresh done');
  await sleep(startsAt - 150 - Date.now());
  const beforeStart = sample(daemon.pid).cpuS;
  const idleRate = (beforeStart - cpuAtEnd) / ((Date.now() - endedAt) / 1000);
  const callsBefore = total((await simCalls(endpoint)).calls);
  const writesBefore = daemon.count('file_sd written');
  const { at, line } = await done;
  const cpuEnd = sample(daemon.pid).cpuS;
  const calls = total((await simCalls(endpoint)).calls) - callsBefore;
  return {
    idleRate,
    cpu: cpuEnd - beforeStart,
    wall: Number(line['durationMs']) / 1000,
    calls,
    writes: daemon.count('file_sd written') - writesBefore,
    endedAt: at,
    cpuAtEnd: cpuEnd,
    rss: daemon.maxRss(endedAt),
  };
}

/** RSS of the daemon a few seconds after it became ready against a 20-task fleet: its code's weight. */
async function startRss(launch: Launch): Promise<number> {
  const sim = await startSimProcess({ name: 'tiny', clusters: 1, tasks: 20, hosts: 2 });
  const directory = await mkdtemp(join(tmpdir(), 'ecs-sd-footprint-'));
  const daemon = startDaemon(launch, sim.endpoint, directory, await freePort());
  try {
    await daemon.next('refresh done');
    await sleep(3_000);
    return sample(daemon.pid).rssMiB;
  } finally {
    await daemon.stop();
    sim.child.kill();
    await rm(directory, { recursive: true, force: true });
  }
}

async function runOnce(launch: Launch, fleet: FleetSpec, log: (text: string) => void): Promise<RunFigures> {
  const start = await startRss(launch);
  const sim = await startSimProcess(fleet);
  const directory = await mkdtemp(join(tmpdir(), 'ecs-sd-footprint-'));
  const calls0 = total((await simCalls(sim.endpoint)).calls);
  const started = Date.now();
  const daemon = startDaemon(launch, sim.endpoint, directory, await freePort());
  try {
    const cold = await daemon.next('refresh done');
    const coldSample = sample(daemon.pid);
    const coldCalls = total((await simCalls(sim.endpoint)).calls) - calls0;
    log(`cold start: ${coldCalls} calls, ${coldSample.cpuS.toFixed(2)} CPU-s`);
    const steady1 = await measureRefresh(daemon, sim.endpoint, cold.at, coldSample.cpuS);
    const steady = await measureRefresh(daemon, sim.endpoint, steady1.endedAt, steady1.cpuAtEnd);
    log(
      `steady: ${steady.calls} calls, ${steady.cpu.toFixed(2)} CPU-s, idle ${steady.idleRate.toFixed(4)}/s`,
    );
    const fileSdMB = fileSdBytes(directory) / MB;
    const tasks = await truth(sim.endpoint);
    const running = tasks.filter((task) => task.desiredStatus === 'RUNNING').length;
    const stopped = pickEvenly(churnCandidates(tasks), Math.round(running * CHURN_FRACTION));
    await stopTasks(sim.endpoint, stopped, () => {});
    await admin(sim.endpoint, 'POST', 'settle');
    const churn = await measureRefresh(daemon, sim.endpoint, steady.endedAt, steady.cpuAtEnd);
    log(`churn: ${churn.calls} calls, ${churn.cpu.toFixed(2)} CPU-s, file_sd written ${churn.writes} times`);
    const idleRate = (steady.idleRate + churn.idleRate) / 2;
    return {
      startRss: start,
      coldCalls,
      steadyCalls: steady.calls,
      churnCalls: churn.calls,
      peakRss: sample(daemon.pid).hwmMiB,
      steadyRss: steady.rss,
      coldCpu: coldSample.cpuS,
      coldWall: (cold.at - started) / 1000,
      steadyCpu: steady.cpu,
      steadyWall: steady.wall,
      churnCpu: churn.cpu,
      churnWrites: churn.writes,
      cycleCpu: steady.cpu + idleRate * (CYCLE_S - steady.wall),
      idlePerMinute: idleRate * 60,
      fileSdMB,
    };
  } finally {
    await daemon.stop();
    sim.child.kill();
    await rm(directory, { recursive: true, force: true });
  }
}

/** Peak RSS over a cold start and one steady refresh of the 100,000-task fleet. */
async function run100k(
  launch: Launch,
  log: (text: string) => void,
): Promise<{ peakRss: number; coldCpu: number; coldWall: number }> {
  const sim = await startSimProcess(FLEETS.find((fleet) => fleet.name === '100k')!);
  const directory = await mkdtemp(join(tmpdir(), 'ecs-sd-footprint-'));
  const started = Date.now();
  const daemon = startDaemon(launch, sim.endpoint, directory, await freePort());
  try {
    const cold = await daemon.next('refresh done');
    const coldCpu = sample(daemon.pid).cpuS;
    log(`100k cold start: ${((cold.at - started) / 1000).toFixed(0)} s, ${coldCpu.toFixed(1)} CPU-s`);
    await daemon.next('refresh done');
    return { peakRss: sample(daemon.pid).hwmMiB, coldCpu, coldWall: (cold.at - started) / 1000 };
  } finally {
    await daemon.stop();
    sim.child.kill();
    await rm(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) {
    console.log(`${CLI} missing: building dist/ (npm run build -w ecs-sd)`);
    const build = spawnSync('npm', ['run', 'build', '-w', 'ecs-sd'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build -w ecs-sd failed with exit code ${build.status}`);
  }
  const flags = nodeFlags();
  const cache = await benchCompileCache(
    readFileSync(DOCKERFILE, 'utf8'),
    CLI,
    flags,
    process.env['ECS_SD_BENCH_COMPILE_CACHE'],
  );
  const launch: Launch = { flags, cache, env: imageAllocatorEnv(readFileSync(DOCKERFILE, 'utf8')) };
  try {
    if (START_ONLY) await printStartRss(launch);
    else await measureAll(launch);
  } finally {
    if (cache.directory !== undefined) await rm(cache.directory, { recursive: true, force: true });
  }
}

async function measureAll(launch: Launch): Promise<void> {
  const fleet = FLEETS.find((each) => each.name === '10k')!;
  const runs: RunFigures[] = [];
  for (let index = 0; index < RUNS; index++) {
    const log = (text: string) => process.stderr.write(`[run ${index + 1}] ${text}\n`);
    runs.push(await runOnce(launch, fleet, log));
  }
  if (RUNS > 0) printTable(runs, launch);
  if (WITH_100K) {
    const big = await run100k(launch, (text) => process.stderr.write(`[100k] ${text}\n`));
    console.log(
      `\n100,000 tasks in 50 clusters, one run: peak RSS ${big.peakRss.toFixed(0)} MiB (the issue's target: under 600), cold start ${big.coldCpu.toFixed(1)} CPU-s over ${big.coldWall.toFixed(0)} s`,
    );
  }
}

/** `start`: only the RSS a few seconds after start, RUNS times. */
async function printStartRss(launch: Launch): Promise<void> {
  const figures: number[] = [];
  for (let index = 0; index < RUNS; index++) figures.push(await startRss(launch));
  console.log(`\n${header(launch)}\n`);
  console.log(`RSS a few seconds after start (20 tasks, EC2 hosts), ${RUNS} runs: ${spread(figures, 1)} MiB`);
}

/** Which build, node and flags, and the compile cache the daemon ran with. */
function header(launch: Launch): string {
  const flags = launch.flags.length > 0 ? ` ${launch.flags.join(' ')}` : '';
  const env = Object.entries({ ...launch.env, ...process.env })
    .filter(([name]) => name.startsWith('MALLOC_'))
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  return `${CLI} (${env}node ${process.version}${flags}; compile cache ${launch.cache.description})`;
}

/** The 10k table: medians and ranges of the runs beside the Python tool's figures. */
function printTable(runs: readonly RunFigures[], launch: Launch): void {
  const of = (key: keyof RunFigures, digits: number) =>
    spread(
      runs.map((run) => run[key]),
      digits,
    );
  console.log(
    `\n${header(launch)}, 10,000 tasks in 10 clusters, throttling on, 30 ms latency; ${runs.length} runs, median (range); refresh every ${REFRESH_INTERVAL_S} s, per-60 s figures = a refresh + the idle rate over the rest of the minute\n`,
  );
  console.log(row(['figure', 'ecs-sd', 'prometheus-ecs-sd (issue 17)']));
  console.log(row(['---', '---:', '---:']));
  const callRow = `${of('coldCalls', 0)} / ${of('steadyCalls', 0)} / ${of('churnCalls', 0)}`;
  console.log(row(['API calls cold / steady / 5% churn', callRow, PYTHON['calls']!]));
  console.log(row(['peak RSS (MiB)', of('peakRss', 0), PYTHON['peakRss']!]));
  console.log(row(['steady RSS (MiB)', of('steadyRss', 0), PYTHON['steadyRss']!]));
  console.log(row(['CPU, cold start (s)', of('coldCpu', 2), PYTHON['coldCpu']!]));
  console.log(row(['CPU per churn refresh (s)', of('churnCpu', 2), PYTHON['churnCpu']!]));
  console.log(row(['file_sd writes per churn refresh', of('churnWrites', 0), '']));
  console.log(row(['CPU over a whole steady 60 s cycle (s)', of('cycleCpu', 2), PYTHON['cycleCpu']!]));
  console.log(row(['CPU of a steady refresh (s)', of('steadyCpu', 2), '']));
  console.log(row(['idle CPU per minute (s)', of('idlePerMinute', 3), '']));
  console.log(row(['file_sd size (MB)', of('fileSdMB', 1), PYTHON['fileSd']!]));
  console.log(row(['cold start wall time (s)', of('coldWall', 1), '']));
  console.log(row(['RSS after start, 20 tasks (MiB)', of('startRss', 0), '']));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
