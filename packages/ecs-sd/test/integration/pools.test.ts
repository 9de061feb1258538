/**
 * Scraper pools against ecs-sim with the real SDK clients: the members are the RUNNING tasks of the
 * scrapers' family in the monitoring cluster; each member's http_sd share, a member that stops
 * losing its share to the survivors, a caller that is not a member, a caller known by its source
 * address, replication 2, and ha.replicas halving the rate budget.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { explainLocal } from '../../src/commands/explain.ts';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createDaemonPools, runtimePoolSources } from '../../src/pools/daemon-pools.ts';
import { buildApp } from '../../src/server/app.ts';
import { LIFECYCLE } from '../events/sim.ts';
import { poolFleet } from '../support/pool-fleet.ts';
import { metricSum, metricValue, simConfig, simDaemon, useTestCredentials } from './helpers.ts';

const FLEET = poolFleet({ cidr: '127.3.0.0/16', appTasks: 60, members: 3 });

function poolsYaml(replication: number, extra = ''): string {
  return `
pools:
  - name: agents
    members:
      ecs: { cluster: monitoring, family: prometheus-agent }
      static: [outside]
    replication: ${replication}
    targets: { cluster: [web] }
${extra}`;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ...(localAddress && { localAddress }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The target addresses of an http_sd answer. */
function addresses(reply: Reply): string[] {
  assert.equal(reply.status, 200, reply.body);
  const groups = JSON.parse(reply.body) as { targets: string[] }[];
  return groups.flatMap((group) => group.targets).sort();
}

