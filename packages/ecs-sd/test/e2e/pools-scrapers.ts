/**
 * The real components of the scraper-pool end-to-end test, on loopback: VictoriaMetrics single-node
 * as the store, and pool members that read their share from ecs-sd over http_sd and remote-write
 * what they scrape: Prometheus in agent mode and vmagent. Each member labels its samples
 * `scraper=<its member id>`, and each pool's job labels them `pool=<pool name>`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  type ManagedProcess,
  startProcess,
  startPrometheusBinary,
  waitUntil,
} from '@ecs-sd/testkit';

/** The two kinds of scraper the issue names. */
export type ScraperKind = 'prometheus' | 'vmagent';

/** How often a member scrapes, and how often it asks ecs-sd for its share (the pools' documented few seconds). */
export const SCRAPE_INTERVAL_S = 1;
export const HTTP_SD_REFRESH_S = 2;

/** A pool a member reads: its name, passed as `?pool=` and written as the `pool` label. */
export interface PoolRef {
  name: string;
}

/** A running member: its id (the ECS task id), its kind, and a stop that always ends its process. */
export interface ScraperProcess {
  id: string;
  kind: ScraperKind;
  /** Its web server: `/api/v1/targets` (both kinds answer it). */
  url: string;
  exited(): string | undefined;
  output(): string;
  stop(): Promise<void>;
}

/** A running VictoriaMetrics: its URL, its log, and a stop that removes its data. */
export interface Store {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts VictoriaMetrics single-node on a free loopback port with its data in a temp dir. */
export async function startStore(binary: string): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-e2e-vm-'));
  const port = await freePort();
  const proc = startProcess(
    'victoria-metrics',
    binary,
    [
      `-storageDataPath=${dir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      // Show samples as soon as they are written (the default hides the last 30 s) and never from a cache.
      '-search.latencyOffset=0s',
      '-search.disableCache',
    ],
    { keepChars: 20_000 },
  );
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil('VictoriaMetrics to be healthy', async () => (await fetch(`${url}/health`)).ok, {
      retryErrors: true,
      timeoutMs: 20_000,
      describe: () => proc.output().slice(-2000),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, output: proc.output, stop };
}

/**
 * The scrape config both kinds read: one job per pool, each asking ecs-sd for this member's share
 * every HTTP_SD_REFRESH_S and labelling what it scrapes with the pool's name.
 */
export function scrapeConfig(
  sdUrl: string,
  member: string,
  pools: readonly PoolRef[],
  kind: ScraperKind,
): string {
  // vmagent 1.79 has no refresh_interval in http_sd_configs (it reads -promscrape.httpSDCheckInterval).
  const refresh = kind === 'prometheus' ? `\n        refresh_interval: ${HTTP_SD_REFRESH_S}s` : '';
  const jobs = pools.map(
    (pool) => `  - job_name: ${pool.name}
    http_sd_configs:
      - url: ${sdUrl}/http-sd?pool=${encodeURIComponent(pool.name)}&member=${encodeURIComponent(member)}${refresh}
    relabel_configs:
      - target_label: pool
        replacement: ${pool.name}
`,
  );
  // Prometheus adds the external label to what it remote-writes; vmagent takes -remoteWrite.label.
  const external = kind === 'prometheus' ? `  external_labels:\n    scraper: ${member}\n` : '';
  return `global:
  scrape_interval: ${SCRAPE_INTERVAL_S}s
  scrape_timeout: ${SCRAPE_INTERVAL_S}s
${external}scrape_configs:
${jobs.join('')}`;
}

/** Starts one member of `kind` reading `pools` from ecs-sd at `sdUrl` and remote-writing to `storeUrl`. */
export async function startScraper(
  kind: ScraperKind,
  binary: string,
  options: { id: string; sdUrl: string; storeUrl: string; pools: readonly PoolRef[] },
): Promise<ScraperProcess> {
  const dir = await mkdtemp(join(tmpdir(), `ecs-sd-e2e-${kind}-`));
  const configFile = join(dir, 'scrape.yml');
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    const config = scrapeConfig(options.sdUrl, options.id, options.pools, kind);
    if (kind === 'prometheus') {
      await writeFile(
        configFile,
        `${config}remote_write:
  - url: ${options.storeUrl}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
`,
      );
      const proc = await startPrometheusBinary(binary, [
        // Prometheus 2.x: agent mode is a feature flag (3.x: --agent).
        '--enable-feature=agent',
        `--config.file=${configFile}`,
        `--storage.agent.path=${join(dir, 'wal')}`,
        '--log.level=info',
      ]);
      return member(options.id, kind, `http://${proc.address}`, proc, removeDir);
    }
    await writeFile(configFile, config);
    await mkdir(join(dir, 'buffer'));
    const port = await freePort();
    const proc = startProcess(
      `vmagent-${options.id}`,
      binary,
      [
        `-promscrape.config=${configFile}`,
        // vmagent 1.79 reads http_sd every -promscrape.httpSDCheckInterval, not the config's refresh_interval.
        `-promscrape.httpSDCheckInterval=${HTTP_SD_REFRESH_S}s`,
        `-remoteWrite.url=${options.storeUrl}/api/v1/write`,
        `-remoteWrite.label=scraper=${options.id}`,
        `-remoteWrite.tmpDataPath=${join(dir, 'buffer')}`,
        '-remoteWrite.flushInterval=1s',
        `-httpListenAddr=127.0.0.1:${port}`,
      ],
      { keepChars: 20_000 },
    );
    await waitUntil(
      `vmagent ${options.id} to be healthy`,
      async () => {
        const exited = proc.exited();
        if (exited !== undefined) throw new Error(`vmagent ${exited}:\n${proc.output().slice(-2000)}`);
        return (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok;
      },
      {
        timeoutMs: 20_000,
        describe: () => `${proc.exited() ?? 'running'}\n${proc.output().slice(-2000)}`,
      },
    ).catch(async (err: unknown) => {
      await proc.stop();
      throw err;
    });
    return member(options.id, kind, `http://127.0.0.1:${port}`, proc, removeDir);
  } catch (err) {
    await removeDir();
    throw err;
  }
}

function member(
  id: string,
  kind: ScraperKind,
  url: string,
  proc: ManagedProcess,
  removeDir: () => Promise<void>,
): ScraperProcess {
  return {
    id,
    kind,
    url,
    exited: proc.exited,
    output: proc.output,
    stop: async () => {
      await proc.stop();
      await removeDir();
    },
  };
}

/** One series of an instant query's vector result. */
export interface VmSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query against the store; throws with the answer when it is not a success. */
export async function queryStore(storeUrl: string, query: string): Promise<VmSample[]> {
  const res = await fetch(`${storeUrl}/api/v1/query?nocache=1&query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`query ${query}: HTTP ${res.status}: ${text}`);
  const body = JSON.parse(text) as { status: string; data: { resultType: string; result: VmSample[] } };
  if (body.status !== 'success' || body.data.resultType !== 'vector') {
    throw new Error(`query ${query}: ${text.slice(0, 500)}`);
  }
  return body.data.result;
}

/** The label sets of `/api/v1/series` for `match` over the last `seconds`. */
export async function seriesOf(
  storeUrl: string,
  match: string,
  seconds: number,
): Promise<Record<string, string>[]> {
  const start = Math.floor(Date.now() / 1000) - seconds;
  const res = await fetch(`${storeUrl}/api/v1/series?match[]=${encodeURIComponent(match)}&start=${start}`, {
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`series ${match}: HTTP ${res.status}: ${text}`);
  return (JSON.parse(text) as { data: Record<string, string>[] }).data;
}
