/**
 * Metrics endpoints at the simulated tasks' addresses, so the demo's Prometheus scrapes real HTTP:
 * a small text exporter per application port, a cAdvisor look-alike per host that reports the ECS
 * containers placed on it, and the real node-exporter binary per host where it is installed
 * (a look-alike otherwise).
 */
import { createServer, type Server } from 'node:http';
import { type ManagedProcess, startProcess, waitUntil } from '@ecs-sd/testkit';
import type { TruthTask } from 'ecs-sim';

/** What one endpoint serves. */
export type ExporterKind = 'app' | 'cadvisor' | 'node';

/** One listening endpoint. */
export interface Endpoint {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly kind: ExporterKind;
  /** Task definition family of the task whose container port this is. */
  readonly family: string;
  readonly taskArn: string;
  /** 'node-exporter' when the real binary serves it. */
  readonly impl: 'builtin' | 'node-exporter';
  close(): Promise<void>;
}

/** Exposition of an app: a request counter that grows, so rate() panels show something. */
function appMetrics(task: TruthTask, container: string, started: number): string {
  const seconds = (Date.now() - started) / 1000;
  const requests = Math.floor(seconds * 7);
  return [
    '# HELP http_requests_total Requests served.',
    '# TYPE http_requests_total counter',
    `http_requests_total{code="200",method="GET"} ${requests}`,
    `http_requests_total{code="500",method="GET"} ${Math.floor(requests / 50)}`,
    '# HELP demo_build_info Build of the demo application.',
    '# TYPE demo_build_info gauge',
    `demo_build_info{family="${task.family}",container="${container}",revision="${task.revision}"} 1`,
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${Math.floor(started / 1000)}`,
    '',
  ].join('\n');
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',')}}`;
}

/** Exposition of cAdvisor for the ECS containers on one host, with the docker labels the ECS agent sets. */
export function cadvisorMetrics(tasks: readonly TruthTask[], started: number): string {
  const now = Date.now();
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of rows) lines.push(`${name}${labels(l)} ${v}`);
  };
  const rows: { l: Record<string, string>; seed: number }[] = [];
  for (const t of tasks) {
    const taskId = t.taskArn.slice(t.taskArn.lastIndexOf('/') + 1);
    t.containers.forEach((c, i) => {
      rows.push({
        l: {
          id: `/ecs/${taskId}/${taskId.slice(0, 12)}${i}`,
          name: `ecs-${t.family}-${t.revision}-${c.name}-${taskId.slice(0, 8)}`,
          image: `example/${t.family}`,
          container_label_com_amazonaws_ecs_cluster: t.cluster,
          container_label_com_amazonaws_ecs_container_name: c.name,
          container_label_com_amazonaws_ecs_task_arn: t.taskArn,
          container_label_com_amazonaws_ecs_task_definition_family: t.family,
          container_label_com_amazonaws_ecs_task_definition_version: String(t.revision),
        },
        seed: (taskId.charCodeAt(0) % 7) + i + 1,
      });
    });
  }
  const up = (now - started) / 1000;
  metric(
    'container_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed in seconds.',
    rows.map((r) => [{ ...r.l, cpu: 'total' }, +(up * 0.05 * r.seed).toFixed(3)]),
  );
  metric(
    'container_cpu_cfs_periods_total',
    'counter',
    'Number of elapsed enforcement period intervals.',
    rows.map((r) => [r.l, Math.floor(up * 10)]),
  );
  metric(
    'container_cpu_cfs_throttled_periods_total',
    'counter',
    'Number of throttled period intervals.',
    rows.map((r) => [r.l, Math.floor(up * 0.1 * r.seed)]),
  );
  metric(
    'container_memory_working_set_bytes',
    'gauge',
    'Current working set in bytes.',
    rows.map((r) => [r.l, 48_000_000 * r.seed]),
  );
  metric(
    'container_spec_memory_limit_bytes',
    'gauge',
    'Memory limit for the container.',
    rows.map((r) => [r.l, 536_870_912]),
  );
  metric(
    'container_oom_events_total',
    'counter',
    'Count of out of memory events observed for the container',
    rows.map((r) => [r.l, 0]),
  );
  metric(
    'container_start_time_seconds',
    'gauge',
    'Start time of the container since unix epoch in seconds.',
    rows.map((r) => [r.l, Math.floor(started / 1000)]),
  );
  metric(
    'container_network_receive_bytes_total',
    'counter',
    'Cumulative count of bytes received',
    rows.map((r) => [{ ...r.l, interface: 'eth0' }, Math.floor(up * 2048 * r.seed)]),
  );
  metric(
    'container_network_transmit_bytes_total',
    'counter',
    'Cumulative count of bytes transmitted',
    rows.map((r) => [{ ...r.l, interface: 'eth0' }, Math.floor(up * 1024 * r.seed)]),
  );
  metric(
    'container_fs_usage_bytes',
    'gauge',
    'Number of bytes that are consumed by the container on this filesystem.',
    rows.map((r) => [{ ...r.l, device: '/dev/nvme0n1p1' }, 12_000_000 * r.seed]),
  );
  metric(
    'container_last_seen',
    'gauge',
    'Last time a container was seen by the exporter',
    rows.map((r) => [r.l, Math.floor(now / 1000)]),
  );
  lines.push('');
  return lines.join('\n');
}

