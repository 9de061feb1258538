/**
 * Heap held per target (issue 17): one runtime reads a 10,000-task ecs-sim fleet once as a first
 * start (publishing clusters as they are read) and writes its file_sd outputs (JSON, per-interval layout) and, with `http`, renders the http_sd list once too;
 * then, after a full GC, the heap it holds is divided by its targets. ecs-sim runs in its own process
 * (no throttling, no latency), so this process's heap is the daemon's alone. Then it times a
 * publish after 5% of the targets changed (the work of a churn refresh's output, I/O included).
 *
 * Run: node --expose-gc packages/ecs-sd/bench/target-heap.bench.ts [tasks] [http] [aws] [minimal|none]
 * (`aws`: ecs-sim with 30 ms per call and AWS throttling, as the issue measured: clusters read seconds apart)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.ts';
import { createRuntime } from '../src/daemon/runtime.ts';
import { silentLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import { type FileSdMemo, writeFileSd } from '../src/output/file-sd.ts';
import { tryRenderTargetGroups } from '../src/output/target-groups.ts';
import { useBenchCredentials } from './support.ts';

const SIM_CLI = fileURLToPath(new URL('../../ecs-sim/src/cli.ts', import.meta.url));

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function startSim(tasks: number, aws: boolean): Promise<{ endpoint: string; stop: () => void }> {
  const generate = `clusters=10,tasks=${tasks},taskDefinitions=500,hosts=200,seed=7`;
  const child = spawn(
    process.execPath,
    [SIM_CLI, '--listen', '127.0.0.1:0', '--generate', generate, ...(aws ? AWS_LIKE : NO_WAIT)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    const match = /(http:\/\/127\.0\.0\.1:[0-9]+)/.exec(line);
    if (match) return { endpoint: match[1]!, stop: () => child.kill() };
  }
  throw new Error('ecs-sim did not print its endpoint');
}

/** `aws`: the setting (30 ms per call, AWS throttling), where clusters are read seconds apart. */
const AWS_LIKE = ['--latency', '30', '--throttle', 'on'];
const NO_WAIT = ['--latency', '0', '--throttle', 'off'];
const aws = process.argv.includes('aws');
/** `minimal` or `none`: output.meta_labels (default all). */
const metaLabels = process.argv.find((arg) => arg === 'minimal' || arg === 'none') ?? 'all';
const MiB = 1024 * 1024;

function renderHttpSd(targets: Parameters<typeof tryRenderTargetGroups>[0]): number {
  const rendered = tryRenderTargetGroups(targets, 'compact');
  if (!rendered.ok) throw new Error(rendered.message);
  return rendered.content.length;
}
const tasks = Number(process.argv.find((arg) => /^[0-9]+$/.test(arg)) ?? 10_000);
const http = process.argv.includes('http');
useBenchCredentials();
const sim = await startSim(tasks, aws);
const outputs = await mkdtemp(join(tmpdir(), 'ecs-sd-heap-'));
try {
  const config = loadConfig({
    fileText: JSON.stringify({
      sources: [{ name: 'bench', region: 'us-east-1', endpoint: sim.endpoint }],
      output: { directory: outputs, ...(metaLabels === 'all' ? {} : { meta_labels: metaLabels }) },
    }),
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const daemon = createRuntime(config, { log: silentLogger(), metrics });
  const before = heapUsed();
  const cpu0 = process.cpuUsage();
  // A first start: each cluster is published as it is read (no output file exists yet).
  const summary = await daemon.refresh({ progressive: true });
  const cpu = process.cpuUsage(cpu0);
  // The response is sent and dropped; what stays is what the rendering keeps per target.
  if (http) renderHttpSd(daemon.state.targets());
  const targets = daemon.state.targets();
  const after = heapUsed();
  const size = (await stat(join(outputs, '1m-tasks.json'))).size;
  const writes = (await metrics.fileWrites.get()).values.find(({ labels }) =>
    String(labels['file']).endsWith('1m-tasks.json'),
  )?.value;
  console.log(
    `${tasks} tasks, ${targets.length} targets (complete: ${summary.complete}); file 1m-tasks.json ${(size / MiB).toFixed(1)} MiB, written ${writes} times by the cold start; meta labels: ${metaLabels}`,
  );
  console.log(
    `cold refresh + publish: CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; heap held ${((after - before) / MiB).toFixed(1)} MiB = ${((after - before) / targets.length / 1024).toFixed(2)} KiB per target${http ? ' (with one http_sd rendering)' : ''}`,
  );
  console.log(
    `peak RSS so far: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (this process: the daemon alone)`,
  );
  await daemon.stop();

  // The output side of a 5% churn: 5% of the targets replaced by new ones (a label changed), then written.
  const memo: FileSdMemo = new Map();
  await writeFileSd(targets, { directory: outputs, format: 'json', memo });
  const churned = targets.map((target, index) =>
    index % 20 === 7
      ? { ...target, labels: { ...target.labels, job: `${target.labels['job']}-new` } }
      : target,
  );
  const rss0 = process.memoryUsage().rss;
  const churnCpu0 = process.cpuUsage();
  const churn = await writeFileSd(churned, { directory: outputs, format: 'json', memo });
  const churnCpu = process.cpuUsage(churnCpu0);
  const again = process.cpuUsage();
  await writeFileSd(churned, { directory: outputs, format: 'json', memo: new Map() });
  const unchangedCpu = process.cpuUsage(again);
  console.log(
    `5% churn publish: CPU ${((churnCpu.user + churnCpu.system) / 1000).toFixed(0)} ms (${churn.written.length} files written), RSS +${((process.memoryUsage().rss - rss0) / MiB).toFixed(0)} MiB; unchanged files checked without a memo: CPU ${((unchangedCpu.user + unchangedCpu.system) / 1000).toFixed(0)} ms`,
  );
} finally {
  sim.stop();
  await rm(outputs, { recursive: true, force: true });
}
