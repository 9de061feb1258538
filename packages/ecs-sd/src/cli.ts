#!/usr/bin/env node
/**
 * The `ecs-sd` entry point and the only place that reads process.env and argv. Parses the command
 * line, loads the config, runs the command, and maps every error to an exit code in one handler:
 * 0 ok, 1 runtime failure, 2 bad usage or config.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { type CommandLine, helpText, parseCommandLine } from './config/flags.ts';
import { loadConfig } from './config/load.ts';
import type { Config } from './config/types.ts';
import type { TaskDecision } from './discovery/types.ts';
import { ConfigError, DiscoveryFailedError, exitCodeFor, UsageError } from './errors.ts';
import { clusterOfTaskArn, taskIdFromArn } from './lib/arn.ts';
import { parseListenAddress } from './lib/listen-address.ts';
import { createLogger } from './log.ts';

// The runtime, the web app and the AWS SDK load lazily: --help, --version and check-config stay fast.
const loadRuntime = async () => {
  const [runtime, summary, discovery, metrics, app, webConfig] = await Promise.all([
    import('./daemon/runtime.ts'),
    import('./daemon/summary.ts'),
    import('./discovery/index.ts'),
    import('./metrics.ts'),
    import('./server/app.ts'),
    import('./server/web-config.ts'),
  ]);
  return {
    createRuntime: runtime.createRuntime,
    formatSummary: summary.formatSummary,
    formatDecision: discovery.formatDecision,
    createMetrics: metrics.createMetrics,
    buildApp: app.buildApp,
    createWebServer: webConfig.createWebServer,
    loadWebConfig: webConfig.loadWebConfig,
  };
};

/** Where the CLI writes: stdout for results, stderr for problems and logs. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves when the process should stop (SIGINT/SIGTERM); the daemon runs until then. */
  stopSignal?: () => Promise<string>;
  /** Called once the web server listens (tests read the port from it). */
  onListening?: (address: AddressInfo) => void;
}

