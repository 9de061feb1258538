/** Runs the ecs-sd CLI as a child process for the end-to-end test, the way users run it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** A running daemon: the base URL of its web server, its log, and a stop that always ends it. */
export interface DaemonProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node src/cli.ts ARGS --web.listen-address=127.0.0.1:0 --log.format=json` and reads the
 * web server's real port from its `listening` log line. `env` is the child's whole environment.
 */
export async function startDaemon(args: readonly string[], env: NodeJS.ProcessEnv): Promise<DaemonProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, ...args, '--web.listen-address=127.0.0.1:0', '--log.format=json', '--log.level=debug'],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
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
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  try {
    const address = await waitUntil(
      'ecs-sd to log its listen address',
      () => {
        if (exited !== undefined) throw new Error(`ecs-sd ${exited}:\n${output}`);
        for (const line of output.split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as { msg?: string; address?: string };
          if (entry.msg === 'listening' && entry.address !== undefined) return entry.address;
        }
        return undefined;
      },
      { timeoutMs: 20_000 },
    );
    return { url: `http://${address}`, log: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