describe('scraper pools against ecs-sim', () => {
  let sim: Sim;
  let daemon: Runtime | undefined;
  let server: Server | undefined;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await daemon?.stop();
    daemon = undefined;
  });
  after(() => sim.close());

  async function start(yaml: string) {
    const { daemon: runtime, metrics } = simDaemon(simConfig(sim.endpoint, yaml));
    daemon = runtime;
    const pools = createDaemonPools(runtimePoolSources(runtime), { metrics: metrics.pools });
    server = createServer(
      buildApp({
        view: runtime.state,
        registry: metrics.registry,
        pools: pools.assignments,
        onNotAMember: pools.notAMember,
      }),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    assert.ok((await runtime.refresh()).complete);
    const members = () =>
      runtime.state
        .decisions()
        .filter((d) => d.clusterName === 'monitoring' && d.lastStatus === 'RUNNING')
        .map((d) => ({ id: d.taskId, arn: d.taskArn, ip: d.privateIpv4! }));
    const everyTarget = async () => addresses(await get(port, '/http-sd?cluster=web'));
    return { runtime, metrics, port, members, everyTarget };
  }

  test("members are the family's running tasks; their shares split the pool's targets, none twice", async () => {
    const { runtime, port, members, everyTarget, metrics } = await start(poolsYaml(1));
    const all = await everyTarget();
    assert.equal(all.length, 60);
    const ids = [...members().map((m) => m.id), 'outside'];
    assert.equal(ids.length, 4);
    const shares = await Promise.all(
      ids.map(async (id) => addresses(await get(port, `/http-sd?pool=agents&member=${id}`))),
    );
    for (const share of shares) assert.ok(share.length > 0, 'every member scrapes some');
    assert.deepEqual(shares.flat().sort(), all, 'together exactly every target, each once');
    assert.equal(await metricValue(metrics, 'ecs_sd_pool_members', { pool: 'agents' }), 4);
    assert.equal(await metricValue(metrics, 'ecs_sd_pool_targets', { pool: 'agents' }), 60);
    assert.equal(await metricSum(metrics, 'ecs_sd_pool_member_targets', { pool: 'agents' }), 60);
    // The why API and explain say which member scrapes a target.
    const owner = new Map(ids.flatMap((id, at) => shares[at]!.map((address) => [address, id] as const)));
    const [decision] = (
      JSON.parse((await get(port, '/api/v1/tasks?cluster=web&limit=1')).body) as {
        tasks: { taskId: string; scrapedBy: { pool: string; address: string; members: string[] }[] }[];
      }
    ).tasks;
    const [entry] = decision!.scrapedBy;
    assert.deepEqual(entry!.members, [owner.get(entry!.address)]);
    const one = JSON.parse((await get(port, `/api/v1/tasks/${decision!.taskId}`)).body) as typeof decision;
    assert.deepEqual(one!.scrapedBy, decision!.scrapedBy);
    let printed = '';
    const code = await explainLocal(decision!.taskId, runtime.config, silentLogger(), {
      stdout: (text: string) => {
        printed += text;
      },
      stderr: () => {},
    });
    assert.equal(code, 0);
    assert.match(
      printed,
      new RegExp(`\\n  pool "agents": ${entry!.address} scraped by member ${owner.get(entry!.address)}\\n`),
    );
    // job/interval/cluster narrow a share further.
    assert.deepEqual(
      addresses(await get(port, `/http-sd?pool=agents&member=${ids[0]}&cluster=monitoring`)),
      [],
    );
  });

  test('a member that stops loses its share at once; the survivors take it, the rest stays put', async () => {
    const { runtime, port, members, everyTarget, metrics } = await start(poolsYaml(1));
    const before = members();
    const shareOf = async (id: string) => addresses(await get(port, `/http-sd?pool=agents&member=${id}`));
    const old = new Map(
      await Promise.all(
        [...before.map((m) => m.id), 'outside'].map(async (id) => [id, await shareOf(id)] as const),
      ),
    );
    const [gone, ...survivors] = before;
    sim.stopTask(gone!.arn, 'scaled in');
    sim.settle();
    await runtime.refresh();
    const stopped = await get(port, `/http-sd?pool=agents&member=${gone!.id}`);
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body, '[]\n');
    assert.match(
      String(stopped.headers['x-ecs-sd-pool']),
      new RegExp(`member "${gone!.id}" is not in pool "agents"`),
    );
    const now = new Map(
      await Promise.all(
        [...survivors.map((m) => m.id), 'outside'].map(async (id) => [id, await shareOf(id)] as const),
      ),
    );
    assert.deepEqual(
      [...now.values()].flat().sort(),
      await everyTarget(),
      'the survivors cover every target',
    );
    for (const [id, share] of now) {
      for (const target of old.get(id)!) assert.ok(share.includes(target), `${id} keeps ${target}`);
    }
    assert.equal(
      await metricValue(metrics, 'ecs_sd_pool_targets_moved_total', { pool: 'agents' }),
      old.get(gone!.id)!.length,
      "exactly the stopped member's targets moved",
    );
    assert.equal(await metricValue(metrics, 'ecs_sd_pool_members', { pool: 'agents' }), 3);
    // It joins again as a new task: a new id, taking about a quarter.
    sim.runTask({
      cluster: 'monitoring',
      taskDefinition: 'prometheus-agent',
      launchType: 'FARGATE',
      subnets: ['subnet-a'],
    });
    sim.settle();
    await runtime.refresh();
    assert.equal(members().length, 3);
  });

  test('a caller that is not a member gets an empty list and a header; errors name what to pass', async () => {
    const { port } = await start(poolsYaml(1));
    const stranger = await get(port, '/http-sd?pool=agents&member=0123456789abcdef');
    assert.equal(stranger.status, 200);
    assert.equal(stranger.body, '[]\n');
    assert.match(
      String(stranger.headers['x-ecs-sd-pool']),
      /^member "0123456789abcdef" is not in pool "agents": no RUNNING task with this id of family "prometheus-agent" in cluster "monitoring" \(source "sim"\) is known yet, nor is it a static member; its members are /,
    );
    const unknown = await get(port, '/http-sd?pool=scrapers&member=x');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /pool "scrapers" is not configured, expected one of "agents"/);
    const sharded = await get(port, '/http-sd?pool=agents&member=outside&shard=0&shards=2');
    assert.equal(sharded.status, 400);
    const anonymous = await get(port, '/http-sd?pool=agents', '127.0.0.9');
    assert.equal(anonymous.status, 400);
    assert.match(
      anonymous.body,
      /source address 127\.0\.0\.9 is the private IP of no running member tasks of pool "agents", expected member=ID/,
    );
  });

  test("without member=, a caller from the private IP of a member task gets that member's share", async () => {
    const { port, members } = await start(poolsYaml(1));
    for (const member of members()) {
      assert.match(member.ip, /^127\.3\./);
      const byAddress = await get(port, '/http-sd?pool=agents', member.ip);
      const byId = await get(port, `/http-sd?pool=agents&member=${member.id}`);
      assert.deepEqual(addresses(byAddress), addresses(byId));
    }
  });

  test('replication 2: every target is in exactly two shares', async () => {
    const { port, members, everyTarget } = await start(poolsYaml(2));
    const ids = [...members().map((m) => m.id), 'outside'];
    const counts = new Map<string, number>();
    for (const id of ids) {
      for (const target of addresses(await get(port, `/http-sd?pool=agents&member=${id}`)))
        counts.set(target, (counts.get(target) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), await everyTarget());
    assert.deepEqual(new Set(counts.values()), new Set([2]));
  });

  test('event mode: a member stopping leaves the pool from its event alone, with no ECS call', async () => {
    sim.setEventsQueue('pool-events');
    const queueUrl = `${sim.endpoint}/${sim.accountId}/pool-events`;
    const config = simConfig(sim.endpoint, `refresh_interval: 60s\n${poolsYaml(1)}`, {
      events: { queue_url: queueUrl },
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const runtime = createRuntime(config, {
      log: silentLogger(),
      metrics,
      eventsOptions: { waitTimeSeconds: 1, unhealthyAfter: 3, backoffInitialMs: 20, backoffMaxMs: 100 },
    });
    daemon = runtime;
    const pools = createDaemonPools(runtimePoolSources(runtime), { metrics: metrics.pools });
    server = createServer(
      buildApp({ view: runtime.state, registry: metrics.registry, pools: pools.assignments }),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    runtime.start();
    await waitUntil('the first refresh', () => runtime.state.ready());
    const members = runtime.state
      .decisions()
      .filter((d) => d.clusterName === 'monitoring' && d.lastStatus === 'RUNNING');
    assert.ok(members.length >= 3);
    const gone = members[0]!;
    const share = addresses(await get(port, `/http-sd?pool=agents&member=${gone.taskId}`));
    assert.ok(share.length > 0);
    sim.resetCounters();
    sim.stopTask(gone.taskArn, 'scaled in');
    await waitUntil('the stopped member out of the pool', async () => {
      const reply = await get(port, `/http-sd?pool=agents&member=${gone.taskId}`);
      return reply.headers['x-ecs-sd-pool'] !== undefined;
    });
    const survivors = runtime.state
      .decisions()
      .filter((d) => d.clusterName === 'monitoring' && d.lastStatus === 'RUNNING')
      .map((d) => d.taskId);
    assert.ok(!survivors.includes(gone.taskId));
    const covered = new Set<string>();
    for (const id of [...survivors, 'outside']) {
      for (const address of addresses(await get(port, `/http-sd?pool=agents&member=${id}`)))
        covered.add(address);
    }
    for (const address of share) assert.ok(covered.has(address), `${address} is scraped by a survivor`);
    const ecsCalls = Object.entries(sim.counters()).filter(
      ([op, count]) => count > 0 && !['ReceiveMessage', 'DeleteMessageBatch', 'SendMessage'].includes(op),
    );
    assert.deepEqual(ecsCalls, [], 'the event carried the stop');
    sim.setEventsQueue(undefined);
  });

  test('ha.replicas: 2 gives each replica half the rate budget of one daemon', async () => {
    const one = (await start(poolsYaml(1))).runtime.status().budgets[0]!.categories;
    await daemon!.stop();
    daemon = undefined;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const two = (await start(poolsYaml(1, 'ha: { replicas: 2 }'))).runtime.status().budgets[0]!.categories;
    assert.equal(two.length, one.length);
    for (const bucket of one) {
      const half = two.find((b) => b.category === bucket.category)!;
      assert.equal(half.burst, bucket.burst / 2, bucket.category);
      assert.equal(half.configuredRefillPerSecond, bucket.configuredRefillPerSecond / 2, bucket.category);
    }
  });
});
