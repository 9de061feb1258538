/**
 * The chaos harness: a small generated ecs-sim fleet, the daemon running its refresh loop with a
 * short interval and writing file_sd outputs, and a reader that parses every output file as often
 * as it can while a fault is active. It checks what the issue asks of every fault: the daemon keeps
 * running, no target of a still-running task disappears, every file parses at every moment, and
 * the outputs are correct again within one refresh after the fault ends.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { INTERVALS, intervalFileName } from '../../src/lib/intervals.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { expectedAddresses as expectedAddressesOf } from '../support/expected-addresses.ts';
import { type HangingProxy, startHangingProxy } from '../support/hanging-proxy.ts';

/** Refresh interval of the chaos daemon: short, so a fault sees several refreshes in well under a second. */
export const CHAOS_REFRESH_INTERVAL_MS = 30;

/** Generated fleet of every chaos case: 3 clusters, mixed network modes, 90 tasks. */
export const CHAOS_FLEET = { clusters: 3, tasks: 90, taskDefinitions: 8, hosts: 6, seed: 5 } as const;

/** The `host:port` targets ecs-sim's ground truth implies: opted-in running containers. */
export function expectedAddresses(sim: Sim): string[] {
  return expectedAddressesOf(sim.groundTruth().tasks);
}

