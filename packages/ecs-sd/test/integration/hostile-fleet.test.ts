/**
 * The hostile-fleet test of issue 12: one cluster holds task definitions that are valid to ECS but built
 * to hurt discovery (test/support/hostile-fleet.ts: the 800-endpoint, 32,000-character task definition
 * run 30 times, YAML-hostile characters, targets Prometheus would drop, huge and countless labels, odd
 * environment values, tasks described with missing fields), beside ordinary clusters whose tasks churn.
 * The `ecs-sd` command runs twice, as users run it, writing JSON and YAML file_sd. At every refresh:
 * the ordinary clusters' targets are exactly ecs-sim's ground truth (task and address) in the files
 * and in http_sd, the hostile cluster gives exactly the targets its shapes allow, every skip and bound
 * is counted by reason, no file fails, and resident memory stays under HOSTILE_RSS_BOUND_MIB. Every
 * file of every refresh is then read by the real `promtool check service-discovery`, which must keep
 * every target.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ECSClient } from '@aws-sdk/client-ecs';
import { type ManagedProcess, startProcess, waitForOutput, waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { parse as parseYaml } from 'yaml';
import { expectedAddresses } from '../support/expected-addresses.ts';
import {
  expectedTotals,
  HOSTILE_ALLOWLIST,
  HOSTILE_RSS_BOUND_MIB,
  hostileShapes,
  LONE_SURROGATE_PATHS,
  runHostileFleet,
} from '../support/hostile-fleet.ts';
import { type PromtoolJob, promtool, promtoolJobs } from '../support/promtool.ts';
import { childEnv, useTestCredentials } from './helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const BUCKETS = ['15s', '30s', '1m', '5m'] as const;
const HOSTILE = 'hostile';
/** Refreshes checked after the first: each follows a change in every ordinary cluster. */
const ROUNDS = 5;
/** promtool's --timeout: it waits this long, whatever it reads, so every file must be read well within it. */
const PROMTOOL_TIMEOUT_SECONDS = 20;
/** The ordinary clusters: every family opted in with PROMETHEUS=true, so each target is in ecs-sim's ground truth. */
const ORDINARY_FLEET = {
  clusters: 3,
  tasks: 150,
  services: 9,
  taskDefinitions: 6,
  hosts: 6,
  optedIn: 1,
  seed: 12,
} as const;

type Format = 'json' | 'yaml';

/** One `ecs-sd` command and what it writes. */
interface Running {
  format: Format;
  proc: ManagedProcess;
  url: string;
  directory: string;
}

/** A file_sd target group. */
interface Group {
  targets: string[];
  labels: Record<string, string>;
}

/** One series of a /metrics text. */
interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function fileName(bucket: string, format: Format): string {
  return `${bucket}-tasks.${format === 'json' ? 'json' : 'yml'}`;
}

async function startCli(format: Format, dir: string, endpoint: string): Promise<Running> {
  const directory = join(dir, format);
  const config = join(dir, `${format}.yml`);
  await writeFile(
    config,
    JSON.stringify({
      refresh_interval: '1s',
      sources: [{ name: 'sim', region: 'us-east-1', endpoint }],
      discovery: { docker_label_allowlist: HOSTILE_ALLOWLIST },
      output: { directory, format },
    }),
  );
  const proc = startProcess(
    `ecs-sd-${format}`,
    process.execPath,
    [CLI, `--config.file=${config}`, '--web.listen-address=127.0.0.1:0', '--log.format=json'],
    { env: childEnv(), keepChars: 100_000 },
  );
  const address = await waitForOutput(proc, `ecs-sd (${format}) to log its listen address`, (output) => {
    const line = output.split('\n').find((candidate) => candidate.includes('"msg":"listening"'));
    return line === undefined ? undefined : (JSON.parse(line) as { address: string }).address;
  });
  return { format, proc, url: `http://${address}`, directory };
}

/** Fails at once, with its output, when a daemon has died. */
function alive(run: Running): void {
  const exited = run.proc.exited();
  if (exited !== undefined)
    assert.fail(`ecs-sd (${run.format}) ${exited}:\n${run.proc.output().slice(-4000)}`);
}

