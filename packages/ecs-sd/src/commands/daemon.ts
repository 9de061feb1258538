/**
 * `ecs-sd` (the daemon) and `ecs-sd --once`. The daemon listens, refreshes until SIGTERM or SIGINT,
 * and reloads on SIGHUP or `POST /-/reload` (with `--web.enable-lifecycle`): the config file and
 * the web config file are read again with the flags and environment of the start; a valid pair is
 * applied without losing the state (runtime.reload, the web server's applyWebConfig), an invalid
 * one is refused with one line per problem and the running config stays.
 * `ecs_sd_config_last_reload_successful` and `..._success_timestamp_seconds` say how the last went.
 */
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { buildInfo } from '../build-info.ts';
import type { Config } from '../config/types.ts';
import { configWarnings } from '../config/warnings.ts';
import { createRuntime, type Runtime } from '../daemon/runtime.ts';
import { formatSummary } from '../daemon/summary.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { parseListenAddress } from '../lib/listen-address.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createDaemonPools, runtimePoolSources } from '../pools/daemon-pools.ts';
import { buildApp, type ReloadReply } from '../server/app.ts';
import type { WebConfig } from '../server/web-config.ts';
import { createWebServer, type WebServer } from '../server/web-server.ts';
import type { CommandIo } from './http-client.ts';

/** What the daemon needs from the process: output, the stop and reload signals, and (tests) the port. */
export interface DaemonIo extends CommandIo {
  /** Resolves when the process should stop (SIGINT/SIGTERM); the daemon runs until then. */
  stopSignal?: () => Promise<string>;
  /** Registers what a reload signal (SIGHUP) calls; returns the function that removes it. */
  onReloadSignal?: (reload: (signal: string) => void) => () => void;
  /** Called once the web server listens (tests read the port from it). */
  onListening?: (address: AddressInfo) => void;
}

/** The config files as the CLI reads them: both at once, so a reload reports the problems of both together. */
export interface ConfigFiles {
  config: Config;
  webConfig: WebConfig | undefined;
}

/** What the daemon runs with. */
export interface DaemonOptions extends ConfigFiles {
  log: Logger;
  /** `--web.enable-lifecycle`: POST /-/reload is served. */
  lifecycle: boolean;
  /** Reads both files again with the start's flags and environment; throws a ConfigError with every problem. */
  loadAgain: () => Promise<ConfigFiles>;
}