/** A node-exporter look-alike for machines without Debian's prometheus-node-exporter. */
export function nodeMetrics(host: string, started: number): string {
  const up = (Date.now() - started) / 1000;
  const lines: string[] = [];
  const add = (name: string, type: string, rows: [Record<string, string>, number][]) => {
    lines.push(`# TYPE ${name} ${type}`);
    for (const [l, v] of rows) lines.push(`${name}${Object.keys(l).length ? labels(l) : ''} ${v}`);
  };
  const modes = { idle: 0.8, user: 0.12, system: 0.05, iowait: 0.02, steal: 0.01 };
  add(
    'node_cpu_seconds_total',
    'counter',
    ['0', '1'].flatMap((cpu) =>
      Object.entries(modes).map(([mode, share]): [Record<string, string>, number] => [
        { cpu, mode },
        +(up * share).toFixed(2),
      ]),
    ),
  );
  add('node_memory_MemTotal_bytes', 'gauge', [[{}, 8_000_000_000]]);
  add('node_memory_MemAvailable_bytes', 'gauge', [[{}, 5_000_000_000]]);
  const fs = { device: '/dev/nvme0n1p1', fstype: 'ext4', mountpoint: '/' };
  add('node_filesystem_size_bytes', 'gauge', [[fs, 100_000_000_000]]);
  add('node_filesystem_avail_bytes', 'gauge', [[fs, 60_000_000_000]]);
  add('node_filesystem_free_bytes', 'gauge', [[fs, 62_000_000_000]]);
  add('node_filesystem_readonly', 'gauge', [[fs, 0]]);
  add('node_load1', 'gauge', [[{}, 0.4]]);
  add('node_load5', 'gauge', [[{}, 0.3]]);
  add('node_load15', 'gauge', [[{}, 0.2]]);
  add('node_boot_time_seconds', 'gauge', [[{}, Math.floor(started / 1000) - 3600]]);
  add('node_time_seconds', 'gauge', [[{}, Date.now() / 1000]]);
  add('node_timex_offset_seconds', 'gauge', [[{}, 0.0001]]);
  add('node_timex_maxerror_seconds', 'gauge', [[{}, 0.01]]);
  add('node_timex_sync_status', 'gauge', [[{}, 1]]);
  add('node_uname_info', 'gauge', [
    [
      {
        nodename: host,
        sysname: 'Linux',
        release: '6.1.0',
        machine: 'x86_64',
        version: '#1',
        domainname: '(none)',
      },
      1,
    ],
  ]);
  const dev = { device: 'eth0' };
  add('node_network_receive_bytes_total', 'counter', [[dev, Math.floor(up * 50_000)]]);
  add('node_network_transmit_bytes_total', 'counter', [[dev, Math.floor(up * 40_000)]]);
  add('node_network_receive_errs_total', 'counter', [[dev, 0]]);
  add('node_network_transmit_errs_total', 'counter', [[dev, 0]]);
  add('node_network_receive_drop_total', 'counter', [[dev, 0]]);
  add('node_network_transmit_drop_total', 'counter', [[dev, 0]]);
  const disk = { device: 'nvme0n1' };
  add('node_disk_io_time_seconds_total', 'counter', [[disk, +(up * 0.02).toFixed(2)]]);
  add('node_disk_read_bytes_total', 'counter', [[disk, Math.floor(up * 10_000)]]);
  add('node_disk_written_bytes_total', 'counter', [[disk, Math.floor(up * 30_000)]]);
  add('node_vmstat_oom_kill', 'counter', [[{}, 0]]);
  lines.push('');
  return lines.join('\n');
}