/** The package version, read from package.json next to src/ or dist/. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function readConfigFile(path: string, origin: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(
      [`${origin}: cannot read ${JSON.stringify(path)} (${code}), expected a readable YAML file`],
      {
        cause: error,
      },
    );
  }
}

async function configFrom(line: CommandLine): Promise<Config> {
  const fileText =
    line.configFile === undefined ? undefined : await readConfigFile(line.configFile, '--config.file');
  return loadConfig({
    ...(fileText === undefined ? {} : { fileText, fileName: line.configFile }),
    overrides: line.overrides,
    sourceOverrides: line.sourceOverrides,
    ...(line.defaultRegion === undefined ? {} : { defaultRegion: line.defaultRegion }),
  });
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

async function checkConfig(line: CommandLine, io: CliIo): Promise<number> {
  const file = line.argument!;
  const text = await readConfigFile(file, 'check-config');
  loadConfig({ fileText: text, fileName: file });
  io.stdout(`${file}: ok\n`);
  return 0;
}

async function explainRemote(task: string, url: string, io: CliIo): Promise<number> {
  const { formatDecision } = await loadRuntime();
  const endpoint = new URL(`api/v1/tasks/${encodeURIComponent(task)}`, url.endsWith('/') ? url : `${url}/`);
  let response: Response;
  try {
    response = await fetch(endpoint);
  } catch (error) {
    throw new DiscoveryFailedError(
      `asking the daemon at ${JSON.stringify(url)} failed, expected a running ecs-sd`,
      {
        cause: error,
      },
    );
  }
  const body = (await response.json().catch(() => ({}))) as TaskDecision & { error?: string };
  if (response.status === 404) {
    io.stderr(`task ${JSON.stringify(task)} not found: ${body.error ?? 'unknown task'}\n`);
    return 1;
  }
  if (!response.ok) {
    throw new DiscoveryFailedError(
      `daemon at ${JSON.stringify(url)} answered ${response.status}: ${body.error ?? ''}`,
    );
  }
  io.stdout(`${formatDecision(body)}\n`);
  return 0;
}

async function explainLocal(task: string, config: Config, log: Logger, io: CliIo): Promise<number> {
  const { createRuntime, createMetrics, formatDecision } = await loadRuntime();
  const daemon = createRuntime(config, { log, metrics: createMetrics({ defaultMetrics: false }) });
  try {
    // A long task ARN names its cluster (task/CLUSTER/ID): read only that one.
    const cluster = clusterOfTaskArn(task);
    const onlyClusters = cluster === undefined ? undefined : new Set([cluster]);
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
    io.stdout(`${formatDecision(decision)}\n`);
    return 0;
  } finally {
    await daemon.stop();
  }
}

async function runOnce(config: Config, log: Logger, io: CliIo): Promise<number> {
  const { createRuntime, createMetrics, formatSummary } = await loadRuntime();
  const daemon = createRuntime(config, { log, metrics: createMetrics({ defaultMetrics: false }) });
  try {
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

async function runDaemon(
  config: Config,
  webConfigFile: string | undefined,
  log: Logger,
  io: CliIo,
): Promise<number> {
  // Handlers first: a SIGTERM during start-up still stops cleanly.
  const stopping = io.stopSignal?.() ?? new Promise<string>(() => {});
  const { createRuntime, createMetrics, buildApp, createWebServer, loadWebConfig } = await loadRuntime();
  const webConfig = webConfigFile === undefined ? undefined : await loadWebConfig(webConfigFile);
  const metrics = createMetrics();
  const daemon = createRuntime(config, { log, metrics });
  const server = createWebServer(
    webConfig,
    buildApp({
      view: daemon.state,
      registry: metrics.registry,
      log,
      refreshIntervalSeconds: config.refreshIntervalMs / 1000,
      onHttpSdFailure: (reason) => metrics.httpSdFailures.inc({ reason }),
    }),
    { metrics },
  );
  const address = await listen(server, config.web.listenAddress);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info({ address: `${host}:${address.port}`, sources: config.sources.length }, 'listening');
  io.onListening?.(address);
  daemon.start();
  const signal = await stopping;
  log.info({ signal }, 'stopping');
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await daemon.stop();
  return 0;
}

/** Runs the CLI and returns its exit code; errors never escape (the one top-level handler). */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let log: Logger | undefined;
  try {
    const line = parseCommandLine(argv, env);
    if (line.help) {
      io.stdout(`${helpText(version())}\n`);
      return 0;
    }
    if (line.version) {
      io.stdout(`ecs-sd ${version()}\n`);
      return 0;
    }
    if (line.command === 'check-config') return await checkConfig(line, io);
    const config = await configFrom(line);
    // explain is interactive: its output is the decision, so only warnings and errors are logged unless debugging.
    const level = line.command === 'explain' && config.log.level === 'info' ? 'warn' : config.log.level;
    log = createLogger({ ...config.log, level, sink: { write: io.stderr } });
    if (line.command === 'explain') {
      return line.url === undefined
        ? await explainLocal(line.argument!, config, log, io)
        : await explainRemote(line.argument!, line.url, io);
    }
    if (line.url !== undefined)
      throw new UsageError(['--url: applies only to explain, expected it with explain TASK']);
    return line.once ? await runOnce(config, log, io) : await runDaemon(config, line.webConfigFile, log, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr(`${error.problems.join('\n')}\n`);
    } else {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      io.stderr(`ecs-sd: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
      log?.debug({ err: error }, 'exiting on error');
    }
    return exitCodeFor(error);
  }
}

/**
 * After SIGTERM or SIGINT the daemon aborts every AWS call and stops within about a second; should
 * anything still hold the process this long after, it exits anyway (code 1).
 */
export const STOP_TIMEOUT_MS = 10_000;

function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const handler = (signal: string) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      setTimeout(() => {
        process.stderr.write(`ecs-sd: still stopping ${STOP_TIMEOUT_MS / 1000}s after ${signal}, exiting\n`);
        process.exit(1);
      }, STOP_TIMEOUT_MS).unref();
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await main(process.argv.slice(2), process.env, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stopSignal,
  });
  process.exitCode = code;
}
