/**
 * The pools bench's `handover` figure (issue 16): the time from a pool member's task stopping to
 * every target being in a survivor's share again, in event mode and with polling. One ecs-sd runs
 * in this process against an in-process ecs-sim (ECS lifecycle delays as ecs-sim's defaults), with
 * its http app on loopback; each member is simulated by a loop that asks
 * `/http-sd?pool=agents&member=ID` every HTTP_SD_REFRESH_MS (docs/pools.md: a few seconds, 5s), each
 * at its own random phase, as a Prometheus agent's http_sd does. Per stop it records:
 *
 * - ecs-sd: until ecs-sd's assignment gives each of the leaver's targets to a survivor (event mode:
 *   the stop's event; polling: the next refresh);
 * - shares: until the survivors' last answers cover every target again (ecs-sd + the survivors'
 *   next http_sd refresh). A scrape follows within one scrape interval (Prometheus 2.x: after its
 *   discovery manager's next update, at most 5 s).
 *
 * The pool starts with MEMBERS + samples - 1 members and loses one per stop. Each stop comes at a
 * random moment of the refresh interval (polling), as a real stop does.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { loadConfig } from '../src/config/load.ts';
import type { Runtime } from '../src/daemon/runtime.ts';
import type { DaemonPools } from '../src/pools/daemon-pools.ts';
import { startPoolServer } from './pool-server.ts';

/** How each simulated member asks for its share: docs/pools.md's http_sd refresh_interval. */
export const HTTP_SD_REFRESH_MS = 5_000;
/** Members of the pool before the last stop; each stop before it leaves one more. */
export const MEMBERS = 10;
/** Scraped tasks (one target each). */
const APP_TASKS = 1_000;
const POOL = 'agents';
const MONITORING = 'monitoring';
const AGENT_FAMILY = 'prometheus-agent';
const EVENTS_QUEUE = 'ecs-sd-bench-pools';

/** One measured stop, in ms after StopTask. */
export interface CoverageSample {
  sdMs: number;
  sharesMs: number;
}

/** How ecs-sd learns of the stop. */
export type CoverageMode = { kind: 'events' } | { kind: 'polling'; refreshIntervalS: number };

function fleet(members: number) {
  return {
    subnets: [{ id: 'subnet-a', cidr: '10.0.0.0/16', availabilityZone: 'us-east-1a' }],
    taskDefinitions: [
      {
        family: 'app',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        containerDefinitions: [
          {
            name: 'app',
            image: 'example/app:1',
            portMappings: [{ containerPort: 9100 }],
            environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' },
          },
        ],
      },
      {
        family: AGENT_FAMILY,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        containerDefinitions: [{ name: 'prometheus', image: 'prom/prometheus:v2' }],
      },
    ],
    clusters: [
      {
        name: 'web',
        services: [
          {
            name: 'app',
            taskDefinition: 'app',
            desiredCount: APP_TASKS,
            launchType: 'FARGATE',
            subnet: 'subnet-a',
          },
        ],
      },
      {
        name: MONITORING,
        tasks: [{ taskDefinition: AGENT_FAMILY, count: members, launchType: 'FARGATE', subnet: 'subnet-a' }],
      },
    ],
  };
}