/** Serves `render()` on every path of host:port; resolves once listening. */
export async function serveText(host: string, port: number, render: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(render());
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** How long a node-exporter has to end after SIGTERM before it gets SIGKILL. */
const NODE_EXPORTER_GRACE_MS = 2000;

/**
 * Starts the real node-exporter on host:port and resolves once it answers; rejects (and stops it) if it
 * exits first or does not answer within 10 s. `onSpawn` sees the child at once, so a shutdown can end
 * one that is still starting.
 */
export async function startNodeExporter(
  bin: string,
  host: string,
  port: number,
  onSpawn: (proc: ManagedProcess) => void = () => {},
): Promise<ManagedProcess> {
  const proc = startProcess(
    'node-exporter',
    bin,
    [
      `--web.listen-address=${host}:${port}`,
      // Collectors that need privileges or hardware the demo host may not have stay off.
      '--no-collector.hwmon',
      '--no-collector.thermal_zone',
      '--no-collector.rapl',
      '--collector.textfile.directory=',
    ],
    { keepChars: 2000, killAfterMs: NODE_EXPORTER_GRACE_MS },
  );
  onSpawn(proc);
  try {
    await waitUntil(
      `node-exporter on ${host}:${port} to answer`,
      async () => {
        const exited = proc.exited();
        if (exited !== undefined) throw new Error(`${exited}: ${proc.output().trim()}`);
        const res = await fetch(`http://${host}:${port}/metrics`, {
          signal: AbortSignal.timeout(1000),
        }).catch(() => undefined);
        await res?.arrayBuffer();
        return res?.ok;
      },
      { timeoutMs: 10_000, everyMs: 100 },
    );
    return proc;
  } catch (err) {
    await proc.stop();
    throw new Error(`node-exporter on ${host}:${port} did not start: ${(err as Error).message}`);
  }
}

/** Where the exporter of one container port listens, if the task is scrapeable at all. */
export interface Listen {
  key: string;
  host: string;
  port: number;
  kind: ExporterKind;
  task: TruthTask;
  container: string;
}

/** The endpoints the ground truth calls for: one per RUNNING container port with an address. */
export function wantedEndpoints(tasks: readonly TruthTask[]): Listen[] {
  const out = new Map<string, Listen>();
  for (const t of tasks) {
    if (t.lastStatus !== 'RUNNING') continue;
    const kind: ExporterKind =
      t.family === 'node-exporter' ? 'node' : t.family === 'cadvisor' ? 'cadvisor' : 'app';
    for (const c of t.containers) {
      if (!c.address) continue;
      for (const p of c.ports) {
        const port = p.hostPort ?? p.containerPort;
        const key = `${c.address}:${port}`;
        if (!out.has(key)) out.set(key, { key, host: c.address, port, kind, task: t, container: c.name });
      }
    }
  }
  return [...out.values()];
}

/**
 * Keeps one endpoint listening per wanted container port, and none for tasks that went away. Every
 * node-exporter child is tracked from the moment it is spawned, so close() and kill() end all of them,
 * including one still starting or one that already died of a Ctrl-C sent to the whole process group.
 */
export class ExporterFleet {
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #down = new Set<string>();
  readonly #children = new Set<ManagedProcess>();
  readonly #nodeExporterBin: string | undefined;
  readonly #started = Date.now();
  #tasks: readonly TruthTask[] = [];
  #closed = false;

  constructor(options: { nodeExporterBin?: string | undefined }) {
    this.#nodeExporterBin = options.nodeExporterBin;
  }

  /** Current endpoints, by host:port. */
  get endpoints(): ReadonlyMap<string, Endpoint> {
    return this.#endpoints;
  }

  /** The node-exporter children that have not exited yet. */
  get children(): readonly ManagedProcess[] {
    return [...this.#children].filter((p) => p.exited() === undefined);
  }

  /** Takes an endpoint down on purpose and keeps it down (an exporter that crashed). */
  async takeDown(key: string): Promise<void> {
    this.#down.add(key);
    const e = this.#endpoints.get(key);
    this.#endpoints.delete(key);
    await e?.close();
  }

  /** Brings the endpoints in line with the simulator's ground truth; does nothing once closed. */
  async reconcile(tasks: readonly TruthTask[]): Promise<{ started: string[]; stopped: string[] }> {
    this.#tasks = tasks;
    const wanted = new Map(wantedEndpoints(tasks).map((l) => [l.key, l]));
    const started: string[] = [];
    const stopped: string[] = [];
    for (const [key, e] of this.#endpoints) {
      if (!wanted.has(key)) {
        this.#endpoints.delete(key);
        await e.close();
        stopped.push(key);
      }
    }
    for (const [key, l] of wanted) {
      if (this.#closed) break;
      if (this.#endpoints.has(key) || this.#down.has(key)) continue;
      let endpoint: Endpoint;
      try {
        endpoint = await this.#start(l);
      } catch (err) {
        // close() ended a node-exporter that was still starting: not a failure worth reporting.
        if (this.#closed) break;
        throw err;
      }
      // close() ran while this one started: it is not in the map close() emptied, so end it here.
      if (this.#closed) {
        await endpoint.close();
        break;
      }
      this.#endpoints.set(key, endpoint);
      started.push(key);
    }
    return { started, stopped };
  }

  async #start(l: Listen): Promise<Endpoint> {
    const base = {
      key: l.key,
      host: l.host,
      port: l.port,
      kind: l.kind,
      family: l.task.family,
      taskArn: l.task.taskArn,
    };
    if (l.kind === 'node' && this.#nodeExporterBin) {
      const proc = await startNodeExporter(this.#nodeExporterBin, l.host, l.port, (p) =>
        this.#children.add(p),
      );
      return {
        ...base,
        impl: 'node-exporter',
        close: async () => {
          await proc.stop();
          this.#children.delete(proc);
        },
      };
    }
    const render =
      l.kind === 'node'
        ? () => nodeMetrics(l.host, this.#started)
        : l.kind === 'cadvisor'
          ? () => cadvisorMetrics(this.#tasksOnHost(l.task.ec2InstanceId), this.#started)
          : () => appMetrics(l.task, l.container, this.#started);
    const server = await serveText(l.host, l.port, render);
    return { ...base, impl: 'builtin', close: () => closeServer(server) };
  }

  #tasksOnHost(ec2InstanceId: string | undefined): TruthTask[] {
    return this.#tasks.filter((t) => t.lastStatus === 'RUNNING' && t.ec2InstanceId === ec2InstanceId);
  }

  /** Stops every endpoint and every node-exporter child, each with SIGTERM and SIGKILL after a grace period. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#endpoints.values()];
    this.#endpoints.clear();
    await Promise.all([...all.map((e) => e.close()), ...[...this.#children].map((p) => p.stop())]);
    this.#children.clear();
  }

  /** Sends SIGKILL to every node-exporter child still running, at once. */
  kill(): void {
    this.#closed = true;
    for (const p of this.children) p.child.kill('SIGKILL');
  }
}
