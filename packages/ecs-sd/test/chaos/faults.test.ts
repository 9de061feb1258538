/**
 * The chaos matrix: each fault of ecs-sim's fault injection is switched on while the daemon runs its
 * refresh loop and the fleet changes underneath; for each, the daemon keeps running, no target of a
 * still-running task disappears from the outputs, every output file parses at every moment, and
 * the outputs match the fleet again within one refresh after the fault ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import type { FaultSpec, Sim } from 'ecs-sim';
import { expectedAddresses as expectedAddressesOf } from '../support/expected-addresses.ts';
import { type ChaosOptions, type ChaosRun, expectedAddresses, startChaos } from './harness.ts';

/** The `host:port` targets of one task in ecs-sim's truth. */
function addressesOf(
  sim: Sim,
  predicate: (task: { taskArn: string; cluster: string }) => boolean,
): Set<string> {
  const out = new Set<string>();
  for (const task of sim.groundTruth().tasks) {
    if (!predicate(task)) continue;
    for (const container of task.containers) {
      const port = Number(container.environment['PROMETHEUS_PORT']);
      const binding = container.ports.find((mapping) => mapping.containerPort === port);
      if (container.address !== undefined && binding?.hostPort !== undefined)
        out.add(`${container.address}:${binding.hostPort}`);
    }
  }
  return out;
}

/** Stops the first running service task of every cluster (its service starts a replacement) and returns their ARNs. */
function churnOnePerCluster(run: ChaosRun): string[] {
  const stopped: string[] = [];
  for (const cluster of run.clusters) {
    const task = run.sim
      .groundTruth()
      .tasks.find(
        (candidate) =>
          candidate.cluster === cluster &&
          candidate.service !== undefined &&
          candidate.lastStatus === 'RUNNING' &&
          candidate.desiredStatus === 'RUNNING',
      );
    if (task === undefined) continue;
    run.sim.stopTask(task.taskArn, 'chaos churn');
    stopped.push(task.taskArn);
  }
  run.sim.settle();
  return stopped;
}

/** One case of the matrix. */
interface ChaosCase {
  name: string;
  faults: (run: ChaosRun) => FaultSpec[];
  /** Refreshes to run while the fault is active. @default 4 */
  refreshes?: number;
  options?: ChaosOptions;
  /** A cluster whose targets go away with the fault (deleted): excluded from "must stay". */
  removes?: (run: ChaosRun) => string;
  /** Extra change under the fault; returns task ARNs that stop being running. */
  during?: (run: ChaosRun) => string[];
  /** Extra assertions while the fault is still active. */
  whileActive?: (run: ChaosRun) => Promise<void>;
  /** Ends a fault that is not one of ecs-sim's and waits until the daemon is past it. */
  recover?: (run: ChaosRun) => Promise<void>;
}

async function metricValue(run: ChaosRun, name: string, labels: Record<string, string>): Promise<number> {
  const metric = run.metrics.registry.getSingleMetric(name);
  if (metric === undefined) return Number.NaN;
  const { values } = await metric.get();
  return (
    values.find((value) => Object.entries(labels).every(([key, want]) => String(value.labels[key]) === want))
      ?.value ?? Number.NaN
  );
}

