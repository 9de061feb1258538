/**
 * `ecs-sd explain TASK`: why a task is or is not a target. Without `--url` one discovery runs here
 * (only the task's cluster when its ARN names it); with `--url` the running daemon is asked
 * (`/api/v1/tasks/TASK`), with basic auth (`--url.username`, `--url.password-file`, or the URL's
 * own user and password) and a CA to trust (`--url.ca-file`). No message shows a credential.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { formatDecision } from '../discovery/format.ts';
import type { TaskDecision } from '../discovery/types.ts';
import { ConfigError, DiscoveryFailedError } from '../errors.ts';
import { clusterOfTaskArn, taskIdFromArn } from '../lib/arn.ts';
import { createMetrics } from '../metrics.ts';
import { createDaemonPools, runtimePoolSources } from '../pools/daemon-pools.ts';
import { type ScrapedBy, scrapedBy, scrapedByLines } from '../pools/scraped-by.ts';
import {
  type ClientFlags,
  type CommandIo,
  clientCredentials,
  describeStatus,
  get,
  RequestFailedError,
  readFlagFile,
  redactUrl,
} from './http-client.ts';

/** How long explain --url waits for the daemon. */
export const EXPLAIN_TIMEOUT_MS = 10_000;

/** The URL of `--url`, or a usage problem that shows it without credentials. */
function parseDaemonUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError([
      `--url: ${JSON.stringify(redactUrl(raw))} is not a URL, expected http://HOST:PORT or https://HOST:PORT`,
    ]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError([
      `--url: ${JSON.stringify(redactUrl(url))} is not http or https, expected http://HOST:PORT or https://HOST:PORT`,
    ]);
  return url;
}

/** Asks the daemon at `rawUrl` for one task's decision; 0 found, 1 not found or failed. */
export async function explainRemote(
  task: string,
  rawUrl: string,
  flags: ClientFlags,
  io: CommandIo,
): Promise<number> {
  const url = parseDaemonUrl(rawUrl);
  const credentials = await clientCredentials(flags, url);
  const ca =
    flags.caFile === undefined ? undefined : await readFlagFile('--url.ca-file', flags.caFile, 'PEM file');
  const base = url.href.endsWith('/') ? url.href : `${url.href}/`;
  const endpoint = new URL(`api/v1/tasks/${encodeURIComponent(task)}`, base);
  const shown = redactUrl(url);
  let answer: Awaited<ReturnType<typeof get>>;
  try {
    answer = await get(endpoint, {
      timeoutMs: EXPLAIN_TIMEOUT_MS,
      ...(credentials === undefined ? {} : { credentials }),
      ...(ca === undefined ? {} : { ca }),
    });
  } catch (error) {
    const reason = error instanceof RequestFailedError ? error.message : String(error);
    throw new DiscoveryFailedError(`asking the daemon at ${shown} failed: ${reason}`);
  }
  const body = (() => {
    try {
      return JSON.parse(answer.body) as TaskDecision & { error?: string; scrapedBy?: ScrapedBy[] };
    } catch {
      return undefined;
    }
  })();
  if (answer.status === 404 && body !== undefined) {
    io.stderr(`task ${JSON.stringify(task)} not found: ${body.error ?? 'unknown task'}\n`);
    return 1;
  }
  if (answer.status !== 200 || body === undefined) {
    const words =
      describeStatus(answer, credentials !== undefined) ??
      `${answer.status}: ${body?.error ?? (answer.body.trim().split('\n')[0] || 'no explanation')}`;
    throw new DiscoveryFailedError(`the daemon at ${shown} answered ${words}`);
  }
  io.stdout(`${[formatDecision(body), ...scrapedByLines(body.scrapedBy ?? [])].join('\n')}\n`);
  return 0;
}

/** Discovers (only the task's cluster when its ARN names it) and prints the decision; 0 found, 1 not found. */
export async function explainLocal(
  task: string,
  config: Config,
  log: Logger,
  io: CommandIo,
): Promise<number> {
  // The runtime and the AWS SDK load only here: explain --url needs neither.
  const { createRuntime } = await import('../daemon/runtime.ts');
  const daemon = createRuntime(config, { log, metrics: createMetrics({ defaultMetrics: false }) });
  try {
    await daemon.checkRegions();
    // A long task ARN names its cluster (task/CLUSTER/ID): read only that one.
    const cluster = clusterOfTaskArn(task);
    // The pools' member clusters too, so explain says which member scrapes the task's targets.
    const onlyClusters =
      cluster === undefined
        ? undefined
        : new Set([
            cluster,
            ...config.pools.flatMap((pool) => (pool.ecs === undefined ? [] : [pool.ecs.cluster])),
          ]);
    const summary = await daemon.refresh({ writeOutputs: false, ...(onlyClusters ? { onlyClusters } : {}) });
    const decision = daemon.state.decision(task.startsWith('arn:') ? task : taskIdFromArn(task));
    if (decision === undefined) {
      const failed =
        summary.failures.length > 0
          ? ` (${summary.failures.length} failures: ${summary.failures.join('; ')})`
          : '';
      io.stderr(`task ${JSON.stringify(task)} not found in ${summary.clusters} clusters${failed}\n`);
      return 1;
    }
    const pools = createDaemonPools(runtimePoolSources(daemon));
    const lines = scrapedByLines(scrapedBy(decision, pools.assignments()));
    io.stdout(`${[formatDecision(decision), ...lines].join('\n')}\n`);
    return 0;
  } finally {
    await daemon.stop();
  }
}
