/**
 * Pieces the ecs-sd benchmarks share: ecs-sim in a child process and its admin API (counters,
 * ground truth, task stops), the fleets of the issue, the daemon child's message protocol, and the
 * comparison of targets with ground truth, a process's CPU and memory from /proc, medians and ranges. The benches keep only what they measure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Metrics } from '../src/metrics.ts';
import type { TruthTaskLike } from '../test/support/expected-addresses.ts';

/** A benchmark fleet: what ecs-sim generates. */
export interface FleetSpec {
  name: string;
  clusters: number;
  tasks: number;
  taskDefinitions?: number;
  hosts?: number;
}

/**
 * The fleets of the issues; 100k is opt-in. 1k is the shape issue 13 measured against the Python
 * prometheus-ecs-sd (40 calls for a cold start): 1,000 tasks in 4 clusters on 100 hosts.
 */
export const FLEETS: readonly FleetSpec[] = [
  { name: '1k', clusters: 4, tasks: 1_000, hosts: 100 },
  { name: '10k', clusters: 10, tasks: 10_000, taskDefinitions: 500, hosts: 200 },
  { name: '100k', clusters: 50, tasks: 100_000 },
];

/** Latency ecs-sim adds to every call (ms). */
export const LATENCY_MS = 30;
/** ListTasks returns at most 100 task ARNs per page; DescribeTasks takes at most 100 tasks. */
export const PAGE = 100;

const SIM_CLI = fileURLToPath(new URL('../../ecs-sim/src/cli.ts', import.meta.url));

/** One task of ecs-sim's ground truth (the fields the benches read). */
export interface TruthTask extends TruthTaskLike {
  cluster: string;
  taskArn: string;
  family: string;
  service: string | undefined;
  /** Epoch ms when the task reached RUNNING (ecs-sim with event delivery support). */
  runningAt?: number | undefined;
  /** Epoch ms when its first RUNNING event was enqueued; undefined when dropped or still delayed. */
  announcedAt?: number | undefined;
  /** Epoch ms when the task reached STOPPED. */
  stoppedAt?: number | undefined;
}

/** Static credentials for the SDK's default chain in a daemon child: ecs-sim accepts any. */
export function useBenchCredentials(): void {
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDECSSDBENCH';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'ecs-sd-bench-secret';
}