/** The target addresses of one member's share, asked over HTTP as its http_sd would. */
function share(port: number, member: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const path = `/http-sd?pool=${POOL}&member=${member}`;
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${path} answered ${res.statusCode}: ${body}`));
        else resolve((JSON.parse(body) as { targets: string[] }[]).flatMap((group) => group.targets));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A simulated member: asks for its share every HTTP_SD_REFRESH_MS from a random phase on, keeps the last answer. */
class MemberLoop {
  readonly id: string;
  readonly port: number;
  last: ReadonlySet<string> = new Set();
  asked = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(id: string, port: number) {
    this.id = id;
    this.port = port;
    this.#schedule(Math.random() * HTTP_SD_REFRESH_MS);
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      void share(this.port, this.id)
        .then((addresses) => {
          this.last = new Set(addresses);
          this.asked++;
        })
        .catch(() => {})
        .finally(() => {
          if (!this.#stopped) this.#schedule(HTTP_SD_REFRESH_MS);
        });
    }, ms);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}

/** Member task ARNs of the pool's family that are RUNNING in ecs-sim. */
function runningMembers(sim: Sim): string[] {
  return sim
    .groundTruth()
    .tasks.filter(
      (task) =>
        task.family === AGENT_FAMILY && task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING',
    )
    .map((task) => task.taskArn);
}

const idOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** True when the assignment has exactly `members` and gives every target only to them. */
function sdCovers(pools: DaemonPools, members: ReadonlySet<string>): boolean {
  const assignment = pools.assignments().get(POOL);
  if (assignment === undefined || assignment.members.length !== members.size) return false;
  if (!assignment.members.every((member) => members.has(member.id))) return false;
  for (const owners of assignment.byTarget.values()) if (!owners.every((id) => members.has(id))) return false;
  return assignment.targets > 0;
}

/** True when the members' last answers together hold every target of the daemon. */
function sharesCover(runtime: Runtime, loops: Iterable<MemberLoop>): boolean {
  const union = new Set<string>();
  for (const loop of loops) for (const address of loop.last) union.add(address);
  return runtime.state.targets().every((target) => union.has(target.address));
}

/** Stops a member `samples` times (a replacement joins after each) and measures each handover. */
export async function measureCoverage(mode: CoverageMode, samples: number): Promise<CoverageSample[]> {
  const sim = await startSim({ port: 0, fleet: fleet(MEMBERS + samples - 1) as never, throttling: false });
  if (mode.kind === 'events') sim.setEventsQueue(EVENTS_QUEUE);
  const source = {
    name: 'sim',
    region: 'us-east-1',
    endpoint: sim.endpoint,
    ...(mode.kind === 'events'
      ? {
          events: {
            queue_url: `${sim.endpoint}/${sim.accountId}/${EVENTS_QUEUE}`,
            reconcile_interval: '600s',
          },
        }
      : {}),
  };
  const config = loadConfig({
    fileText: JSON.stringify({
      refresh_interval: mode.kind === 'events' ? '60s' : `${mode.refreshIntervalS}s`,
      sources: [source],
      pools: [{ name: POOL, members: { ecs: { cluster: MONITORING, family: AGENT_FAMILY } } }],
    }),
  });
  const { runtime, pools, port, close } = await startPoolServer(config);
  const loops = new Map<string, MemberLoop>();
  const out: CoverageSample[] = [];
  try {
    runtime.start();
    await waitUntil('the first refresh', () => runtime.state.ready(), { timeoutMs: 120_000 });
    for (let sample = 0; sample < samples; sample++) {
      const live = new Set(runningMembers(sim).map(idOf));
      for (const id of live) if (!loops.has(id)) loops.set(id, new MemberLoop(id, port));
      await waitUntil(
        'every member in the pool and every target in a share',
        () =>
          sdCovers(pools, live) &&
          [...live].every((id) => loops.get(id)!.asked > 0) &&
          sharesCover(runtime, loops.values()),
        { timeoutMs: 180_000, everyMs: 50 },
      );
      if (mode.kind === 'polling') await sleep(Math.random() * mode.refreshIntervalS * 1000);
      const leaver = [...live][sample % live.size]!;
      const stoppedAt = performance.now();
      sim.stopTask(runningMembers(sim).find((arn) => idOf(arn) === leaver)!);
      loops.get(leaver)!.stop();
      loops.delete(leaver);
      live.delete(leaver);
      let sdMs: number | undefined;
      await waitUntil(
        'the survivors to hold every target',
        () => {
          sdMs ??= sdCovers(pools, live) ? performance.now() - stoppedAt : undefined;
          return sdMs !== undefined && sharesCover(runtime, loops.values());
        },
        {
          timeoutMs: 180_000,
          everyMs: 10,
          describe: () => {
            const assignment = pools.assignments().get(POOL);
            const union = new Set([...loops.values()].flatMap((loop) => [...loop.last]));
            return `ecs-sd reassigned: ${sdMs ?? 'not yet'}; pool members ${assignment?.members.map((m) => m.id).join(',')}; live ${[...live].join(',')}; ${runtime.state.targets().filter((t) => !union.has(t.address)).length} targets in no survivor's share`;
          },
        },
      );
      out.push({ sdMs: sdMs!, sharesMs: performance.now() - stoppedAt });
    }
    return out;
  } finally {
    for (const loop of loops.values()) loop.stop();
    await close();
    await sim.close();
  }
}