/** Parses one file_sd file strictly: a list of `{ targets: string[], labels: {string: string} }`. */
export function parseFileSd(text: string, yaml: boolean): string[] {
  const groups: unknown = yaml ? parseYaml(text) : JSON.parse(text);
  if (!Array.isArray(groups))
    throw new Error(`file_sd: got ${typeof groups}, expected a list of target groups`);
  const targets: string[] = [];
  for (const group of groups as unknown[]) {
    const { targets: list, labels } = (group ?? {}) as { targets?: unknown; labels?: unknown };
    if (!Array.isArray(list) || !list.every((target) => typeof target === 'string'))
      throw new Error(`file_sd: got targets ${JSON.stringify(list)}, expected a list of strings`);
    if (labels !== undefined && (typeof labels !== 'object' || labels === null))
      throw new Error(`file_sd: got labels ${JSON.stringify(labels)}, expected an object`);
    for (const value of Object.values((labels ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string')
        throw new Error(`file_sd: got label value ${JSON.stringify(value)}, expected a string`);
    }
    targets.push(...(list as string[]));
  }
  return targets;
}

/** A running chaos case: the simulator, the daemon, its output files and what the reader saw. */
export interface ChaosRun {
  sim: Sim;
  daemon: Runtime;
  metrics: Metrics;
  /** Clusters of the fleet, by name. */
  clusters: string[];
  /** The proxy between the daemon and ecs-sim that can hold calls open (`proxy: true`). */
  proxy: HangingProxy | undefined;
  /** Every output file with its format. */
  files: { path: string; yaml: boolean }[];
  /** Reads every output file once (throws when one does not parse): the targets of the single file, sorted. */
  readOutputs(): Promise<string[]>;
  /** Refreshes started so far (`ecs_sd_refreshes_total`). */
  refreshes(): Promise<number>;
  /** Waits until `count` more refreshes have completed. */
  waitRefreshes(count: number): Promise<void>;
  /**
   * Starts reading the outputs continuously (those `read` picks, by default all); `stop` returns what went
   * wrong (parse errors, vanished targets).
   */
  watch(
    mustStay: () => ReadonlySet<string>,
    read?: (file: { path: string; yaml: boolean }) => boolean,
  ): { stop(): Promise<{ reads: number; problems: string[] }> };
  close(): Promise<void>;
}

/** Options of a chaos run. */
export interface ChaosOptions {
  /** Extra config YAML merged at the top level (e.g. a rate budget, timeouts). */
  extra?: Record<string, unknown>;
  /** Read ecs-sim through a proxy that can hold calls open (calls that never answer). */
  proxy?: boolean;
  /** Extra keys of the one source (e.g. `cluster_include`). */
  source?: Record<string, unknown>;
}

/** Starts ecs-sim with the chaos fleet and the daemon's loop, and waits for its first complete, correct output. */
export async function startChaos(options: ChaosOptions = {}): Promise<ChaosRun> {
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDECSSDCHAOS';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'ecs-sd-chaos-secret';
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
  const sim = await startSim({
    port: 0,
    throttling: false,
    generate: CHAOS_FLEET,
    lifecycle: { provisioningMs: 0, pendingMs: 0, stoppingMs: 0, deprovisioningMs: 0 },
  });
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-chaos-'));
  const proxy = options.proxy === true ? await startHangingProxy(sim.endpoint) : undefined;
  const loaded = loadConfig({
    fileText: JSON.stringify({
      sources: [
        { name: 'chaos', region: 'us-east-1', endpoint: proxy?.endpoint ?? sim.endpoint, ...options.source },
      ],
      output: { directory: join(dir, 'by-interval'), file: join(dir, 'all.json') },
      ...options.extra,
    }),
  });
  const config: Config = { ...loaded, refreshIntervalMs: CHAOS_REFRESH_INTERVAL_MS };
  const metrics = createMetrics({ defaultMetrics: false });
  let daemon: Runtime;
  try {
    daemon = createRuntime(config, { log: silentLogger(), metrics });
  } catch (error) {
    await proxy?.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const files = [
    { path: join(dir, 'all.json'), yaml: false },
    ...INTERVALS.map((interval) => ({
      path: join(dir, 'by-interval', intervalFileName(interval)),
      yaml: false,
    })),
  ];
  const clusters = [...sim.world.account(sim.accountId).clusters.keys()].sort();

  const readOutputs = async () => {
    let single: string[] = [];
    for (const file of files) {
      const targets = parseFileSd(await readFile(file.path, 'utf8'), file.yaml);
      if (file.path.endsWith('all.json')) single = targets;
    }
    return single.sort();
  };
  const refreshes = async () => {
    const metric = metrics.registry.getSingleMetric('ecs_sd_refreshes_total');
    const values = metric === undefined ? [] : (await metric.get()).values;
    return values.reduce((sum, value) => sum + value.value, 0);
  };
  const waitRefreshes = async (count: number) => {
    // The refresh running now may have started before the caller's change: count from the next one.
    const start = await refreshes();
    await waitUntil(`${count} more refreshes`, async () => (await refreshes()) >= start + count + 1);
  };

  const run: ChaosRun = {
    sim,
    daemon,
    metrics,
    clusters,
    proxy,
    files,
    readOutputs,
    refreshes,
    waitRefreshes,
    watch(mustStay, read = () => true) {
      let stopped = false;
      let reads = 0;
      const problems: string[] = [];
      const loop = (async () => {
        while (!stopped) {
          for (const file of files.filter(read)) {
            let targets: string[];
            try {
              targets = parseFileSd(await readFile(file.path, 'utf8'), file.yaml);
            } catch (error) {
              problems.push(`${file.path} did not parse: ${(error as Error).message}`);
              continue;
            }
            reads++;
            if (file.path.endsWith('all.json')) {
              const present = new Set(targets);
              for (const address of mustStay()) {
                if (!present.has(address)) problems.push(`target ${address} of a running task disappeared`);
              }
            }
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      return {
        async stop() {
          stopped = true;
          await loop;
          return { reads, problems: [...new Set(problems)].slice(0, 10) };
        },
      };
    },
    async close() {
      await daemon.stop();
      await proxy?.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };

  daemon.start();
  try {
    await waitUntil('the first complete output', async () => {
      try {
        return (await readOutputs()).join() === expectedAddresses(sim).join();
      } catch {
        return false;
      }
    });
  } catch (error) {
    await run.close();
    throw error;
  }
  return run;
}
