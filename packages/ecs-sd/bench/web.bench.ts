/**
 * `npm run bench -- web`: the web server under hostile load, the server in a child process (so the
 * load generator does not share its event loop), on loopback addresses of 127.0.0.0/8.
 *
 * - auth: basic auth with a bcrypt hash at cost 10. A verified Prometheus keeps asking for
 *   /-/healthy while 200 wrong passwords arrive at concurrency 40 from one address, then while
 *   1,000 arrive at concurrency 40 from 40 addresses; plus the time to its first 200 of a new
 *   client that starts one second into the second flood. Reports the verified client's latency, the server's largest
 *   event-loop delay and the bcrypt checks it ran.
 * - tasks: /api/v1/tasks over 50,000 decisions of about 2.2 KB of JSON each: one client reading
 *   every decision (page by page), then eight at once while /-/healthy is polled every 50 ms.
 *   Reports bytes, wall time, the server's largest event-loop delay, its peak RSS and the health
 *   check's slowest answer.
 *
 * Run: node packages/ecs-sd/bench/web.bench.ts [auth] [tasks]
 * ECS_SD_WEB_BENCH_SRC=DIR runs the server from another copy of `src` (e.g. an older commit's,
 * extracted with `git archive`) to compare; it reads the unpaged array answer of older versions too.
 */

import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import bcrypt from 'bcryptjs';
import type { Target, TaskDecision } from '../src/discovery/types.ts';
import type { DiscoveryView } from '../src/server/view.ts';
import { row } from './support.ts';

const SELF = fileURLToPath(import.meta.url);
const SRC = process.env['ECS_SD_WEB_BENCH_SRC'] ?? fileURLToPath(new URL('../src', import.meta.url));
const USER = 'prometheus';
const PASSWORD = 's3cret';
/** A second user, so the new client's credentials are not already cached by the verified one's. */
const NEW_USER = 'prometheus-2';
const DECISIONS = 50_000;

type Mode = 'auth' | 'tasks';

interface ChildStats {
  maxRssMiB: number;
  loopMaxMs: number;
  loopP99Ms: number;
}