async function scrape(run: Running): Promise<Series[]> {
  alive(run);
  const text = await (await fetch(`${run.url}/metrics`)).text();
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

function sum(series: Series[], name: string, labels: Record<string, string> = {}): number {
  return series
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** The non-zero series of a gauge by one label, as `{ value: count }`. */
function byLabel(series: Series[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series) if (s.name === name && s.value !== 0) out[s.labels[label] ?? ''] = s.value;
  return out;
}

/** Every group of every file_sd file of a daemon, parsed strictly (a half-written file throws). */
async function readGroups(run: Running): Promise<Map<string, Group[]>> {
  const out = new Map<string, Group[]>();
  for (const bucket of BUCKETS) {
    const text = await readFile(join(run.directory, fileName(bucket, run.format)), 'utf8');
    const groups = (run.format === 'json' ? JSON.parse(text) : parseYaml(text)) as Group[];
    assert.ok(Array.isArray(groups), `${bucket} of ${run.format} is a list`);
    out.set(bucket, groups);
  }
  return out;
}

/** `cluster taskArn address` of every target of the given groups in `clusters`, sorted. */
function targetLines(groups: readonly Group[], clusters: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const group of groups) {
    const cluster = group.labels['__meta_ecs_cluster'] ?? '';
    if (!clusters.has(cluster)) continue;
    for (const target of group.targets)
      out.push(`${cluster} ${group.labels['__meta_ecs_task_arn']} ${target}`);
  }
  return out.sort();
}

/** VmRSS and VmHWM of a process, in MiB. */
async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

describe('a hostile cluster beside ordinary ones', () => {
  let sim: Sim;
  let ecs: ECSClient;
  let dir: string;
  const shapes = hostileShapes();
  const totals = expectedTotals(shapes);
  let hostileArns: Map<string, string[]>;

  before(async () => {
    useTestCredentials();
    sim = await startSim({
      port: 0,
      throttling: false,
      generate: ORDINARY_FLEET,
      lifecycle: { provisioningMs: 0, pendingMs: 0, stoppingMs: 0, deprovisioningMs: 0 },
    });
    ecs = new ECSClient({ endpoint: sim.endpoint, region: sim.region });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-hostile-'));
    const subnet = sim.world.subnets(sim.world.account(sim.accountId))[0]!.id;
    hostileArns = await runHostileFleet(
      {
        ecs,
        cluster: HOSTILE,
        subnet,
        setMissing: (arn, missing) => sim.setTaskChaos(arn, { missing }),
      },
      shapes,
    );
    sim.settle();
  });

  after(async () => {
    ecs?.destroy();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('ordinary clusters stay exactly right at every refresh, every skip is counted, memory stays bounded, promtool keeps every target of every file', {
    timeout: 300_000,
    skip: promtool.skip,
  }, async (t) => {
    const ordinary = [...sim.world.account(sim.accountId).clusters.keys()]
      .filter((name) => name !== HOSTILE)
      .sort();
    assert.equal(ordinary.length, ORDINARY_FLEET.clusters);
    const ordinarySet = new Set(ordinary);
    const subnet = sim.world.subnets(sim.world.account(sim.accountId))[0]!.id;

    /** `cluster taskArn address` of every target ecs-sim's ground truth implies for the ordinary clusters. */
    const expectedOrdinary = (): string[] =>
      sim
        .groundTruth()
        .tasks.filter((task) => ordinarySet.has(task.cluster))
        .flatMap((task) =>
          expectedAddresses([task]).map((address) => `${task.cluster} ${task.taskArn} ${address}`),
        )
        .sort();

    /** Stops two service tasks in every ordinary cluster (their services replace them) and swaps a standalone task. */
    const standalone: string[] = [];
    const churn = () => {
      for (const cluster of ordinary) {
        const stopping = sim
          .groundTruth()
          .tasks.filter(
            (task) =>
              task.cluster === cluster &&
              task.service !== undefined &&
              task.lastStatus === 'RUNNING' &&
              task.desiredStatus === 'RUNNING',
          )
          .slice(0, 2);
        assert.equal(stopping.length, 2, `two service tasks to stop in ${cluster}`);
        for (const task of stopping) sim.stopTask(task.taskArn, 'hostile-fleet churn');
      }
      const old = standalone.shift();
      if (old !== undefined) sim.stopTask(old, 'hostile-fleet churn');
      const [started] = sim.runTask({
        cluster: ordinary[0]!,
        taskDefinition: 'gen-fargate-0',
        launchType: 'FARGATE',
        subnets: [subnet],
      });
      standalone.push(started!.arn);
      sim.settle();
    };

    const runs: Running[] = [];
    const peak = new Map<Format, { rss: number; hwm: number }>();
    const figures: string[] = [];
    try {
      for (const format of ['json', 'yaml'] as const) runs.push(await startCli(format, dir, sim.endpoint));
      for (const run of runs) {
        await waitUntil(
          `ecs-sd (${run.format}) ready`,
          async () => {
            alive(run);
            return (await fetch(`${run.url}/-/ready`)).status === 200;
          },
          { retryErrors: true, timeoutMs: 60_000 },
        );
      }

      const snapshots: { round: number; format: Format; bucket: string; path: string; targets: number }[] =
        [];
      for (let round = 0; round <= ROUNDS; round++) {
        if (round > 0) churn();
        const expected = expectedOrdinary();
        assert.ok(expected.length > 100, `${expected.length} ordinary targets`);
        // A refresh that started after the change has ended (and published) once the next one started.
        const started = await Promise.all(
          runs.map(async (run) => sum(await scrape(run), 'ecs_sd_refreshes_total')),
        );
        for (const [i, run] of runs.entries()) {
          await waitUntil(
            `ecs-sd (${run.format}) to finish a refresh after round ${round}'s change`,
            async () => sum(await scrape(run), 'ecs_sd_refreshes_total') >= started[i]! + 2,
            { timeoutMs: 60_000 },
          );
        }

        for (const run of runs) {
          const where = `round ${round}, ${run.format}`;
          const groups = await readGroups(run);
          const all = [...groups.values()].flat();
          assert.deepEqual(targetLines(all, ordinarySet), expected, `${where}: ordinary targets in file_sd`);
          const httpSd = (await (await fetch(`${run.url}/http-sd`)).json()) as Group[];
          assert.deepEqual(
            targetLines(httpSd, ordinarySet),
            expected,
            `${where}: ordinary targets in http_sd`,
          );
          const hostile = all
            .filter((group) => group.labels['__meta_ecs_cluster'] === HOSTILE)
            .reduce((n, group) => n + group.targets.length, 0);
          assert.equal(hostile, totals.targets, `${where}: targets of the hostile cluster`);

          const series = await scrape(run);
          assert.deepEqual(
            byLabel(series, 'ecs_sd_skipped_tasks', 'reason'),
            totals.skippedTasks,
            `${where}: ecs_sd_skipped_tasks`,
          );
          assert.deepEqual(
            byLabel(series, 'ecs_sd_skipped_containers', 'reason'),
            totals.skippedContainers,
            `${where}: ecs_sd_skipped_containers`,
          );
          assert.deepEqual(
            byLabel(series, 'ecs_sd_bounded_containers', 'reason'),
            totals.boundedContainers,
            `${where}: ecs_sd_bounded_containers`,
          );
          assert.equal(
            sum(series, 'ecs_sd_targets', { cluster: HOSTILE }),
            totals.targets,
            `${where}: ecs_sd_targets`,
          );
          assert.equal(sum(series, 'ecs_sd_file_write_failures_total'), 0, `${where}: no file failed`);
          assert.equal(sum(series, 'ecs_sd_http_sd_failures_total'), 0, `${where}: no http_sd answer failed`);
          assert.equal(sum(series, 'ecs_sd_cluster_stale'), 0, `${where}: no cluster stale`);
          const oneMinute = join(run.directory, fileName('1m', run.format));
          assert.deepEqual(
            byLabel(series, 'ecs_sd_file_invalid_unicode_targets', 'file'),
            {
              [oneMinute]: LONE_SURROGATE_PATHS * shapes.find((s) => s.family === 'hostile-odd-paths')!.count,
            },
            `${where}: lone surrogates counted in the 1m file only`,
          );
          assert.equal((await fetch(`${run.url}/-/ready`)).status, 200, `${where}: ready`);
          if (round === 0) {
            // The why-API (what `ecs-sd explain --url` prints) says what was cut, and why.
            for (const [family, reasons] of [
              ['hostile-blowup', ['too-many-endpoints', 'label-too-long']],
              ['hostile-timeout', ['invalid-endpoint']],
              ['hostile-many-docker-labels', ['labels-too-large']],
            ] as const) {
              const arn = hostileArns.get(family)![0]!;
              const why = await (
                await fetch(`${run.url}/api/v1/tasks/${arn.slice(arn.lastIndexOf('/') + 1)}`)
              ).text();
              for (const reason of reasons)
                assert.ok(why.includes(reason), `${where}: the why-API names ${reason} for ${family}`);
            }
          }

          const memory = await memoryOf(run.proc.child.pid!);
          const before = peak.get(run.format);
          peak.set(run.format, { rss: Math.max(memory.rss, before?.rss ?? 0), hwm: memory.hwm });
          assert.ok(
            memory.hwm < HOSTILE_RSS_BOUND_MIB,
            `${where}: VmHWM ${memory.hwm.toFixed(0)} MiB, expected under ${HOSTILE_RSS_BOUND_MIB} MiB`,
          );

          let bytes = 0;
          for (const bucket of BUCKETS) {
            const from = join(run.directory, fileName(bucket, run.format));
            const to = join(dir, 'snapshots', String(round), run.format, fileName(bucket, run.format));
            await mkdir(join(to, '..'), { recursive: true });
            await copyFile(from, to);
            bytes += (await stat(to)).size;
            snapshots.push({
              round,
              format: run.format,
              bucket,
              path: to,
              targets: groups.get(bucket)!.reduce((n, g) => n + g.targets.length, 0),
            });
          }
          if (round === ROUNDS) {
            const count = sum(series, 'ecs_sd_refresh_duration_seconds_count');
            const seconds = sum(series, 'ecs_sd_refresh_duration_seconds_sum');
            figures.push(
              `${run.format}: ${(bytes / 1024).toFixed(0)} KiB in 4 files, ${all.reduce((n, g) => n + g.targets.length, 0)} targets, ` +
                `${((1000 * seconds) / count).toFixed(0)} ms per refresh over ${count} refreshes, ` +
                `peak VmRSS ${peak.get(run.format)!.rss.toFixed(0)} MiB, VmHWM ${memory.hwm.toFixed(0)} MiB`,
            );
          }
        }
      }

      // The real Prometheus parser on every file of every refresh: one job per bucket, at its interval.
      const jobs: PromtoolJob[] = BUCKETS.map((bucket) => ({
        name: `ecs-${bucket}`,
        scrapeInterval: bucket,
        files: snapshots.filter((s) => s.bucket === bucket).map((s) => s.path),
      }));
      // promtool prints what it read when its timeout ends: reading a dozen files of 2 MB takes it about 3 s.
      const read = await promtoolJobs(jobs, PROMTOOL_TIMEOUT_SECONDS);
      for (const bucket of BUCKETS) {
        const result = read.get(`ecs-${bucket}`)!;
        assert.deepEqual(result.errors, [], `promtool dropped no target of the ${bucket} files`);
        assert.doesNotMatch(result.log, /level=error/, `promtool read every ${bucket} file without an error`);
        const byFile = new Map<string, string[]>();
        for (const target of result.targets)
          byFile.set(target.file, [
            ...(byFile.get(target.file) ?? []),
            JSON.stringify([target.address, target.labels]),
          ]);
        for (const snapshot of snapshots.filter((s) => s.bucket === bucket)) {
          assert.equal(
            byFile.get(snapshot.path)?.length ?? 0,
            snapshot.targets,
            `promtool read every target of ${snapshot.path}\n${result.log.slice(-2000)}`,
          );
        }
        // YAML reaches Prometheus exactly as JSON: the same targets with the same labels, refresh by refresh.
        for (let round = 0; round <= ROUNDS; round++) {
          const of = (format: Format) =>
            (
              byFile.get(
                snapshots.find((s) => s.round === round && s.format === format && s.bucket === bucket)!.path,
              ) ?? []
            ).sort();
          assert.deepEqual(of('yaml'), of('json'), `round ${round}, ${bucket}: promtool reads YAML as JSON`);
        }
      }
      for (const line of figures) t.diagnostic(line);
    } finally {
      await Promise.all(runs.map((run) => run.proc.stop()));
    }
  });
});
