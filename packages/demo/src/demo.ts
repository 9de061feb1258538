/**
 * The one-command demo: ecs-sim serving a small fleet on 127.0.0.0/8, exporters listening at the
 * tasks' addresses, ecs-sd discovering them, and — when the binaries are installed — Prometheus
 * with the monitoring/ configuration and rules, and Alertmanager.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ECS_SD_INTERVALS, renderPrometheusConfig } from '@ecs-sd/monitoring/render';
import {
  freePort,
  getJson,
  type ManagedProcess,
  type ProcessOptions,
  startProcess,
  waitUntil,
  which,
} from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { parse, stringify } from 'yaml';
import { type AlertNotification, demoAlertmanagerConfig, startAlertSink } from './alerts.ts';
import { ExporterFleet } from './exporters.ts';
import { demoRules } from './rules.ts';

export type { AlertNotification } from './alerts.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../..');

/** How much of each child's output the demo keeps for error messages: it may run for days. */
const KEEP_OUTPUT_CHARS = 20_000;

/** How long ecs-sd, Prometheus and Alertmanager have to end after SIGTERM before they get SIGKILL. */
export const CHILD_GRACE_MS = 3000;

/** The demo fleet shipped with the package. */
export const DEMO_FLEET_FILE = join(here, '../fleet.yaml');

/** Options of runDemo; every key is optional. */
export interface DemoOptions {
  fleetFile?: string;
  /** Run Prometheus (and Alertmanager) when their binaries are found. @default true */
  prometheus?: boolean;
  prometheusBin?: string | undefined;
  alertmanagerBin?: string | undefined;
  /** Serve node-exporter tasks with the real binary when found. @default true */
  realNodeExporter?: boolean;
  /** Replace one service task every so often so targets come and go; 0 turns churn off. @default 60000 */
  churnIntervalMs?: number;
  /** ecs-sd refresh interval. @default '5s' */
  refreshInterval?: string;
  /** Scrape and rule evaluation interval of the demo's Prometheus. @default '5s' */
  scrapeInterval?: string;
  /** Alert rules' `for:` durations are capped to this, so alerts fire while you watch. @default '20s' */
  alertForCap?: string;
  /** Progress lines (the CLI prints them). */
  log?: (line: string) => void;
}

