/**
 * The one-command demo: ecs-sim serving a small fleet on 127.0.0.0/8, exporters listening at the
 * tasks' addresses, ecs-sd discovering them, and — when the binaries are installed — Prometheus
 * with the monitoring/ configuration and rules, and Alertmanager.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAlertmanagerConfig } from '@ecs-sd/monitoring/alertmanager';
import { ECS_SD_INTERVALS, renderPrometheusConfig } from '@ecs-sd/monitoring/render';
import { freePort, getJson, type ManagedProcess, startProcess, waitUntil, which } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { parse, stringify } from 'yaml';
import { ExporterFleet } from './exporters.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../..');

/** How much of each child's output the demo keeps for error messages: it may run for days. */
const KEEP_OUTPUT_CHARS = 20_000;

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

/** A notification Alertmanager sent to the demo's webhook sink. */
export interface AlertNotification {
  status: string;
  alerts: { labels: Record<string, string> }[];
}

/** A running demo. */
export interface Demo {
  readonly sim: Sim;
  readonly exporters: ExporterFleet;
  readonly workDir: string;
  readonly ecsSdUrl: string;
  readonly fileSdDir: string;
  readonly prometheusUrl: string | undefined;
  readonly alertmanagerUrl: string | undefined;
  /** Why Prometheus is not running, when it is not. */
  readonly prometheusMissing: string | undefined;
  /** Notifications received from Alertmanager, oldest first. */
  readonly notifications: readonly AlertNotification[];
  /** Replaces one task of a service now; returns the stopped task's ARN. */
  churnOnce(service?: string): string | undefined;
  /** Brings exporters in line with the fleet now. */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

/** Caps every `for:` duration in a rules file to `cap` (Prometheus duration) and returns the YAML. */
export function capAlertFor(rulesYaml: string, cap: string): string {
  const doc = parse(rulesYaml) as { groups?: { rules?: { for?: string }[] }[] };
  const capSeconds = durationSeconds(cap);
  for (const g of doc.groups ?? []) {
    for (const r of g.rules ?? []) {
      if (r.for && durationSeconds(r.for) > capSeconds) r.for = cap;
    }
  }
  return stringify(doc, { lineWidth: 0 });
}

/** Seconds of a Prometheus duration such as `1h30m` or `20s`. */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let matched = '';
  for (const m of d.matchAll(re)) {
    total += Number(m[1]) * (units[m[2]!] ?? 0);
    matched += m[0];
  }
  if (matched !== d) throw new Error(`duration "${d}" is not a Prometheus duration like 30s or 1h30m`);
  return total;
}