const CASES: ChaosCase[] = [
  {
    name: 'a throttling storm (70% of every call answered ThrottlingException / RequestLimitExceeded)',
    faults: () => [{ kind: 'throttle', rate: 0.7 }],
    refreshes: 2,
  },
  { name: '30% HTTP 500 on every call', faults: () => [{ kind: 'http500', rate: 0.3 }] },
  { name: '30% HTTP 503 on every call', faults: () => [{ kind: 'http503', rate: 0.3 }] },
  {
    name: 'timeouts (30% of calls take 2 s against a 200 ms request timeout)',
    faults: () => [{ kind: 'latency', rate: 0.3, latencyMs: 2000 }],
    options: { extra: { timeouts: { aws_request: '200ms' } } },
    refreshes: 2,
  },
  {
    name: "one cluster's calls never answer (held open by a proxy): the others stay right, it keeps its targets, stale, timeouts counted",
    faults: () => [],
    options: { proxy: true, extra: { timeouts: { aws_request: '300ms', cluster_refresh: '1s' } } },
    during(run) {
      const hung = run.clusters[1]!;
      run.proxy!.hold = (call) => call.cluster === hung;
      return [];
    },
    async whileActive(run) {
      const hung = run.clusters[1]!;
      await waitUntil(
        `${hung} marked stale`,
        async () => (await metricValue(run, 'ecs_sd_cluster_stale', { cluster: hung })) === 1,
      );
      assert.ok((await metricValue(run, 'ecs_sd_refresh_timeouts_total', { cluster: hung })) >= 1);
      assert.ok(run.proxy!.held().length >= 1, 'calls were held open');
      // The other clusters' churn (stopped tasks, their services' replacements) is published meanwhile.
      const others = expectedAddressesOf(run.sim.groundTruth().tasks.filter((task) => task.cluster !== hung));
      await waitUntil('the other clusters up to date while one hangs', async () => {
        const outputs = new Set(await run.readOutputs().catch(() => []));
        return others.every((address) => outputs.has(address));
      });
      for (const cluster of run.clusters.filter((name) => name !== hung))
        assert.equal(await metricValue(run, 'ecs_sd_cluster_stale', { cluster }), 0, cluster);
    },
    async recover(run) {
      const hung = run.clusters[1]!;
      run.proxy!.release();
      await waitUntil(
        `${hung} read again`,
        async () => (await metricValue(run, 'ecs_sd_cluster_stale', { cluster: hung })) === 0,
      );
    },
  },
  { name: '30% connection resets', faults: () => [{ kind: 'reset', rate: 0.3 }] },
  { name: '30% malformed response bodies', faults: () => [{ kind: 'malformed', rate: 0.3 }] },
  { name: '30% truncated response bodies', faults: () => [{ kind: 'truncate', rate: 0.3 }] },
  {
    name: 'AccessDeniedException on one cluster',
    faults: (run) => [{ kind: 'access-denied', cluster: run.clusters[1]! }],
    async whileActive(run) {
      const cluster = run.clusters[1]!;
      await waitUntil(
        `${cluster} marked stale`,
        async () => (await metricValue(run, 'ecs_sd_cluster_stale', { cluster })) === 1,
      );
      const fresh = run.clusters[0]!;
      assert.equal(await metricValue(run, 'ecs_sd_cluster_stale', { cluster: fresh }), 0);
    },
  },
  {
    name: 'a cluster deleted mid-refresh (between ListTasks and DescribeTasks)',
    faults: (run) => [{ kind: 'delete-between-list-and-describe', cluster: run.clusters[2]!, count: 1 }],
    removes: (run) => run.clusters[2]!,
    async whileActive(run) {
      const cluster = run.clusters[2]!;
      await waitUntil(
        `${cluster} removed from the state`,
        () => !run.daemon.state.clusters().some((entry) => entry.clusterName === cluster),
      );
    },
  },
  {
    name: 'new tasks described with missing fields (containers, attachments, lastStatus)',
    faults: () => [],
    during(run) {
      const cluster = run.clusters[0]!;
      const family = run.sim
        .groundTruth()
        .tasks.find((task) => task.cluster === cluster && task.networkMode === 'awsvpc')?.family;
      assert.ok(family, 'an awsvpc family in the first cluster');
      const tasks = run.sim.runTask({ cluster, taskDefinition: family, count: 3 });
      run.sim.settle();
      const missing = [['containers'], ['attachments'], ['lastStatus', 'taskDefinitionArn']];
      for (const [index, task] of tasks.entries())
        run.sim.setTaskChaos(task.arn, { missing: missing[index]! });
      return [];
    },
  },
];

describe('chaos: the daemon under each fault', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));

  for (const chaos of CASES) {
    test(chaos.name, async () => {
      const run = await startChaos(chaos.options);
      let watcher: ReturnType<ChaosRun['watch']> | undefined;
      try {
        const removed = chaos.removes?.(run);
        let gone = new Set<string>();
        const mustStay = new Set(
          [...addressesOf(run.sim, (task) => task.cluster !== removed)].filter((address) =>
            expectedAddresses(run.sim).includes(address),
          ),
        );
        watcher = run.watch(() => {
          const out = new Set(mustStay);
          for (const address of gone) out.delete(address);
          return out;
        });

        const ids = chaos.faults(run).map((fault) => run.sim.faults.add(fault));
        const stoppedArns = [...churnOnePerCluster(run), ...(chaos.during?.(run) ?? [])];
        const stoppedSet = new Set(stoppedArns);
        gone = addressesOf(run.sim, (task) => stoppedSet.has(task.taskArn));
        await run.waitRefreshes(chaos.refreshes ?? 4);
        await chaos.whileActive?.(run);
        assert.equal(run.daemon.scheduled(), true, 'the refresh loop keeps running under the fault');

        for (const id of ids) run.sim.faults.remove(id);
        run.sim.faults.clear();
        await chaos.recover?.(run);
        for (const task of run.sim.groundTruth().tasks) {
          if (run.sim.findTask(task.taskArn)?.chaos !== undefined)
            run.sim.setTaskChaos(task.taskArn, undefined);
        }
        await run.waitRefreshes(1);
        const { reads, problems } = await watcher.stop();

        assert.deepEqual(problems, [], 'every read parsed and kept every running task');
        assert.ok(reads > 10, `the outputs were read while the fault was active (${reads} reads)`);
        assert.deepEqual(
          await run.readOutputs(),
          expectedAddresses(run.sim),
          'outputs match the fleet again',
        );
        assert.equal(run.daemon.scheduled(), true);
        assert.deepEqual(unhandled, []);
      } finally {
        // A failed case stops its reader too, or the reader would read (and collect problems) forever.
        await watcher?.stop();
        await run.close();
      }
    });
  }
});
