/** Shared test helpers: locating the Debian tools, running them, polling with a deadline, child processes. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';

/** monitoring/ itself. */
export const ROOT = join(import.meta.dirname, '..');

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

/**
 * The path of a Debian-packaged tool; without it the test is skipped, or fails when CI is set
 * (CI installs the packages in .ci/run, so a missing tool there is a broken pipeline, not a skip).
 */
export function requireTool(t: TestContext, name: string, debianPackage: string): string | undefined {
  const path = which(name);
  if (path) return path;
  const message = `${name} not found; install the Debian package ${debianPackage}`;
  if (process.env['CI']) throw new Error(message);
  t.skip(message);
  return undefined;
}

/** The outcome of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never throws on a non-zero exit: the caller asserts on it). */
export function run(file: string, args: string[], cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Calls `probe` until it returns something other than undefined or false, or the deadline passes. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 100, describe } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs}ms waiting for ${what}${describe ? `: ${describe()}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** A child process listening on 127.0.0.1 port 0, with the address it logged. */
export interface Daemon {
  address: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts a Prometheus-ecosystem binary with `--web.listen-address=127.0.0.1:0` and reads its "Listening on" line. */
export async function startDaemon(binary: string, args: string[]): Promise<Daemon> {
  const child: ChildProcess = spawn(binary, [...args, '--web.listen-address=127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  try {
    const address = await waitUntil(
      `${binary} to log its listen address`,
      () => {
        if (exited !== undefined) throw new Error(`${binary} ${exited}:\n${output}`);
        return /msg="Listening on" address=(\S+)/.exec(output)?.[1];
      },
      { timeoutMs: 15_000 },
    );
    return { address, log: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One alerting or recording rule as written in monitoring/rules/*.yml. */
export interface RuleDef {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The rule files of monitoring/rules/, parsed. */
export function ruleFiles(): Array<{ file: string; rules: RuleDef[] }> {
  const dir = join(ROOT, 'rules');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((file) => {
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as { groups: Array<{ rules: RuleDef[] }> };
      return { file, rules: doc.groups.flatMap((g) => g.rules) };
    });
}

/** Every alerting rule of monitoring/rules/. */
export function alertRules(): RuleDef[] {
  return ruleFiles().flatMap((f) => f.rules.filter((r) => r.alert !== undefined));
}
