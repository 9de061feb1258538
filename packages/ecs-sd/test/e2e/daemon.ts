/** Runs the ecs-sd CLI as a child process for the end-to-end test, the way users run it. */
import { fileURLToPath } from 'node:url';
import { startProcess, waitForOutput } from '@ecs-sd/testkit';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** A running daemon: the base URL of its web server, its log, and a stop that always ends it. */
export interface DaemonProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/** The address of ecs-sd's `listening` line in a JSON log, once it is there. */
function listeningAddress(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; address?: string };
    if (entry.msg === 'listening' && entry.address !== undefined) return entry.address;
  }
  return undefined;
}

/**
 * Starts `node src/cli.ts ARGS --web.listen-address=127.0.0.1:0 --log.format=json` and reads the
 * web server's real port from its `listening` log line. `env` is the child's whole environment.
 */
export async function startDaemon(args: readonly string[], env: NodeJS.ProcessEnv): Promise<DaemonProcess> {
  const proc = startProcess(
    'ecs-sd',
    process.execPath,
    [CLI, ...args, '--web.listen-address=127.0.0.1:0', '--log.format=json', '--log.level=debug'],
    { env },
  );
  const address = await waitForOutput(proc, 'ecs-sd to log its listen address', listeningAddress, 20_000);
  return { url: `http://${address}`, log: proc.output, stop: proc.stop };
}
