/** Runs a real Prometheus for the end-to-end test: own config, own TSDB in a temp dir, loopback only. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitUntil } from './wait.ts';

/** The absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

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
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--web.listen-address=127.0.0.1:0',
      '--log.level=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let exited: string | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    });
    child.once('error', (err) => {
      exited = `failed to start: ${err.message}`;
      resolve();
    });
  });
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const address = await waitUntil(
      'prometheus to log its listen address',
      () => {
        if (exited !== undefined) throw new Error(`prometheus ${exited}:\n${output}`);
        return /msg="Listening on" address=(\S+)/.exec(output)?.[1];
      },
      { timeoutMs: 15_000 },
    );
    const url = `http://${address}`;
    await waitUntil('prometheus to be ready', async () => {
      if (exited !== undefined) throw new Error(`prometheus ${exited}:\n${output}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok || undefined;
    });
    return { url, log: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The active targets of a running Prometheus. */
export async function activeTargets(url: string): Promise<ActiveTarget[]> {
  const res = await fetch(`${url}/api/v1/targets?state=active`);
  if (!res.ok) throw new Error(`GET /api/v1/targets answered ${res.status}`);
  const body = (await res.json()) as { data: { activeTargets: ActiveTarget[] } };
  return body.data.activeTargets;
}
