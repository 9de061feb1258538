/**
 * The chaos matrix: each fault is switched on while the daemon runs its refresh loop and the fleet
 * changes underneath; for each, the daemon keeps running, no target of a still-running task
 * disappears from the outputs, every output file parses at every moment, and the outputs match the
 * fleet again within one refresh after the fault ends. Each case adds what its fault must also show:
 *
 * | fault                                                       | also asserted                                                        |
 * | ----------------------------------------------------------- | -------------------------------------------------------------------- |
 * | throttling storm, HTTP 500/503, resets, malformed/truncated | —                                                                    |
 * | slow answers past `timeouts.aws_request`                    | —                                                                    |
 * | one cluster's calls held open (hung connection)             | it keeps its targets, stale, timeouts counted; the others up to date |
 * | AccessDeniedException on one cluster                        | that cluster stale, the others fresh                                 |
 * | a cluster deleted mid-refresh                               | it is removed                                                        |
 * | tasks described with missing fields                         | —                                                                    |
 * | hostile task definitions in one cluster                     | exact bounded targets, skips and bounds counted, all.json < 8 MiB    |
 * | catastrophic regexes against names built to backtrack       | refreshes keep their pace, the hostile cluster is not selected       |
 * | the output directory replaced by a file (write failures)    | its files counted and marked failed, the single file keeps updating  |
 *
 * The whole matrix, with the rows other files cover (the real CLI under a hung connection, poison
 * messages, the hostile fleet in JSON and YAML, long durations), is in README.md, "The chaos matrix";
 * test/reliability-docs.test.ts fails when a case here is missing there.
 */
import assert from 'node:assert/strict';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateClusterCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { waitUntil } from '@ecs-sd/testkit';
import type { FaultSpec, Sim } from 'ecs-sim';
import { expectedAddresses as expectedAddressesOf } from '../support/expected-addresses.ts';
import {
  expectedTotals,
  HOSTILE_ALLOWLIST,
  hostileShapes,
  runHostileFleet,
} from '../support/hostile-fleet.ts';
import { type ChaosOptions, type ChaosRun, expectedAddresses, parseFileSd, startChaos } from './harness.ts';

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
  during?: (run: ChaosRun) => string[] | Promise<string[]>;
  /** Which output files the reader checks while the fault is active. @default every file */
  watched?: (file: { path: string; yaml: boolean }) => boolean;
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

/** A real ECS client on the run's ecs-sim, and one of its subnets for awsvpc tasks. */
function ecsOf(run: ChaosRun): { ecs: ECSClient; subnet: string } {
  const ecs = new ECSClient({ endpoint: run.sim.endpoint, region: run.sim.region });
  const subnet = run.sim.world.subnets(run.sim.world.account(run.sim.accountId))[0]!.id;
  return { ecs, subnet };
}

/** The shapes the chaos case runs in one cluster of the chaos fleet. */
const CHAOS_HOSTILE = hostileShapes().filter((shape) =>
  [
    'hostile-blowup',
    'hostile-odd-paths',
    'hostile-big-docker-labels',
    'hostile-many-user-labels',
    'hostile-timeout',
    'hostile-server-name',
    'hostile-interval',
  ].includes(shape.family),
);
/** Tasks of the hostile case, stopped when it ends (they are no PROMETHEUS=true targets of the ground truth). */
let hostileTasks: string[] = [];