/** Starts everything; on any failure stops what was started and rethrows. */
export async function runDemo(options: DemoOptions = {}): Promise<Demo> {
  const log = options.log ?? (() => {});
  const cleanups: (() => Promise<void>)[] = [];
  const received: AlertNotification[] = [];
  const closeAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'ecs-sd-demo-'));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));

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
    cleanups.push(() => sim.close());
    log(
      `ecs-sim     ${sim.endpoint}  (ECS, EC2, SSM, STS and SQS APIs; admin at ${sim.endpoint}/_sim/state)`,
    );

    // 2. Exporters at the tasks' addresses.
    const nodeExporterBin =
      options.realNodeExporter === false ? undefined : which('prometheus-node-exporter');
    const exporters = new ExporterFleet({ nodeExporterBin });
    cleanups.push(() => exporters.close());
    let reconciling: Promise<unknown> = Promise.resolve();
    const reconcile = () => {
      reconciling = reconciling
        .then(() => exporters.reconcile(sim.groundTruth().tasks))
        .catch((err) => log(`exporters: ${err}`));
      return reconciling.then(() => {});
    };
    await reconcile();
    const reconcileTimer = setInterval(reconcile, 500);
    cleanups.push(async () => clearInterval(reconcileTimer));
    log(
      `exporters   ${exporters.endpoints.size} endpoints on 127.0.0.0/8` +
        (nodeExporterBin ? ' (node-exporter tasks served by the real prometheus-node-exporter)' : ''),
    );

    // 3. ecs-sd.
    const fileSdDir = join(workDir, 'file_sd');
    await mkdir(fileSdDir);
    const ecsSdPort = await freePort();
    const ecsSdConfig = join(workDir, 'ecs-sd.yaml');
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
    const ecsSd = startProcess(
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
        keepChars: KEEP_OUTPUT_CHARS,
      },
    );
    cleanups.push(() => ecsSd.stop());
    const ecsSdUrl = `http://127.0.0.1:${ecsSdPort}`;
    await waitUntil(
      'ecs-sd to be ready',
      async () => {
        if (ecsSd.child.exitCode !== null) throw new Error(`ecs-sd exited: ${ecsSd.output()}`);
        return (await fetch(`${ecsSdUrl}/-/ready`)).ok;
      },
      { timeoutMs: 30_000, everyMs: 200, retryErrors: true },
    );
    log(
      `ecs-sd      ${ecsSdUrl}  (http_sd ${ecsSdUrl}/http-sd, why ${ecsSdUrl}/api/v1/tasks, file_sd in ${fileSdDir})`,
    );

    // 4. Prometheus and Alertmanager, when installed.
    let prometheusUrl: string | undefined;
    let alertmanagerUrl: string | undefined;
    let prometheusMissing: string | undefined;
    const promBin = options.prometheus === false ? undefined : (options.prometheusBin ?? which('prometheus'));
    if (options.prometheus === false) prometheusMissing = 'turned off';
    else if (!promBin)
      prometheusMissing = 'the prometheus binary is not installed (Debian: apt-get install prometheus)';
    if (promBin) {
      const amBin = options.alertmanagerBin ?? which('prometheus-alertmanager') ?? which('alertmanager');
      let am: ManagedProcess | undefined;
      if (amBin) {
        // A webhook sink stands in for the receivers, so notifications can be seen in the demo's log.
        const sink = createServer((req, res) => {
          let body = '';
          req.on('data', (d: Buffer) => {
            body += d.toString();
          });
          req.on('end', () => {
            res.writeHead(200).end();
            try {
              const n = JSON.parse(body) as { status: string; alerts: { labels: Record<string, string> }[] };
              received.push(n);
              log(
                `alert       ${n.status}: ${n.alerts.map((a) => `${a.labels.alertname}{job="${a.labels.job ?? ''}"}`).join(', ')}`,
              );
            } catch {
              // not a notification
            }
          });
        });
        await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
        cleanups.push(() => new Promise<void>((resolve) => sink.close(() => resolve())));
        const sinkAddr = sink.address() as { port: number };
        const amConfig = join(workDir, 'alertmanager.yml');
        await writeFile(
          amConfig,
          renderAlertmanagerConfig(
            await readFile(join(repo, 'monitoring/alertmanager/alertmanager.yml'), 'utf8'),
            {
              webhookBaseUrl: `http://127.0.0.1:${sinkAddr.port}`,
            },
          ),
        );
        const amPort = await freePort();
        am = startProcess(
          'alertmanager',
          amBin,
          [
            `--config.file=${amConfig}`,
            `--storage.path=${join(workDir, 'alertmanager')}`,
            `--web.listen-address=127.0.0.1:${amPort}`,
            // No gossip port: a single Alertmanager needs no cluster.
            '--cluster.listen-address=',
          ],
          { keepChars: KEEP_OUTPUT_CHARS },
        );
        cleanups.push(() => am!.stop());
        alertmanagerUrl = `http://127.0.0.1:${amPort}`;
        await waitUntil(
          'alertmanager to be ready',
          async () => {
            if (am!.child.exitCode !== null) throw new Error(`alertmanager exited: ${am!.output()}`);
            return (await fetch(`${alertmanagerUrl}/-/ready`)).ok;
          },
          { everyMs: 200, retryErrors: true },
        );
      }
      const promPort = await freePort();
      const rulesDir = join(workDir, 'rules');
      await mkdir(rulesDir);
      const cap = options.alertForCap ?? '20s';
      for (const f of await readdir(join(repo, 'monitoring/rules'))) {
        if (!f.endsWith('.yml')) continue;
        const text = await readFile(join(repo, 'monitoring/rules', f), 'utf8');
        await writeFile(join(rulesDir, f), capAlertFor(text, cap));
      }
      const interval = options.scrapeInterval ?? '5s';
      const promConfig = join(workDir, 'prometheus.yml');
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
      const prom = startProcess(
        'prometheus',
        promBin,
        [
          `--config.file=${promConfig}`,
          `--storage.tsdb.path=${join(workDir, 'prometheus')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--web.enable-lifecycle',
        ],
        { keepChars: KEEP_OUTPUT_CHARS },
      );
      cleanups.push(() => prom.stop());
      prometheusUrl = `http://127.0.0.1:${promPort}`;
      await waitUntil(
        'prometheus to be ready',
        async () => {
          if (prom.child.exitCode !== null) throw new Error(`prometheus exited: ${prom.output()}`);
          return (await fetch(`${prometheusUrl}/-/ready`)).ok;
        },
        { everyMs: 200, retryErrors: true },
      );
      log(`prometheus  ${prometheusUrl}  (targets ${prometheusUrl}/targets, alerts ${prometheusUrl}/alerts)`);
      if (alertmanagerUrl) log(`alertmanager ${alertmanagerUrl}`);
      else
        log(
          'alertmanager not installed (Debian: apt-get install prometheus-alertmanager); alerts stay in Prometheus',
        );
    } else {
      log(`prometheus  not started: ${prometheusMissing}`);
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
      cleanups.push(async () => clearInterval(churnTimer));
    }

    return {
      sim,
      exporters,
      workDir,
      ecsSdUrl,
      fileSdDir,
      prometheusUrl,
      alertmanagerUrl,
      prometheusMissing,
      notifications: received,
      churnOnce,
      reconcile,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** A one-screen summary: discovered targets, skipped tasks and why, and Prometheus's view. */
export async function summarize(demo: Demo): Promise<string[]> {
  const lines: string[] = [];
  const targets = await getJson<{ targets: string[]; labels: Record<string, string> }[]>(
    `${demo.ecsSdUrl}/http-sd`,
  );
  const count = targets.reduce((n, g) => n + g.targets.length, 0);
  lines.push(`discovered  ${count} targets`);
  // The why-API answers a page at a time: follow nextAfter until the last page.
  const list: {
    taskId: string;
    skip?: { message: string };
    containers: { containerName: string; skips: { message: string }[] }[];
  }[] = [];
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ status: 'skipped', ...(after !== null && { after }) });
    const page = await getJson<{ nextAfter: string | null; tasks: typeof list }>(
      `${demo.ecsSdUrl}/api/v1/tasks?${query}`,
    );
    list.push(...page.tasks);
    after = page.nextAfter;
  } while (after !== null);
  for (const d of list) {
    const why =
      d.skip?.message ??
      d.containers.flatMap((c) => c.skips.map((s) => `${c.containerName}: ${s.message}`)).join('; ');
    lines.push(`skipped     task ${d.taskId}: ${why}`);
  }
  if (demo.prometheusUrl) {
    const res = await getJson<{ data: { activeTargets: { health: string }[] } }>(
      `${demo.prometheusUrl}/api/v1/targets?state=active`,
    );
    const up = res.data.activeTargets.filter((t) => t.health === 'up').length;
    lines.push(`prometheus  ${up} of ${res.data.activeTargets.length} targets up`);
  }
  return lines;
}
