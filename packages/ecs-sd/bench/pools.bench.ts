/**
 * `npm run bench -- pools`: scraper pools (issue 16).
 *
 * - calls: ECS calls per hour of one ecs-sd serving a pool of 1, 3 and 10 members (agent tasks of one
 *   family in ecs-sim, each asking for its share every 5 s of simulated time), at refresh_interval 60s
 *   over 1,000 scraped tasks: a cold start and 59 steady refreshes, counted by ecs-sim. The members
 *   ask ecs-sd, never AWS, so the count does not depend on how many there are.
 * - moves: the fraction of 10,000 targets whose member changes when an 11th member joins a pool of
 *   10, and when one of the 10 leaves (ideal: 1/11 = 9.1% and 1/10 = 10%).
 * - serve: http_sd response time of one member's share (pool of 10) at 100,000 targets, p50 and p99
 *   over 200 requests on loopback, beside the same share asked as shard=0&shards=10.
 * - handover: time from a member's task stopping to every target in a survivor's share again, the
 *   survivors asking every 5 s as their http_sd would (ecs-sd's part, then the members'), in event
 *   mode and with polling at 15s (pool-handover.ts).
 * - coverage: from StopTask of one member (pool of 4) to ecs-sd serving the survivors every target,
 *   in event mode and polling at refresh_interval 5s, 5 rounds each (the scrapers' own http_sd
 *   refresh_interval comes on top).
 *
 * Run: node --expose-gc packages/ecs-sd/bench/pools.bench.ts [calls] [coverage] [handover] [moves] [serve]
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSim } from 'ecs-sim';
import { loadConfig } from '../src/config/load.ts';
import type { Target, TaskDecision } from '../src/discovery/types.ts';
import { createMetrics } from '../src/metrics.ts';
import { assignAll } from '../src/pools/assign.ts';
import { createDaemonPools } from '../src/pools/daemon-pools.ts';
import { buildApp } from '../src/server/app.ts';
import type { DiscoveryView } from '../src/server/view.ts';
import { poolFleet } from '../test/support/pool-fleet.ts';
import { HTTP_SD_REFRESH_MS, MEMBERS, measureCoverage } from './pool-handover.ts';
import { startPoolServer } from './pool-server.ts';
import { row, useBenchCredentials } from './support.ts';

const wanted = process.argv.slice(2);
const runs = (name: string) => wanted.length === 0 || wanted.includes(name);

function get(port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

function fleet(members: number) {
  return poolFleet({ cidr: '10.0.0.0/16', appTasks: 1000, members });
}

/** ECS calls of one simulated hour (cold start + 59 refreshes) with a pool of `members`. */
async function callsPerHour(
  members: number,
): Promise<{ calls: number; byOperation: Record<string, number>; served: number }> {
  const sim = await startSim({ port: 0, fleet: fleet(members) as never, throttling: false });
  const config = loadConfig({
    fileText: JSON.stringify({
      refresh_interval: '60s',
      sources: [{ name: 'sim', region: 'us-east-1', endpoint: sim.endpoint }],
      pools: [{ name: 'agents', members: { ecs: { cluster: 'monitoring', family: 'prometheus-agent' } } }],
    }),
  });
  const { runtime, port, close } = await startPoolServer(config);
  sim.resetCounters();
  let served = 0;
  try {
    for (let minute = 0; minute < 60; minute++) {
      await runtime.refresh();
      const ids = runtime.state
        .decisions()
        .filter((d) => d.clusterName === 'monitoring' && d.lastStatus === 'RUNNING')
        .map((d) => d.taskId);
      // Each member asks every 5 s: 12 times a minute.
      for (let ask = 0; ask < 12; ask++) {
        for (const id of ids) {
          const reply = await get(port, `/http-sd?pool=agents&member=${id}`);
          if (reply.status === 200) served++;
        }
      }
    }
    const byOperation = Object.fromEntries(
      Object.entries(sim.counters()).filter(([name, count]) => count > 0 && /^[A-Z]/.test(name)),
    );
    const calls = Object.values(byOperation).reduce((sum, count) => sum + count, 0);
    return { calls, byOperation, served };
  } finally {
    await close();
    await sim.close();
  }
}

/** Short lifecycle steps, as the event-mode tests use: a stopped task leaves RUNNING within ~20 ms. */
const LIFECYCLE = {
  provisioningMs: 10,
  pendingMs: 20,
  activatingMs: 0,
  deactivatingMs: 0,
  stoppingMs: 20,
  deprovisioningMs: 10,
};

/**
 * Milliseconds from StopTask of one member to ecs-sd serving the survivors every target, polling
 * http_sd every 20 ms (the scrapers' own http_sd refresh_interval comes on top); one per round.
 */