/** A cluster name `(a+)+` backtracks on for 2^35 steps in a backtracking engine. */
const CATASTROPHIC_NAME = `${'a'.repeat(35)}-x`;

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
  {
    name: 'hostile task definitions in one cluster (the issue’s 800-endpoint, 32,000-character one run 30 times, YAML-hostile paths, huge and countless labels, targets Prometheus drops): the others stay right, the hostile ones are bounded and counted',
    faults: () => [],
    options: { extra: { discovery: { docker_label_allowlist: HOSTILE_ALLOWLIST } } },
    async during(run) {
      const { ecs, subnet } = ecsOf(run);
      try {
        const arns = await runHostileFleet(
          {
            ecs,
            cluster: run.clusters[0]!,
            create: false,
            subnet,
            setMissing: (arn, missing) => run.sim.setTaskChaos(arn, { missing }),
          },
          CHAOS_HOSTILE,
        );
        hostileTasks = [...arns.values()].flat();
      } finally {
        ecs.destroy();
      }
      run.sim.settle();
      return [];
    },
    async whileActive(run) {
      const totals = expectedTotals(CHAOS_HOSTILE);
      for (const [metric, expected] of [
        ['ecs_sd_bounded_containers', totals.boundedContainers],
        ['ecs_sd_skipped_containers', totals.skippedContainers],
      ] as const) {
        for (const [reason, count] of Object.entries(expected)) {
          await waitUntil(
            `${metric}{reason="${reason}"} ${count}`,
            async () => (await metricValue(run, metric, { reason })) === count,
          );
        }
      }
      const hostile = new Set(hostileTasks);
      const targets = run.daemon.state
        .targets()
        .filter((target) => hostile.has(target.labels['__meta_ecs_task_arn'] ?? ''));
      assert.equal(
        targets.length,
        totals.targets,
        'the hostile tasks give exactly the targets the limits allow',
      );
      const bytes = (await stat(run.files[0]!.path)).size;
      assert.ok(
        bytes < 8 * 1024 * 1024,
        `all.json is ${bytes} bytes with the hostile tasks, expected under 8 MiB`,
      );
    },
    async recover(run) {
      for (const arn of hostileTasks) run.sim.stopTask(arn, 'hostile case over');
      run.sim.settle();
    },
  },
  {
    name: 'catastrophic regexes ((a+)+ in cluster_include and docker_label_allowlist, (x+x+)+y as a rule’s docker_label value) against names and labels built to backtrack: the loop keeps its pace',
    faults: () => [],
    options: {
      source: { cluster_include: '(a+)+|cluster-[0-9]+' },
      extra: {
        discovery: {
          docker_label_allowlist: '(a+)+|team',
          rules: [{ name: 'evil', docker_label: { name: 'x', value: '(x+x+)+y' }, ports: [9999] }],
        },
      },
    },
    async during(run) {
      const { ecs, subnet } = ecsOf(run);
      try {
        await ecs.send(new CreateClusterCommand({ clusterName: CATASTROPHIC_NAME }));
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'backtracking',
            networkMode: 'awsvpc',
            requiresCompatibilities: ['FARGATE'],
            cpu: '256',
            memory: '512',
            containerDefinitions: [
              {
                name: 'app',
                image: 'example/backtracking:1',
                portMappings: [{ containerPort: 9100 }],
                environment: [
                  { name: 'PROMETHEUS', value: 'true' },
                  { name: 'PROMETHEUS_PORT', value: '9100' },
                ],
                dockerLabels: { [`${'a'.repeat(40)}!`]: 'v', x: 'x'.repeat(50) },
              },
            ],
          }),
        );
        await ecs.send(
          new RunTaskCommand({
            cluster: run.clusters[0]!,
            taskDefinition: 'backtracking',
            launchType: 'FARGATE',
            networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
          }),
        );
      } finally {
        ecs.destroy();
      }
      run.sim.settle();
      return [];
    },
    async whileActive(run) {
      await waitUntil('the task with the backtracking labels in the outputs', async () => {
        const outputs = new Set(await run.readOutputs().catch(() => []));
        return expectedAddresses(run.sim).every((address) => outputs.has(address));
      });
      const start = await run.refreshes();
      await run.waitRefreshes(5);
      assert.ok((await run.refreshes()) >= start + 5, 'refreshes go on');
      assert.equal(
        await metricValue(run, 'ecs_sd_clusters', { source: 'chaos' }),
        run.clusters.length,
        `${CATASTROPHIC_NAME} is not selected`,
      );
    },
  },
  {
    name: 'the output directory replaced by a file (its four files cannot be written): each is counted and marked failed, the single file keeps following the fleet, and all are right again once the directory can be made',
    faults: () => [],
    watched: (file) => !file.path.includes('by-interval'),
    async during(run) {
      const directory = dirname(run.files[1]!.path);
      // The daemon may make the directory again between the two steps: then try again.
      for (let attempt = 0; ; attempt++) {
        await rename(directory, `${directory}.away-${attempt}`).catch(() => {});
        try {
          await writeFile(directory, 'a file where the directory was', { flag: 'wx' });
          break;
        } catch (error) {
          if (attempt >= 10) throw error;
        }
      }
      return [];
    },
    async whileActive(run) {
      const [single, ...inDirectory] = run.files.map((file) => file.path);
      for (const file of inDirectory) {
        await waitUntil(
          `${file} marked failed`,
          async () => (await metricValue(run, 'ecs_sd_file_last_write_successful', { file })) === 0,
        );
        assert.ok(
          (await metricValue(run, 'ecs_sd_file_write_failures_total', { file, reason: 'bad-path' })) >= 1,
        );
      }
      assert.equal(await metricValue(run, 'ecs_sd_file_last_write_successful', { file: single! }), 1);
      await waitUntil(
        'the single file up to date with the churn while the directory cannot be written',
        async () =>
          parseFileSd(await readFile(single!, 'utf8'), false)
            .sort()
            .join() === expectedAddresses(run.sim).join(),
      );
    },
    async recover(run) {
      await rm(dirname(run.files[1]!.path), { force: true });
      for (const { path: file } of run.files) {
        await waitUntil(
          `${file} written again`,
          async () => (await metricValue(run, 'ecs_sd_file_last_write_successful', { file })) === 1,
        );
      }
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
        }, chaos.watched);

        const ids = chaos.faults(run).map((fault) => run.sim.faults.add(fault));
        const stoppedArns = [...churnOnePerCluster(run), ...((await chaos.during?.(run)) ?? [])];
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
        // A read that was still backing off when the fault ended finishes before its cluster is read
        // afresh, so the outputs are right again within a few refreshes, not always the first.
        await run.waitRefreshes(1);
        await waitUntil(
          'outputs match the fleet again',
          async () => JSON.stringify(await run.readOutputs()) === JSON.stringify(expectedAddresses(run.sim)),
          { timeoutMs: 60_000 },
        ).catch(() => {}); // the assertion below says what differs
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