/** Starts ecs-sim's CLI on an ephemeral loopback port and resolves with its endpoint. */
export async function startSimProcess(fleet: FleetSpec): Promise<{ endpoint: string; child: ChildProcess }> {
  const generate = [
    `clusters=${fleet.clusters}`,
    `tasks=${fleet.tasks}`,
    ...(fleet.taskDefinitions === undefined ? [] : [`taskDefinitions=${fleet.taskDefinitions}`]),
    ...(fleet.hosts === undefined ? [] : [`hosts=${fleet.hosts}`]),
    'seed=7',
  ].join(',');
  const child = spawn(
    process.execPath,
    [
      '--max-old-space-size=4096',
      SIM_CLI,
      '--listen',
      '127.0.0.1:0',
      '--generate',
      generate,
      '--latency',
      String(LATENCY_MS),
      '--throttle',
      'on',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ecs-sim exited with code ${code} before listening`)));
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match !== null) resolve(match[1]!);
    });
  });
  child.removeAllListeners('exit');
  return { endpoint, child };
}

/** One call of ecs-sim's admin API (`/_sim/...`); a non-2xx answer is an error naming the route and the body. */
export async function admin<T>(endpoint: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${endpoint}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`ecs-sim ${method} /_sim/${path}: got HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Calls per operation since the last reset, summed over accounts. */
export async function simCalls(
  endpoint: string,
): Promise<{ calls: Record<string, number>; throttled: number }> {
  const snapshot = await admin<Record<string, Record<string, { calls: number; throttled: number }>>>(
    endpoint,
    'GET',
    'counters',
  );
  const calls: Record<string, number> = {};
  let throttled = 0;
  for (const operations of Object.values(snapshot)) {
    for (const [operation, counts] of Object.entries(operations)) {
      calls[operation] = (calls[operation] ?? 0) + counts.calls;
      throttled += counts.throttled;
    }
  }
  return { calls, throttled };
}

/** ecs-sim's ground truth: every task it knows, STOPPED ones included until their retention ends. */
export async function truth(endpoint: string): Promise<TruthTask[]> {
  return (await admin<{ tasks: TruthTask[] }>(endpoint, 'GET', 'state')).tasks;
}

/** Σ⌈tasks ListTasks returns per cluster / 100⌉ (at least one page per cluster) + 1 ListClusters. */
export function floorOf(tasks: readonly TruthTask[], clusters: number): number {
  const perCluster = new Map<string, number>();
  for (const task of tasks) {
    if (task.desiredStatus === 'RUNNING')
      perCluster.set(task.cluster, (perCluster.get(task.cluster) ?? 0) + 1);
  }
  let pages = 0;
  for (const count of perCluster.values()) pages += Math.max(1, Math.ceil(count / PAGE));
  pages += clusters - perCluster.size;
  return pages + 1;
}

/** '' when the addresses equal the expected (sorted) ones, else a one-line summary of the difference. */
export function compareTargets(addresses: readonly string[], expected: readonly string[]): string {
  const actual = [...addresses].sort();
  if (actual.length === expected.length && actual.every((address, index) => address === expected[index]))
    return '';
  const want = new Set(expected);
  const got = new Set(actual);
  const missing = expected.filter((address) => !got.has(address));
  const extra = actual.filter((address) => !want.has(address));
  return `${actual.length} targets, expected ${expected.length}; missing ${missing.length} (${missing.slice(0, 3).join(' ')}), unexpected ${extra.length} (${extra.slice(0, 3).join(' ')})`;
}

/** Running service tasks: what churn stops (their services start replacements). */
export function churnCandidates(tasks: readonly TruthTask[]): TruthTask[] {
  return tasks.filter(
    (task) => task.service !== undefined && task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING',
  );
}

/** `count` candidates spread evenly over the list, starting `offset` (0..1) of a step in, so batches differ. */
export function pickEvenly<T>(candidates: readonly T[], count: number, offset = 0): T[] {
  const step = candidates.length / count;
  return Array.from(
    { length: Math.min(count, candidates.length) },
    (_, index) => candidates[Math.floor((index + offset) * step) % candidates.length]!,
  );
}

/** Stops the tasks through the admin API, 16 at a time; `onStopped` sees each task once ecs-sim accepted its stop. */
export async function stopTasks(
  endpoint: string,
  tasks: readonly TruthTask[],
  onStopped: (task: TruthTask) => void,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        await admin(endpoint, 'POST', 'tasks/stop', { taskArn: task.taskArn, reason: 'bench churn' });
        onStopped(task);
      }
    }),
  );
}

/** The next message of a child process; rejects when it exits first. */
export function reply<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`daemon child exited with code ${code}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

/** Sends one command to a daemon child and resolves with its answer (one command at a time). */
export function ask<T>(child: ChildProcess, message: object): Promise<T> {
  const answer = reply<T>(child);
  child.send(message);
  return answer;
}

/** Sum of every series of one metric of the daemon's registry (0 when the metric is not registered). */
export async function metricSum(metrics: Metrics, name: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  return (await metric.get()).values.reduce((sum, value) => sum + value.value, 0);
}

/** Total of a calls-by-operation record. */
export function total(calls: Record<string, number>): number {
  return Object.values(calls).reduce((sum, count) => sum + count, 0);
}

/** Operations in the order of a refresh. */
export const OPERATIONS = [
  'ListClusters',
  'DescribeClusters',
  'ListTasks',
  'DescribeTasks',
  'DescribeTaskDefinition',
  'DescribeContainerInstances',
  'DescribeInstances',
  'DescribeInstanceInformation',
  'ListServices',
  'DescribeServices',
];

/** The operations that occur in any of the records: OPERATIONS first, then the others in order of appearance. */
export function operationsOf(records: readonly Record<string, number>[]): string[] {
  return [
    ...OPERATIONS,
    ...new Set(records.flatMap((calls) => Object.keys(calls)).filter((op) => !OPERATIONS.includes(op))),
  ].filter((operation) => records.some((calls) => (calls[operation] ?? 0) > 0));
}

/** One markdown table row. */
export function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Resolves after `ms` (the benches pace churn and sampling in wall-clock time). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export /** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, every thread) and memory of a process, from /proc. */
export function sample(pid: number): { cpuS: number; rssMiB: number; hwmMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name.
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpuS, rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "median (min–max)" with `digits` decimals. */
export function spread(values: readonly number[], digits: number): string {
  const fixed = (value: number) => value.toFixed(digits);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? fixed(low) : `${fixed(median(values))} (${fixed(low)}–${fixed(high)})`;
}