async function coverageAfterStop(mode: 'events' | 'polling', rounds: number): Promise<number[]> {
  const sim = await startSim({ port: 0, fleet: fleet(4) as never, throttling: false, lifecycle: LIFECYCLE });
  sim.setEventsQueue('pool-events');
  const events =
    mode === 'events' ? { events: { queue_url: `${sim.endpoint}/${sim.accountId}/pool-events` } } : {};
  const config = loadConfig({
    fileText: JSON.stringify({
      refresh_interval: mode === 'events' ? '60s' : '5s',
      sources: [{ name: 'sim', region: 'us-east-1', endpoint: sim.endpoint, ...events }],
      pools: [{ name: 'agents', members: { ecs: { cluster: 'monitoring', family: 'prometheus-agent' } } }],
    }),
  });
  const { runtime, port, close } = await startPoolServer(config, {
    eventsOptions: { waitTimeSeconds: 1, unhealthyAfter: 3, backoffInitialMs: 20, backoffMaxMs: 100 },
  });
  const running = () =>
    runtime.state
      .decisions()
      .filter((d) => d.clusterName === 'monitoring' && d.lastStatus === 'RUNNING')
      .map((d) => ({ id: d.taskId, arn: d.taskArn }));
  const times: number[] = [];
  try {
    runtime.start();
    while (!runtime.state.ready()) await sleep(50);
    for (let round = 0; round < rounds; round++) {
      while (running().length < 4) await sleep(50);
      const all = runtime.state.targets().filter((t) => t.clusterName === 'web').length;
      const [gone, ...survivors] = running();
      const started = performance.now();
      sim.stopTask(gone!.arn, 'bench');
      for (;;) {
        let covered = 0;
        for (const member of survivors) {
          const reply = await getJson(port, `/http-sd?pool=agents&member=${member.id}`);
          covered += reply;
        }
        if (covered === all) break;
        await sleep(20);
      }
      times.push(performance.now() - started);
      // The replacement (a new task of the family) joins before the next round.
      sim.runTask({
        cluster: 'monitoring',
        taskDefinition: 'prometheus-agent',
        launchType: 'FARGATE',
        subnets: ['subnet-a'],
      });
    }
    return times;
  } finally {
    await close();
    await sim.close();
  }
}

/** The number of targets in an http_sd answer. */
function getJson(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve(
          (JSON.parse(body) as { targets: string[] }[]).reduce((n, group) => n + group.targets.length, 0),
        ),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function keys(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `arn:aws:ecs:eu-west-1:123456789012:task/cluster-${i % 10}/${i.toString(16).padStart(32, '0')}/app/9100/metrics`,
  );
}

function movedFraction(before: Map<string, string[]>, after: Map<string, string[]>): number {
  let moved = 0;
  for (const [key, owners] of before) if (owners[0] !== after.get(key)?.[0]) moved++;
  return moved / before.size;
}