function listen(server: Server | HttpsServer, address: string): Promise<AddressInfo> {
  const parsed = parseListenAddress(address);
  // The config was validated: this only guards a caller that built one by hand.
  if (!parsed.ok) throw new ConfigError([`web.listen_address: ${parsed.message}`]);
  const { host, port } = parsed.value;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ...(host === undefined ? {} : { host }) }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Logs the warnings of a config (a rate budget above AWS's own, …). */
function warnAbout(config: Config, log: Logger): void {
  for (const warning of configWarnings(config))
    log.warn({ setting: warning }, 'config setting exceeds what AWS allows');
}

/** Reloads one at a time; each answers what it changed, or the problems that kept the running config. */
function createReloader(
  parts: { runtime: Runtime; server: WebServer; metrics: Metrics; log: Logger },
  loadAgain: () => Promise<ConfigFiles>,
): (trigger: string) => Promise<ReloadReply> {
  const { runtime, server, metrics, log } = parts;
  let last: Promise<unknown> = Promise.resolve();
  const reload = async (trigger: string): Promise<ReloadReply> => {
    try {
      const { config, webConfig } = await loadAgain();
      const summary = await runtime.reload(config);
      const restart = [...summary.needsRestart, ...server.applyWebConfig(webConfig)];
      metrics.configLastReloadSuccessful.set(1);
      metrics.configLastReloadSuccessTimestamp.set(Date.now() / 1000);
      const changes = summary.changes.length > 0 ? summary.changes : ['the config files are read again'];
      log.info({ trigger, changes }, 'config reloaded');
      for (const setting of restart) log.warn({ trigger, setting }, 'a reloaded setting needs a restart');
      warnAbout(config, log);
      return { status: 200, lines: [...changes, ...restart] };
    } catch (error) {
      metrics.configLastReloadSuccessful.set(0);
      const invalid = error instanceof ConfigError || error instanceof UsageError;
      const problems = invalid ? [...error.problems] : [`reloading failed: ${(error as Error).message}`];
      for (const problem of problems)
        log.error({ trigger, problem }, 'config reload failed, the running config stays');
      return { status: invalid ? 400 : 500, lines: problems };
    }
  };
  return (trigger) => {
    const next = last.then(() => reload(trigger));
    last = next.catch(() => {});
    return next;
  };
}

/** Runs the daemon until a stop signal; 0 when it stopped cleanly. */
export async function runDaemon(options: DaemonOptions, io: DaemonIo): Promise<number> {
  const { config, log } = options;
  const main = log.child({ component: 'main' });
  // Handlers first: a SIGTERM during start-up still stops cleanly, a SIGHUP does not kill the process.
  const stopping = io.stopSignal?.() ?? new Promise<string>(() => {});
  let reloader: ((trigger: string) => Promise<ReloadReply>) | undefined;
  const removeReload = io.onReloadSignal?.((signal) => {
    if (reloader === undefined) main.warn({ signal }, 'reload asked for during start-up or stop, ignored');
    else void reloader(signal);
  });
  const { version, revision, nodejs } = buildInfo();
  main.info({ version, revision, nodejs }, 'starting ecs-sd');
  warnAbout(config, main);
  const metrics = createMetrics();
  metrics.configLastReloadSuccessful.set(1);
  metrics.configLastReloadSuccessTimestamp.set(Date.now() / 1000);
  const runtime = createRuntime(config, { log, metrics });
  try {
    await runtime.checkRegions();
  } catch (error) {
    removeReload?.();
    await runtime.stop();
    throw error;
  }
  let reload: (trigger: string) => Promise<ReloadReply> = () => Promise.resolve({ status: 500, lines: [] });
  const pools = createDaemonPools(runtimePoolSources(runtime), { metrics: metrics.pools, log });
  const server = createWebServer(
    options.webConfig,
    buildApp({
      view: runtime.state,
      registry: metrics.registry,
      log,
      refreshIntervalSeconds: config.refreshIntervalMs / 1000,
      onHttpSdFailure: (reason) => metrics.httpSdFailures.inc({ reason }),
      status: runtime,
      version,
      lifecycle: options.lifecycle,
      reload: () => reload('POST /-/reload'),
      pools: pools.assignments,
      onNotAMember: pools.notAMember,
    }),
    { metrics },
  );
  const address = await listen(server, config.web.listenAddress);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  main.info({ address: `${host}:${address.port}`, sources: config.sources.length }, 'listening');
  io.onListening?.(address);
  reload = createReloader({ runtime, server, metrics, log: main }, options.loadAgain);
  reloader = reload;
  runtime.start();
  const signal = await stopping;
  reloader = undefined;
  main.info({ signal }, 'stopping');
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await runtime.stop();
  removeReload?.();
  return 0;
}

/** One discovery, the outputs written, a summary line; 0 ok, 1 when discovery or a file failed. */
export async function runOnce(config: Config, log: Logger, io: CommandIo): Promise<number> {
  warnAbout(config, log.child({ component: 'main' }));
  const daemon = createRuntime(config, { log, metrics: createMetrics({ defaultMetrics: false }) });
  try {
    await daemon.checkRegions();
    const summary = await daemon.refresh();
    io.stdout(`${formatSummary(summary)}\n`);
    if (!summary.complete) {
      for (const failure of summary.failures) io.stderr(`${failure}\n`);
      io.stderr('discovery failed: no file_sd output written\n');
      return 1;
    }
    if (summary.fileFailures.length > 0) {
      for (const failure of summary.fileFailures) io.stderr(`${failure}\n`);
      return 1;
    }
    return 0;
  } finally {
    await daemon.stop();
  }
}