/** A running demo. */
export interface Demo {
  readonly sim: Sim;
  readonly exporters: ExporterFleet;
  readonly workDir: string;
  readonly ecsSdUrl: string;
  /** ecs-sd's status page: what it sees, scrapes and skips, and why. */
  readonly statusUrl: string;
  readonly fileSdDir: string;
  readonly prometheusUrl: string | undefined;
  readonly alertmanagerUrl: string | undefined;
  /** Why Prometheus is not running, when it is not. */
  readonly prometheusMissing: string | undefined;
  /** Notifications received from Alertmanager, oldest first. */
  readonly notifications: readonly AlertNotification[];
  /** Alerts of monitoring/rules the demo left out, because every demo host is this machine. */
  readonly leftOutAlerts: readonly string[];
  /** Replaces one task of a service now; returns the stopped task's ARN. */
  churnOnce(service?: string): string | undefined;
  /** Brings exporters in line with the fleet now. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

/** A demo being started or running: `close()` and `kill()` work at any point, also during start-up. */
export interface DemoRun {
  /** Resolves once everything runs; rejects (having stopped what had started) on failure or close(). */
  readonly ready: Promise<Demo>;
  /**
   * Stops everything: ends start-up, sends SIGTERM to every child at once and SIGKILL to those still
   * running after CHILD_GRACE_MS, closes the servers and removes the work directory.
   */
  close(): Promise<void>;
  /** Sends SIGKILL to every child still running and removes the work directory, synchronously. */
  kill(): void;
}

/** Starts everything; on any failure stops what was started and rethrows. */
export function runDemo(options: DemoOptions = {}): Promise<Demo> {
  return startDemo(options).ready;
}

/** Starts the demo and returns at once; see {@link DemoRun}. */
export function startDemo(options: DemoOptions = {}): DemoRun {
  const log = options.log ?? (() => {});
  const startup = new AbortController();
  const signal = startup.signal;
  const cleanups: (() => Promise<void>)[] = [];
  const processes = new Set<ManagedProcess>();
  let exporters: ExporterFleet | undefined;
  let workDir: string | undefined;
  let closing: Promise<void> | undefined;

  const alive = () => [...processes, ...(exporters?.children ?? [])].filter((p) => p.exited() === undefined);
  const closeAll = () =>
    (closing ??= (async () => {
      startup.abort(new Error('the demo is stopping'));
      // Every child at once, so stopping takes one grace period rather than one per child; closing
      // the exporter fleet first also keeps a reconcile in flight from starting new node-exporters.
      await Promise.allSettled([...[...processes].map((p) => p.stop()), exporters?.close()]);
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
    })());
  /** Registers a cleanup; once stopping has begun, runs it now and ends start-up. */
  const own = async (cleanup: () => Promise<void>) => {
    if (closing === undefined) {
      cleanups.push(cleanup);
      return;
    }
    await cleanup().catch(() => {});
    signal.throwIfAborted();
  };
  const spawnChild = async (name: string, bin: string, args: string[], extra: ProcessOptions = {}) => {
    const proc = startProcess(name, bin, args, {
      keepChars: KEEP_OUTPUT_CHARS,
      killAfterMs: CHILD_GRACE_MS,
      ...extra,
    });
    processes.add(proc);
    await own(() => proc.stop());
    return proc;
  };
  const waitReady = (proc: ManagedProcess, url: string, timeoutMs = 30_000) =>
    waitUntil(
      `${proc.name} to be ready`,
      async () => {
        const exited = proc.exited();
        if (exited !== undefined) throw new Error(`${proc.name} ${exited}: ${proc.output()}`);
        return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok;
      },
      { timeoutMs, everyMs: 200, retryErrors: true, signal },
    );

  const start = async (): Promise<Demo> => {
    workDir = await mkdtemp(join(tmpdir(), 'ecs-sd-demo-'));
    const dir = workDir;
    await own(() => rm(dir, { recursive: true, force: true }));

    // 1. The simulated control plane.
    const fleet = parse(await readFile(options.fleetFile ?? DEMO_FLEET_FILE, 'utf8'));
    const sim = await startSim({
      fleet,
      lifecycle: {
        provisioningMs: 300,
        pendingMs: 300,
        activatingMs: 200,
        stoppingMs: 300,
        deprovisioningMs: 200,
      },
    });
    await own(() => sim.close());
    log(
      `ecs-sim     ${sim.endpoint}  (ECS, EC2, SSM, STS and SQS APIs; admin at ${sim.endpoint}/_sim/state)`,
    );

    // 2. Exporters at the tasks' addresses.
    const nodeExporterBin =
      options.realNodeExporter === false ? undefined : which('prometheus-node-exporter');
    const fleetOfExporters = new ExporterFleet({ nodeExporterBin });
    exporters = fleetOfExporters;
    let reconciling: Promise<unknown> = Promise.resolve();
    const reconcile = () => {
      reconciling = reconciling
        .then(() => fleetOfExporters.reconcile(sim.groundTruth().tasks))
        .catch((err) => log(`exporters: ${err}`));
      return reconciling.then(() => {});
    };
    // close() first ends the fleet, so a reconcile in flight stops starting endpoints, then waits for it.
    await own(async () => {
      await fleetOfExporters.close();
      await reconciling;
    });
    await reconcile();
    signal.throwIfAborted();
    const reconcileTimer = setInterval(reconcile, 500);
    await own(async () => clearInterval(reconcileTimer));
    const running = sim.groundTruth().tasks.filter((t) => t.lastStatus === 'RUNNING').length;
    log(
      `exporters   ${fleetOfExporters.endpoints.size} endpoints at the container ports of the ${running} running tasks, on 127.0.0.0/8` +
        (nodeExporterBin ? ' (node-exporter tasks served by the real prometheus-node-exporter)' : ''),
    );

    // 3. ecs-sd.
    const fileSdDir = join(dir, 'file_sd');
    await mkdir(fileSdDir);
    const ecsSdPort = await freePort();
    const ecsSdConfig = join(dir, 'ecs-sd.yaml');
    await writeFile(
      ecsSdConfig,
      stringify({
        refresh_interval: options.refreshInterval ?? '5s',
        sources: [{ name: 'demo', region: sim.region, endpoint: sim.endpoint }],
        output: { directory: fileSdDir, format: 'json' },
        web: { listen_address: `127.0.0.1:${ecsSdPort}` },
        log: { level: 'warn', format: 'logfmt' },
      }),
    );
    const ecsSd = await spawnChild(
      'ecs-sd',
      process.execPath,
      [join(repo, 'packages/ecs-sd/src/cli.ts'), '--config.file', ecsSdConfig],
      {
        env: {
          ...process.env,
          // The simulator accepts any credentials; these keep the SDK's chain from asking anything else.
          AWS_ACCESS_KEY_ID: 'demo',
          AWS_SECRET_ACCESS_KEY: 'demo',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        echo: log,
      },
    );
    const ecsSdUrl = `http://127.0.0.1:${ecsSdPort}`;
    await waitReady(ecsSd, ecsSdUrl);
    log(
      `ecs-sd      ${ecsSdUrl}  (http_sd ${ecsSdUrl}/http-sd, why ${ecsSdUrl}/api/v1/tasks, file_sd in ${fileSdDir})`,
    );
    const statusUrl = `${ecsSdUrl}/`;
    log(`status page ${statusUrl}  (open in a browser: what ecs-sd sees, scrapes and skips, and why)`);

    // 4. Prometheus and Alertmanager, when installed.
    let prometheusUrl: string | undefined;
    let alertmanagerUrl: string | undefined;
    let prometheusMissing: string | undefined;
    let notifications: readonly AlertNotification[] = [];
    let leftOutAlerts: string[] = [];
    const promBin = options.prometheus === false ? undefined : (options.prometheusBin ?? which('prometheus'));
    if (options.prometheus === false) prometheusMissing = 'turned off';
    else if (!promBin)
      prometheusMissing = 'the prometheus binary is not installed (Debian: apt-get install prometheus)';
    if (promBin) {
      const amBin = options.alertmanagerBin ?? which('prometheus-alertmanager') ?? which('alertmanager');
      if (amBin) {
        // A webhook sink stands in for every receiver, so notifications can be seen in the demo's log.
        const sink = await startAlertSink(log);
        await own(() => sink.close());
        notifications = sink.notifications;
        const amConfig = join(dir, 'alertmanager.yml');
        await writeFile(
          amConfig,
          demoAlertmanagerConfig(
            await readFile(join(repo, 'monitoring/alertmanager/alertmanager.yml'), 'utf8'),
            { webhookBaseUrl: sink.url },
          ),
        );
        const amPort = await freePort();
        const am = await spawnChild('alertmanager', amBin, [
          `--config.file=${amConfig}`,
          `--storage.path=${join(dir, 'alertmanager')}`,
          `--web.listen-address=127.0.0.1:${amPort}`,
          // No gossip port: a single Alertmanager needs no cluster.
          '--cluster.listen-address=',
        ]);
        alertmanagerUrl = `http://127.0.0.1:${amPort}`;
        await waitReady(am, alertmanagerUrl);
      }
      const promPort = await freePort();
      const rulesDir = join(dir, 'rules');
      await mkdir(rulesDir);
      const cap = options.alertForCap ?? '20s';
      for (const f of (await readdir(join(repo, 'monitoring/rules'))).sort()) {
        if (!f.endsWith('.yml')) continue;
        const rules = demoRules(await readFile(join(repo, 'monitoring/rules', f), 'utf8'), cap);
        leftOutAlerts = [...leftOutAlerts, ...rules.leftOut];
        await writeFile(join(rulesDir, f), rules.yaml);
      }
      const interval = options.scrapeInterval ?? '5s';
      const promConfig = join(dir, 'prometheus.yml');
      await writeFile(
        promConfig,
        renderPrometheusConfig({
          discovery: 'file_sd',
          fileSdDir,
          ecsSdTargets: [`127.0.0.1:${ecsSdPort}`],
          alertmanagers: alertmanagerUrl ? [alertmanagerUrl.replace('http://', '')] : [],
          prometheusTargets: [`127.0.0.1:${promPort}`],
          ruleFiles: [join(rulesDir, '*.yml')],
          externalLabels: { prometheus: 'demo', prometheus_replica: 'demo-0' },
          scrapeInterval: interval,
          evaluationInterval: interval,
          // Minute-long buckets would keep a watcher waiting: every bucket scrapes at the demo's pace.
          intervalOverrides: Object.fromEntries(ECS_SD_INTERVALS.map((i) => [i, interval])),
        }),
      );
      const prom = await spawnChild('prometheus', promBin, [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${join(dir, 'prometheus')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--web.enable-lifecycle',
      ]);
      prometheusUrl = `http://127.0.0.1:${promPort}`;
      await waitReady(prom, prometheusUrl);
      log(`prometheus  ${prometheusUrl}  (targets ${prometheusUrl}/targets, alerts ${prometheusUrl}/alerts)`);
      log(
        `rules       monitoring/rules with for: capped at ${cap}` +
          (leftOutAlerts.length > 0
            ? `; ${leftOutAlerts.length} host alerts left out, as every demo host is this machine: ${leftOutAlerts.join(', ')}`
            : ''),
      );
      if (alertmanagerUrl)
        log(`alertmanager ${alertmanagerUrl}  (every receiver's notifications are printed as alert lines)`);
      else
        log(
          'alertmanager not installed (Debian: apt-get install prometheus-alertmanager); alerts stay in Prometheus',
        );
    } else {
      log(`prometheus  not started: ${prometheusMissing}; the rest of the demo runs without it`);
    }

    // 5. Churn: a service task is replaced every so often; ECS (the simulator) starts a new one.
    let churnTurn = 0;
    const churnOnce = (service?: string): string | undefined => {
      const candidates = sim
        .groundTruth()
        .tasks.filter(
          (t) =>
            t.lastStatus === 'RUNNING' &&
            t.service &&
            (service ? t.service === service : ['api', 'web', 'checkout'].includes(t.service)),
        );
      const victim = candidates[churnTurn++ % Math.max(candidates.length, 1)];
      if (!victim) return undefined;
      sim.stopTask(victim.taskArn, 'Task replaced by the demo (churn)');
      return victim.taskArn;
    };
    const churnMs = options.churnIntervalMs ?? 60_000;
    if (churnMs > 0) {
      const churnTimer = setInterval(() => {
        const arn = churnOnce();
        if (arn)
          log(`churn       stopped ${arn.slice(arn.lastIndexOf('/') + 1)}; its service starts a replacement`);
      }, churnMs);
      await own(async () => clearInterval(churnTimer));
    }

    return {
      sim,
      exporters: fleetOfExporters,
      workDir: dir,
      ecsSdUrl,
      statusUrl,
      fileSdDir,
      prometheusUrl,
      alertmanagerUrl,
      prometheusMissing,
      notifications,
      leftOutAlerts,
      churnOnce,
      reconcile,
      close: () => run.close(),
    };
  };

  const ready = start().catch(async (err: unknown) => {
    await closeAll();
    throw err;
  });
  const run: DemoRun = {
    ready,
    async close() {
      await closeAll();
      // Start-up may still be unwinding: a child it spawned after close() began is stopped there.
      await ready.then(
        () => {},
        () => {},
      );
    },
    kill() {
      exporters?.kill();
      for (const p of alive()) p.child.kill('SIGKILL');
      if (workDir) rmSync(workDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  return run;
}

/** Counts of one moment of the demo, each saying what it counts. */
export interface DemoCounts {
  /** Targets in ecs-sd's http_sd (one per metrics endpoint of a container) and the tasks they come from. */
  ecsSdTargets: number;
  ecsSdTasks: number;
  /** Tasks ecs-sd left out, with why. */
  skipped: { taskId: string; why: string }[];
  /** Exporter endpoints listening, and those that are not ecs-sd targets, with why. */
  endpoints: number;
  notTargets: { address: string; family: string; why: string }[];
  /** Prometheus's active targets: those from ecs-sd's file_sd files and those of its static jobs. */
  prometheus?: {
    fromEcsSd: { total: number; up: number };
    static: { total: number; up: number; jobs: string[] };
  };
}

interface ActiveTarget {
  health: string;
  scrapePool: string;
  discoveredLabels: Record<string, string>;
}

/** Prometheus's active targets, split into those read from ecs-sd's file_sd directory and the rest. */
async function prometheusTargets(demo: Demo): Promise<{ fromEcsSd: ActiveTarget[]; others: ActiveTarget[] }> {
  const res = await getJson<{ data: { activeTargets: ActiveTarget[] } }>(
    `${demo.prometheusUrl}/api/v1/targets?state=active`,
  );
  const fromFile = (t: ActiveTarget) =>
    (t.discoveredLabels['__meta_filepath'] ?? '').startsWith(demo.fileSdDir);
  return {
    fromEcsSd: res.data.activeTargets.filter(fromFile),
    others: res.data.activeTargets.filter((t) => !fromFile(t)),
  };
}

/**
 * Waits until Prometheus scrapes every target ecs-sd serves and has scraped each target once, so a
 * summary taken then shows agreeing counts. Resolves false on timeout (the summary says what it sees).
 */
export async function waitForPrometheusTargets(
  demo: Demo,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<boolean> {
  if (!demo.prometheusUrl) return true;
  return waitUntil(
    'prometheus to scrape every ecs-sd target',
    async () => {
      const groups = await getJson<{ targets: string[] }[]>(`${demo.ecsSdUrl}/http-sd`);
      const want = groups.reduce((n, g) => n + g.targets.length, 0);
      const { fromEcsSd, others } = await prometheusTargets(demo);
      return fromEcsSd.length === want && [...fromEcsSd, ...others].every((t) => t.health !== 'unknown');
    },
    { timeoutMs: options.timeoutMs ?? 60_000, everyMs: 500, retryErrors: true, signal: options.signal },
  ).catch((err: unknown) => {
    if (options.signal?.aborted) throw err;
    return false;
  });
}

interface TaskDecision {
  taskArn: string;
  taskId: string;
  skip?: { message: string };
  containers: { containerName: string; skips: { message: string }[] }[];
}

/** What the demo's summary counts, read from ecs-sd, the exporters and Prometheus. */
export async function countDemo(demo: Demo): Promise<DemoCounts> {
  const groups = await getJson<{ targets: string[]; labels: Record<string, string> }[]>(
    `${demo.ecsSdUrl}/http-sd`,
  );
  const targets = new Set(groups.flatMap((g) => g.targets));
  const tasks = new Set(groups.map((g) => g.labels['__meta_ecs_task_arn']));
  // The why-API answers a page at a time: follow nextAfter until the last page.
  const skippedTasks: TaskDecision[] = [];
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ status: 'skipped', ...(after !== null && { after }) });
    const page: { nextAfter: string | null; tasks: TaskDecision[] } = await getJson(
      `${demo.ecsSdUrl}/api/v1/tasks?${query}`,
    );
    skippedTasks.push(...page.tasks);
    after = page.nextAfter;
  } while (after !== null);
  const skipped = skippedTasks.map((d) => ({
    taskId: d.taskId,
    why:
      d.skip?.message ??
      d.containers.flatMap((c) => c.skips.map((s) => `${c.containerName}: ${s.message}`)).join('; '),
  }));
  const skippedArns = new Set(skippedTasks.map((d) => d.taskArn));
  const notTargets = [...demo.exporters.endpoints.values()]
    .filter((e) => !targets.has(e.key))
    .map((e) => ({
      address: e.key,
      family: e.family,
      why: skippedArns.has(e.taskArn) ? 'its task is skipped' : 'not a metrics port',
    }))
    .sort((a, b) => a.why.localeCompare(b.why) || a.address.localeCompare(b.address));
  const counts: DemoCounts = {
    ecsSdTargets: targets.size,
    ecsSdTasks: tasks.size,
    skipped,
    endpoints: demo.exporters.endpoints.size,
    notTargets,
  };
  if (demo.prometheusUrl) {
    const { fromEcsSd, others } = await prometheusTargets(demo);
    const up = (ts: ActiveTarget[]) => ts.filter((t) => t.health === 'up').length;
    counts.prometheus = {
      fromEcsSd: { total: fromEcsSd.length, up: up(fromEcsSd) },
      static: {
        total: others.length,
        up: up(others),
        jobs: [...new Set(others.map((t) => t.scrapePool))].sort(),
      },
    };
  }
  return counts;
}

/** The summary lines of {@link countDemo}: each number says what it counts, and where two differ, why. */
export function formatCounts(c: DemoCounts): string[] {
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const lines = [
    `ecs-sd      ${plural(c.ecsSdTargets, 'target')} (one per metrics endpoint) from ${plural(c.ecsSdTasks, 'ECS task')}` +
      (c.skipped.length > 0 ? `; ${plural(c.skipped.length, 'task')} skipped:` : ''),
    ...c.skipped.map((s) => `skipped     task ${s.taskId}: ${s.why}`),
  ];
  const notTargets =
    c.notTargets.length === 0
      ? 'every one is an ecs-sd target'
      : `${c.notTargets.length} not ecs-sd targets: ${c.notTargets.map((n) => `${n.address} (${n.family}, ${n.why})`).join(', ')}`;
  lines.push(`exporters   ${plural(c.endpoints, 'endpoint')} listening; ${notTargets}`);
  if (c.prometheus) {
    const { fromEcsSd: e, static: s } = c.prometheus;
    lines.push(
      `prometheus  ${e.up + s.up} of ${e.total + s.total} targets up: ${e.up} of ${e.total} from ecs-sd, ` +
        `${s.up} of ${s.total} of its static jobs (${s.jobs.join(', ')})`,
    );
  }
  return lines;
}

/** A one-screen summary: what ecs-sd found and skipped and why, the exporters, and Prometheus's view. */
export async function summarize(demo: Demo): Promise<string[]> {
  return formatCounts(await countDemo(demo));
}