/** A view of `count` synthetic targets (the shape web.bench uses). */
function syntheticView(count: number): DiscoveryView {
  const targets: Target[] = keys(count).map((key, i) => {
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9100`;
    return {
      key,
      address,
      interval: '1m',
      job: `service-${i % 100}`,
      clusterName: `cluster-${i % 10}`,
      convention: 'prometheus-ecs-sd',
      labels: {
        job: `service-${i % 100}`,
        instance: address,
        ecs_cluster: `cluster-${i % 10}`,
        ecs_container: 'app',
        __meta_ecs_launch_type: 'FARGATE',
        __meta_ecs_availability_zone: 'eu-west-1a',
      },
    };
  });
  targets.sort((a, b) => (a.key < b.key ? -1 : 1));
  const decisions: TaskDecision[] = [];
  return { ready: () => true, targets: () => targets, decisions: () => decisions, decision: () => undefined };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function latency(
  port: number,
  path: string,
  requests: number,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < requests; i++) {
    const start = performance.now();
    const reply = await get(port, path);
    times.push(performance.now() - start);
    if (reply.status !== 200) throw new Error(`${path} answered ${reply.status}`);
    bytes = reply.bytes;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), bytes };
}

useBenchCredentials();

if (runs('calls')) {
  console.log('\nECS calls per hour (refresh_interval 60s, 1,000 scraped tasks, members ask every 5 s)');
  console.log(row(['members', 'ECS calls / hour', 'http_sd answers', 'by operation']));
  console.log(row(['---', '---', '---', '---']));
  for (const members of [1, 3, 10]) {
    const { calls, byOperation, served } = await callsPerHour(members);
    const ops = Object.entries(byOperation)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    console.log(row([members, calls, served, ops]));
  }
}

if (runs('coverage')) {
  console.log(
    "\nFrom a member task stopping to ecs-sd serving its targets to the survivors (pool of 4 + 1,000 tasks; the scrapers' http_sd refresh_interval comes on top)",
  );
  console.log(row(['mode', 'rounds', 'min ms', 'median ms', 'max ms']));
  console.log(row(['---', '---', '---', '---', '---']));
  for (const mode of ['events', 'polling'] as const) {
    const times = (await coverageAfterStop(mode, 5)).sort((a, b) => a - b);
    console.log(
      row([
        mode === 'events' ? 'event mode' : 'polling, refresh_interval 5s',
        times.length,
        times[0]!.toFixed(0),
        times[Math.floor(times.length / 2)]!.toFixed(0),
        times[times.length - 1]!.toFixed(0),
      ]),
    );
  }
}

if (runs('moves')) {
  console.log('\nTargets moved at 10,000 targets, pool of 10 members');
  const all = keys(10_000);
  const ten = Array.from({ length: 10 }, (_, i) => `member-${i}`);
  const before = assignAll(all, ten, 1);
  const joined = movedFraction(before, assignAll(all, [...ten, 'member-10'], 1));
  const left = movedFraction(before, assignAll(all, ten.slice(1), 1));
  console.log(row(['change', 'moved', 'ideal']));
  console.log(row(['---', '---', '---']));
  console.log(row(['an 11th member joins', `${(joined * 100).toFixed(2)}%`, `${(100 / 11).toFixed(2)}%`]));
  console.log(row(['one of 10 leaves', `${(left * 100).toFixed(2)}%`, '10.00%']));
}

if (runs('serve')) {
  console.log("\nhttp_sd: one member's share at 100,000 targets (pool of 10), 200 requests each, loopback");
  const view = syntheticView(100_000);
  const registry = createMetrics({ defaultMetrics: false });
  const config = {
    pools: [
      {
        name: 'agents',
        staticMembers: Array.from({ length: 10 }, (_, i) => `m-${i}`),
        replication: 1,
        targets: {},
      },
    ],
  };
  const pools = createDaemonPools(
    { config: () => config, targets: () => view.targets(), decisions: () => view.decisions() },
    { metrics: registry.pools },
  );
  const started = performance.now();
  pools.assignments();
  const assignMs = performance.now() - started;
  const server = createServer(buildApp({ view, registry: registry.registry, pools: pools.assignments }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  console.log(
    `assignment of 100,000 targets to 10 members: ${assignMs.toFixed(0)} ms (once per change of targets or members)`,
  );
  console.log(row(['request', 'p50 ms', 'p99 ms', 'bytes']));
  console.log(row(['---', '---', '---', '---']));
  for (const [name, path] of [
    ['pool=agents&member=m-0', '/http-sd?pool=agents&member=m-0'],
    ['shard=0&shards=10', '/http-sd?shard=0&shards=10'],
  ] as const) {
    await latency(port, path, 10);
    const { p50, p99, bytes } = await latency(port, path, 200);
    console.log(row([name, p50.toFixed(1), p99.toFixed(1), bytes]));
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

if (runs('handover')) {
  console.log(
    `\nFrom a member's task stopping to every target in a survivor's share: pools of ${MEMBERS} to ${MEMBERS + 4} members, 1,000 targets, members ask every ${HTTP_SD_REFRESH_MS / 1000} s`,
  );
  console.log(
    row([
      'ecs-sd learns by',
      'stops',
      'ecs-sd reassigns, p50 / max ms',
      "in survivors' shares, p50 / max ms",
    ]),
  );
  console.log(row(['---', '---', '---', '---']));
  const modes = [
    { name: 'events', mode: { kind: 'events' }, samples: 5 },
    { name: 'polling, refresh_interval 15s', mode: { kind: 'polling', refreshIntervalS: 15 }, samples: 5 },
  ] as const;
  for (const { name, mode, samples } of modes) {
    const measured = await measureCoverage(mode, samples);
    const sd = measured.map((m) => m.sdMs).sort((a, b) => a - b);
    const shares = measured.map((m) => m.sharesMs).sort((a, b) => a - b);
    console.log(
      row([
        name,
        samples,
        `${percentile(sd, 50).toFixed(0)} / ${sd.at(-1)!.toFixed(0)}`,
        `${percentile(shares, 50).toFixed(0)} / ${shares.at(-1)!.toFixed(0)}`,
      ]),
    );
  }
  console.log(
    'A scrape follows within one scrape interval (Prometheus 2.x: after its next discovery update, at most 5 s).',
  );
}
