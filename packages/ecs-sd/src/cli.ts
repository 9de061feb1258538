#!/usr/bin/env node
/**
 * The `ecs-sd` entry point and the only place that reads process.env, argv and signals. Parses the
 * command line, reads the config file and the web config file, runs the command (commands/), and
 * maps every error to an exit code in one handler: 0 ok, 1 runtime failure, 2 bad usage or config.
 * Problems of the flags, the environment and both files are reported together, one line each.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { buildInfo } from './build-info.ts';
import { type CommandLine, helpText, readCommandLine } from './config/flags.ts';
import { loadConfig } from './config/load.ts';
import type { Config } from './config/types.ts';
import { ConfigError, exitCodeFor, UsageError } from './errors.ts';
import { createLogger } from './log.ts';
import type { WebConfig } from './server/web-config.ts';

/** Where the CLI writes, and what it hears from the process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves when the process should stop (SIGINT/SIGTERM); the daemon runs until then. */
  stopSignal?: () => Promise<string>;
  /** Registers what a reload signal (SIGHUP) calls; returns the function that removes it. */
  onReloadSignal?: (reload: (signal: string) => void) => () => void;
  /** Called once the web server listens (tests read the port from it). */
  onListening?: (address: AddressInfo) => void;
}

/** The package version, read from package.json next to src/ or dist/. */
export function version(): string {
  return buildInfo().version;
}

async function readConfigFile(path: string, origin: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(
      [`${origin}: cannot read ${JSON.stringify(path)} (${code}), expected a readable YAML file`],
      { cause: error },
    );
  }
}

async function configFrom(line: CommandLine): Promise<Config> {
  const check = line.command === 'check-config';
  const fileText =
    line.configFile === undefined
      ? undefined
      : await readConfigFile(line.configFile, check ? 'check-config' : '--config.file');
  // check-config validates the file alone, whatever the flags and environment would override.
  if (check)
    return loadConfig({ ...(fileText === undefined ? {} : { fileText, fileName: line.configFile }) });
  return loadConfig({
    ...(fileText === undefined ? {} : { fileText, fileName: line.configFile }),
    overrides: line.overrides,
    sourceOverrides: line.sourceOverrides,
    ...(line.defaultRegion === undefined ? {} : { defaultRegion: line.defaultRegion }),
  });
}

/** Runs `load` and adds its config problems to `problems` instead of throwing them. */
async function collect<T>(problems: string[], load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/**
 * The config and the web config of a command line, read together: every problem of the flags
 * (`problems`), the environment and both files in one ConfigError. The web config is read by the
 * daemon and the health check only.
 */
async function readFiles(
  line: CommandLine,
  problems: readonly string[],
): Promise<{ config: Config; webConfig: WebConfig | undefined }> {
  const found = [...problems];
  const config = await collect(found, () => configFrom(line));
  const wantsWeb = (line.command === 'run' && !line.once) || line.command === 'healthcheck';
  const webFile = line.webConfigFile;
  const webConfig =
    wantsWeb && webFile !== undefined
      ? await collect(found, async () => (await import('./server/web-config.ts')).loadWebConfig(webFile))
      : undefined;
  if (found.length > 0 || config === undefined) throw new ConfigError(found);
  return { config, webConfig };
}

async function checkConfig(line: CommandLine, problems: readonly string[], io: CliIo): Promise<number> {
  await readFiles(line, problems);
  io.stdout(`${line.argument}: ok\n`);
  return 0;
}

async function run(line: CommandLine, problems: readonly string[], io: CliIo, logged: (log: Logger) => void) {
  if (line.command === 'check-config') return checkConfig(line, problems, io);
  const { config, webConfig } = await readFiles(line, problems);
  // explain and healthcheck are interactive: their output is the answer, so only warnings and errors are logged unless debugging.
  const quiet = line.command !== 'run' && config.log.level === 'info';
  const log = createLogger({
    ...config.log,
    level: quiet ? 'warn' : config.log.level,
    sink: { write: io.stderr },
  });
  logged(log);
  if (line.command === 'healthcheck') {
    const { healthcheck } = await import('./commands/healthcheck.ts');
    return healthcheck(config, webConfig, line.client, io);
  }
  if (line.command === 'explain') {
    const { explainLocal, explainRemote } = await import('./commands/explain.ts');
    return line.url === undefined
      ? explainLocal(line.argument!, config, log, io)
      : explainRemote(line.argument!, line.url, line.client, io);
  }
  const { runDaemon, runOnce } = await import('./commands/daemon.ts');
  if (line.once) return runOnce(config, log, io);
  return runDaemon(
    { config, webConfig, log, lifecycle: line.enableLifecycle, loadAgain: () => readFiles(line, []) },
    io,
  );
}

/** Runs the CLI and returns its exit code; errors never escape (the one top-level handler). */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let log: Logger | undefined;
  try {
    const { line, problems } = readCommandLine(argv, env);
    if (line.help) {
      io.stdout(`${helpText(version())}\n`);
      return 0;
    }
    if (line.version) {
      io.stdout(`ecs-sd ${version()}\n`);
      return 0;
    }
    return await run(line, problems, io, (created) => {
      log = created;
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr(`${error.problems.join('\n')}\n`);
    } else {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      io.stderr(`ecs-sd: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
      log?.child({ component: 'main' }).debug({ err: error }, 'exiting on error');
    }
    return exitCodeFor(error);
  }
}

/**
 * After SIGTERM or SIGINT the daemon aborts every AWS call and stops within about a second; should
 * anything still hold the process this long after, it exits anyway (code 1). A second SIGTERM or
 * SIGINT exits at once (code 1): a file write in progress is cut, and its temporary file is removed
 * at the next start.
 */
export const STOP_TIMEOUT_MS = 10_000;

function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    let first: string | undefined;
    const handler = (signal: string) => {
      if (first !== undefined) {
        process.stderr.write(`ecs-sd: ${signal} while stopping after ${first}, exiting now\n`);
        process.exit(1);
      }
      first = signal;
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

function onReloadSignal(reload: (signal: string) => void): () => void {
  const handler = (signal: string) => reload(signal);
  process.on('SIGHUP', handler);
  return () => process.off('SIGHUP', handler);
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
    onReloadSignal,
  });
  process.exitCode = code;
}
