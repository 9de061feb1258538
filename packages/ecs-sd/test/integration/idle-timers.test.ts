/**
 * Idle CPU (issue 17): the daemon (the CLI's main in this process: runtime, web server, default
 * metrics) against ecs-sim in its own process, after its first refresh and with no change in the
 * fleet, has no timer firing more often than once a second. Every Timeout and Immediate is counted
 * by async_hooks, grouped by where it was created (a timer set again from its own callback is one
 * site); the event-loop-delay monitor of the default metrics is a native timer, so its resolution
 * is read where prom-client asks perf_hooks for it.
 */
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@ecs-sd/testkit';
import { main } from '../../src/cli.ts';
import { childEnv, useTestCredentials } from './helpers.ts';

const SIM_CLI = fileURLToPath(new URL('../../../ecs-sim/src/cli.ts', import.meta.url));
/** How long the idle daemon is watched. */
const WINDOW_MS = 3_000;

/** Where a timer was created: the first frames outside Node's internals and this file. */
function site(): string {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .slice(1)
    .map((frame) => frame.trim())
    .filter((frame) => !frame.includes('node:internal') && !frame.includes('idle-timers.test.ts'));
  return frames.slice(0, 4).join(' < ') || '(node internals)';
}

/** Timer callbacks by creation site, counted while `counting` is set. */
const sites = new Map<number, string>();
const fired = new Map<string, number>();
let counting = false;
const hook = createHook({
  init(asyncId, type) {
    if (type === 'Timeout' || type === 'Immediate') sites.set(asyncId, `${type} ${site()}`);
  },
  before(asyncId) {
    const where = sites.get(asyncId);
    if (counting && where !== undefined) fired.set(where, (fired.get(where) ?? 0) + 1);
  },
  destroy(asyncId) {
    sites.delete(asyncId);
  },
});

/** Resolutions (ms) of every event-loop-delay monitor created (prom-client calls perf_hooks through require). */
const monitorResolutions: number[] = [];
const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as typeof import('node:perf_hooks');
const monitor = perfHooks.monitorEventLoopDelay;
perfHooks.monitorEventLoopDelay = (options?: {
  resolution?: number;
}): ReturnType<typeof monitorEventLoopDelay> => {
  monitorResolutions.push(options?.resolution ?? 10);
  return monitor(options);
};

let sim: ChildProcess;
let endpoint: string;
let dir: string;

before(async () => {
  useTestCredentials();
  dir = await mkdtemp(join(tmpdir(), 'ecs-sd-idle-'));
  sim = spawn(
    process.execPath,
    [SIM_CLI, '--listen', '127.0.0.1:0', '--generate', 'clusters=2,tasks=40,hosts=2', '--throttle', 'off'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  endpoint = await new Promise<string>((resolve, reject) => {
    sim.once('exit', (code) => reject(new Error(`ecs-sim exited with code ${code}`)));
    createInterface({ input: sim.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match !== null) resolve(match[1]!);
    });
  });
});

after(async () => {
  hook.disable();
  sim.kill();
  await rm(dir, { recursive: true, force: true });
});

test('an idle daemon has no timer firing more often than once a second', async () => {
  hook.enable();
  let stop: (signal: string) => void = () => {};
  let listening: (address: AddressInfo) => void = () => {};
  const address = new Promise<AddressInfo>((resolve) => {
    listening = resolve;
  });
  const log: string[] = [];
  const exit = main(
    [
      '--web.listen-address=127.0.0.1:0',
      '--log.format=json',
      '--aws.region=us-east-1',
      `--aws.endpoint=${endpoint}`,
      `--output.directory=${dir}`,
    ],
    childEnv(),
    {
      stdout: () => {},
      stderr: (text) => log.push(text),
      stopSignal: () =>
        new Promise((resolve) => {
          stop = resolve;
        }),
      onListening: listening,
    },
  );
  try {
    const url = `http://127.0.0.1:${(await address).port}`;
    await waitUntil('ready', async () => (await fetch(`${url}/-/ready`)).status === 200);
    // The metrics are read once, as a scraper would, before the window.
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^nodejs_eventloop_lag_p99_seconds /m);
    await new Promise((resolve) => setTimeout(resolve, 500));
    counting = true;
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    counting = false;

    const limit = WINDOW_MS / 1000 + 1;
    const busy = [...fired].filter(([, count]) => count > limit);
    assert.deepEqual(busy, [], `timers firing more than ${limit} times in ${WINDOW_MS} ms`);
    assert.ok(monitorResolutions.length > 0, 'the default metrics monitor the event loop delay');
    for (const resolution of monitorResolutions)
      assert.ok(resolution >= 1000, `monitor resolution ${resolution} ms`);
  } finally {
    counting = false;
    stop('SIGTERM');
    assert.equal(await exit, 0, log.join(''));
  }
});
