/** Child processes that keep their output for error messages and always end on stop(). */
import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { waitUntil } from './wait.ts';

/** Options of startProcess; every key is optional. */
export interface ProcessOptions {
  /** The child's whole environment. @default process.env */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives each non-blank output line, prefixed with the process name. */
  echo?: (line: string) => void;
  /** How many characters of output to keep, the latest ones (bounds a long-running child). @default Infinity */
  keepChars?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. @default 5000 */
  killAfterMs?: number;
}

/** A running child: its output so far, how it ended (if it did), and a stop that always ends it. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  /** `exited with CODE_OR_SIGNAL` or `failed to start: MESSAGE` once the child is gone, else undefined. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/** A child that listens on the address it logged. */
export interface ListeningProcess extends ManagedProcess {
  readonly address: string;
}

/** Spawns a long-running child with piped output; stop() sends SIGTERM, then SIGKILL after `killAfterMs`. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): ManagedProcess {
  const { echo, keepChars = Number.POSITIVE_INFINITY, killAfterMs = 5000 } = options;
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited: string | undefined;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-keepChars);
    if (echo) for (const line of text.split('\n')) if (line.trim()) echo(`${name}: ${line}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    });
    child.once('error', (err) => {
      exited ??= `failed to start: ${err.message}`;
      resolve();
    });
  });
  const stop = async () => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exit;
    clearTimeout(timer);
  };
  return { name, child, output: () => output, exited: () => exited, stop };
}

/**
 * Polls the child's output until `find` reads a value from it; fails at once with the whole output
 * when the child exits first, and stops the child when the wait fails, so no failed start leaks.
 */
export async function waitForOutput<T>(
  proc: ManagedProcess,
  what: string,
  find: (output: string) => T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  try {
    return await waitUntil(
      what,
      () => {
        const exited = proc.exited();
        if (exited !== undefined) throw new Error(`${proc.name} ${exited}:\n${proc.output()}`);
        return find(proc.output());
      },
      { timeoutMs },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** exporter-toolkit's log line once the web server listens (prometheus, alertmanager, node-exporter). */
const LISTENING = /msg="Listening on" address=(\S+)/;

/**
 * Starts a Prometheus-ecosystem binary with `--web.listen-address=127.0.0.1:0` added and resolves
 * with the address from its "Listening on" log line: port 0, so parallel tests never collide.
 */
export async function startPrometheusBinary(
  binary: string,
  args: readonly string[],
): Promise<ListeningProcess> {
  const proc = startProcess(basename(binary), binary, [...args, '--web.listen-address=127.0.0.1:0']);
  const address = await waitForOutput(
    proc,
    `${proc.name} to log its listen address`,
    (output) => LISTENING.exec(output)?.[1],
    15_000,
  );
  return { ...proc, address };
}