/** A decision shaped like a real one: two containers, each one target with the labels ecs-sd sets. */
function syntheticDecision(i: number): TaskDecision {
  const cluster = `cluster-${i % 10}`;
  const taskId = `${(i * 2654435761) % 4294967296}`.padStart(10, '0') + `${i}`.padStart(22, '0');
  const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${taskId}`;
  const family = `service-${i % 100}`;
  const containers = ['app', 'sidecar'].map((containerName, c) => {
    const port = 9100 + c;
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${port}`;
    const target: Target = {
      key: `${taskArn}/${containerName}/${port}/metrics`,
      address,
      interval: '1m',
      job: family,
      clusterName: cluster,
      convention: 'prometheus-ecs-sd',
      labels: {
        job: family,
        instance: address,
        metrics_path: '/metrics',
        ecs_cluster: cluster,
        ecs_task_id: taskId,
        ecs_task_version: '42',
        ecs_container: containerName,
        __meta_ecs_cluster_arn: `arn:aws:ecs:eu-west-1:123456789012:cluster/${cluster}`,
        __meta_ecs_task_definition_arn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:42`,
        __meta_ecs_launch_type: 'FARGATE',
        __meta_ecs_availability_zone: 'eu-west-1a',
        __meta_ecs_service: family,
        team: `team-${i % 7}`,
      },
    };
    return { containerName, targets: [target], skips: [] };
  });
  return {
    taskArn,
    taskId,
    clusterName: cluster,
    source: 'default',
    lastStatus: 'RUNNING',
    taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:42`,
    launchType: 'FARGATE',
    networkMode: 'awsvpc',
    containers,
    incomplete: false,
  };
}

/** The child: the web server of `SRC` with basic auth (auth) or a view of 50,000 decisions (tasks). */
async function child(mode: Mode): Promise<void> {
  const { buildApp } = (await import(
    pathToFileURL(`${SRC}/server/app.ts`).href
  )) as typeof import('../src/server/app.ts');
  // web-server.ts since issue 14; an older SRC has createWebServer in web-config.ts.
  const serverModule = existsSync(`${SRC}/server/web-server.ts`) ? 'web-server.ts' : 'web-config.ts';
  const { createWebServer } = (await import(
    pathToFileURL(`${SRC}/server/${serverModule}`).href
  )) as typeof import('../src/server/web-server.ts');
  const { createMetrics } = (await import(
    pathToFileURL(`${SRC}/metrics.ts`).href
  )) as typeof import('../src/metrics.ts');
  const decisions = mode === 'tasks' ? Array.from({ length: DECISIONS }, (_, i) => syntheticDecision(i)) : [];
  const view: DiscoveryView = {
    ready: () => true,
    targets: () => [],
    decision: () => undefined,
    decisions: () => decisions,
  };
  const metrics = createMetrics();
  const app = buildApp({ view, registry: metrics.registry });
  const server =
    mode === 'auth'
      ? createWebServer(
          {
            basicAuthUsers: new Map([
              [USER, bcrypt.hashSync(PASSWORD, 10)],
              [NEW_USER, bcrypt.hashSync(PASSWORD, 10)],
            ]),
            headers: {},
          },
          app,
          { metrics },
        )
      : createWebServer(undefined, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  process.on('message', (message: { cmd: 'stats' | 'reset' | 'stop' }) => {
    if (message.cmd === 'stats') {
      const stats: ChildStats = {
        maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        loopMaxMs: Math.round(loop.max / 1e6),
        loopP99Ms: Math.round(loop.percentile(99) / 1e6),
      };
      process.send!(stats);
    } else if (message.cmd === 'reset') {
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      process.send!({ ok: true });
    } else {
      server.closeAllConnections();
      server.close(() => process.disconnect());
    }
  });
  const address = server.address();
  process.send!({ port: typeof address === 'object' && address !== null ? address.port : 0 });
}

interface Answer {
  status: number;
  /** The body, or only its first 512 bytes with `headOnly`. */
  body: string;
  bytes: number;
  /** Occurrences of `"taskArn":` in the body (decisions in a tasks answer). */
  taskArns: number;
  ms: number;
}

const TASK_ARN_KEY = Buffer.from('"taskArn":');

/** Counts `needle` in a stream of chunks, across chunk boundaries. */
function counter(needle: Buffer): (chunk: Buffer) => number {
  let tail = Buffer.alloc(0);
  return (chunk) => {
    const joined = Buffer.concat([tail, chunk]);
    let n = 0;
    for (let at = joined.indexOf(needle); at !== -1; at = joined.indexOf(needle, at + needle.length)) n++;
    tail = joined.subarray(Math.max(0, joined.length - needle.length + 1));
    return n;
  };
}

function get(
  port: number,
  path: string,
  options: { from?: string; auth?: string; agent?: Agent; headOnly?: boolean } = {},
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: options.agent ?? false,
        ...(options.from !== undefined && { localAddress: options.from }),
        ...(options.auth !== undefined && { auth: options.auth }),
      },
      (res) => {
        const parts: Buffer[] = [];
        let bytes = 0;
        let taskArns = 0;
        const count = counter(TASK_ARN_KEY);
        res.on('data', (chunk: Buffer) => {
          if (options.headOnly !== true || bytes < 512) parts.push(chunk);
          bytes += chunk.length;
          taskArns += count(chunk);
        });
        res.on('end', () => {
          const body = Buffer.concat(parts);
          resolve({
            status: res.statusCode ?? 0,
            body: (options.headOnly === true ? body.subarray(0, 512) : body).toString('utf8'),
            bytes,
            taskArns,
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function startChild(mode: Mode) {
  const proc = fork(SELF, ['--child', mode], { stdio: 'inherit' });
  const [ready] = (await once(proc, 'message')) as [{ port: number }];
  const ask = async <T>(cmd: 'stats' | 'reset'): Promise<T> => {
    proc.send({ cmd });
    const [reply] = (await once(proc, 'message')) as [T];
    return reply;
  };
  return {
    port: ready.port,
    stats: () => ask<ChildStats>('stats'),
    reset: () => ask<unknown>('reset'),
    async stop() {
      proc.send({ cmd: 'stop' });
      await once(proc, 'exit');
    },
  };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const ms = (value: number) => `${Math.round(value)} ms`;

/** Runs `count` requests at `concurrency`, the i-th from `from(i)`, while `probe` is called back to back. */
async function flood(
  port: number,
  count: number,
  concurrency: number,
  from: (i: number) => string,
  probe: () => Promise<number>,
): Promise<{ wallMs: number; statuses: Map<number, number>; probeMs: number[] }> {
  const agents = new Map<string, Agent>();
  const agentFor = (address: string) => {
    let agent = agents.get(address);
    if (agent === undefined) {
      agent = new Agent({ keepAlive: true, localAddress: address, maxSockets: concurrency });
      agents.set(address, agent);
    }
    return agent;
  };
  const statuses = new Map<number, number>();
  const probeMs: number[] = [];
  let done = false;
  const started = performance.now();
  let next = 0;
  const flooding = Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const address = from(i);
        // 0: the connection failed (reset, refused).
        const status = await get(port, '/-/healthy', {
          from: address,
          auth: `${USER}:wrong-${i}`,
          agent: agentFor(address),
        }).then(
          (answer) => answer.status,
          () => 0,
        );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  ).then(() => {
    done = true;
  });
  while (!done) probeMs.push(await probe());
  await flooding;
  for (const agent of agents.values()) agent.destroy();
  return { wallMs: performance.now() - started, statuses, probeMs };
}

async function authBench(): Promise<void> {
  const server = await startChild('auth');
  const scraper = new Agent({ keepAlive: true, localAddress: '127.0.0.3', maxSockets: 1 });
  const scrape = async () =>
    (await get(server.port, '/-/healthy', { from: '127.0.0.3', auth: `${USER}:${PASSWORD}`, agent: scraper }))
      .ms;
  try {
    await scrape();
    console.log('\nauth (bcrypt cost 10), server from', SRC);
    console.log(
      row([
        'flood',
        'flood wall',
        'answers',
        'verified client: requests during flood',
        'p50',
        'p99',
        'max',
        'server event-loop max delay',
      ]),
    );
    console.log(row(['---', '--:', '---', '--:', '--:', '--:', '--:', '--:']));
    const report = async (name: string, result: Awaited<ReturnType<typeof flood>>) => {
      const stats = await server.stats();
      const answers = [...result.statuses].map(([status, n]) => `${n}×${status}`).join(', ');
      console.log(
        row([
          name,
          ms(result.wallMs),
          answers,
          result.probeMs.length,
          ms(percentile(result.probeMs, 50)),
          ms(percentile(result.probeMs, 99)),
          ms(Math.max(...result.probeMs)),
          ms(stats.loopMaxMs),
        ]),
      );
    };
    await server.reset();
    await report(
      '200 wrong passwords, concurrency 40, one address',
      await flood(server.port, 200, 40, () => '127.0.0.2', scrape),
    );
    await server.reset();
    let newClientMs = Number.NaN;
    const newClient = (async () => {
      // A Prometheus that starts (or restarts) one second into the flood.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const started = performance.now();
      for (;;) {
        const answer = await get(server.port, '/-/healthy', {
          from: '127.0.2.1',
          auth: `${NEW_USER}:${PASSWORD}`,
        });
        if (answer.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      newClientMs = performance.now() - started;
    })();
    await report(
      '1,000 wrong passwords, concurrency 40, 40 addresses',
      await flood(server.port, 1_000, 40, (i) => `127.0.1.${1 + (i % 40)}`, scrape),
    );
    await newClient;
    console.log(
      `a new client's first 200, asking 1 s into the 40-address flood (retrying 1 s after a 503): ${ms(newClientMs)}`,
    );
    const metrics = await get(server.port, '/metrics', {
      from: '127.0.0.3',
      auth: `${USER}:${PASSWORD}`,
      agent: scraper,
    });
    const lines = metrics.body.split('\n').filter((l) => /^ecs_sd_web_(auth|rate)/.test(l));
    console.log(lines.length > 0 ? lines.join('\n') : '(no ecs_sd_web_* metrics in this version)');
  } finally {
    scraper.destroy();
    await server.stop();
  }
}

/** Reads every decision: page by page (`nextAfter`), or one unpaged array from older versions. */
async function readAll(
  port: number,
  limit: number | undefined,
): Promise<{ requests: number; bytes: number; tasks: number }> {
  let requests = 0;
  let bytes = 0;
  let tasks = 0;
  let after: string | null = null;
  do {
    const query = new URLSearchParams({
      ...(limit !== undefined && { limit: String(limit) }),
      ...(after !== null && { after }),
    });
    const answer = await get(port, `/api/v1/tasks${query.size > 0 ? `?${query}` : ''}`, { headOnly: true });
    requests++;
    bytes += answer.bytes;
    tasks += answer.taskArns;
    if (answer.status !== 200) {
      throw new Error(`GET /api/v1/tasks?${query}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
    }
    // Paged answers start with {"total":…,"limit":…,"nextAfter":…; older versions answer a bare array.
    const next = /^\{"total":\d+,"limit":\d+,"nextAfter":(null|"[^"]*")/.exec(answer.body);
    after = next === null ? null : (JSON.parse(next[1]!) as string | null);
  } while (after !== null);
  return { requests, bytes, tasks };
}

async function tasksBench(): Promise<void> {
  const server = await startChild('tasks');
  try {
    const probe = await get(server.port, '/api/v1/tasks?limit=1');
    const paged = probe.status === 200 && probe.body.startsWith('{');
    const limits: (number | undefined)[] = paged ? [undefined, 5_000] : [undefined];
    console.log(`\n/api/v1/tasks over ${DECISIONS.toLocaleString('en')} decisions, server from`, SRC);
    const before = await server.stats();
    console.log(`server RSS with the decisions loaded: ${before.maxRssMiB} MiB`);
    console.log(
      row([
        'clients',
        'page size',
        'requests each',
        'bytes each',
        'wall',
        '/-/healthy max',
        'server event-loop max delay',
        'server peak RSS',
      ]),
    );
    console.log(row(['--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']));
    for (const clients of [1, 8]) {
      for (const limit of limits) {
        await server.reset();
        let done = false;
        const healthMs: number[] = [];
        const probing = (async () => {
          while (!done) {
            healthMs.push((await get(server.port, '/-/healthy')).ms);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })();
        const started = performance.now();
        const results = await Promise.all(Array.from({ length: clients }, () => readAll(server.port, limit)));
        const wall = performance.now() - started;
        done = true;
        await probing;
        const stats = await server.stats();
        const first = results[0]!;
        if (first.tasks !== DECISIONS)
          throw new Error(`read ${first.tasks} decisions, expected ${DECISIONS}`);
        console.log(
          row([
            clients,
            paged ? (limit ?? 'default (500)') : 'unpaged',
            first.requests,
            `${(first.bytes / 1e6).toFixed(1)} MB`,
            ms(wall),
            ms(Math.max(...healthMs)),
            ms(stats.loopMaxMs),
            `${stats.maxRssMiB} MiB`,
          ]),
        );
      }
    }
  } finally {
    await server.stop();
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as Mode);
} else {
  const wanted = process.argv.slice(2);
  if (wanted.length === 0 || wanted.includes('auth')) await authBench();
  if (wanted.length === 0 || wanted.includes('tasks')) await tasksBench();
}
