/** Runs a real Prometheus for the end-to-end test: own config, own TSDB in a temp dir, loopback only. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, startPrometheusBinary, waitUntil } from '@ecs-sd/testkit';

/** A running Prometheus: its base URL, everything it logged, and a stop that always kills it. */
export interface PrometheusProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/** One active target as Prometheus's `/api/v1/targets` reports it. */
export interface ActiveTarget {
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
}

/**
 * Starts `binary` with the given YAML config, listening on 127.0.0.1 port 0; the real port is
 * read from its "Listening on" log line. The temp dir (config and TSDB) is removed on stop.
 */
export async function startPrometheus(binary: string, config: string): Promise<PrometheusProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-e2e-prometheus-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const proc = await startPrometheusBinary(binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    '--log.level=info',
  ]).catch(async (err: unknown) => {
    await removeDir();
    throw err;
  });
  const stop = async () => {
    await proc.stop();
    await removeDir();
  };
  const url = `http://${proc.address}`;
  try {
    await waitUntil('prometheus to be ready', async () => {
      const exited = proc.exited();
      if (exited !== undefined) throw new Error(`prometheus ${exited}:\n${proc.output()}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok || undefined;
    });
    return { url, log: proc.output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The active targets of a running Prometheus. */
export async function activeTargets(url: string): Promise<ActiveTarget[]> {
  const body = await getJson<{ data: { activeTargets: ActiveTarget[] } }>(
    `${url}/api/v1/targets?state=active`,
  );
  return body.data.activeTargets;
}
