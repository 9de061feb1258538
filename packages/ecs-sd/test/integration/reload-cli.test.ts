/**
 * Reload and signals of the ecs-sd command (issue 14): SIGHUP and POST /-/reload read the config
 * file and the web config file again; a valid pair takes effect without losing the targets, an
 * invalid one is refused in ecs-sd's words while the running config goes on, and the metrics and
 * the reply say which. SIGTERM stops cleanly; a second signal while stopping exits at once. And the
 * conventions an operator looks for: ecs_sd_build_info, `component` on every log line.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@ecs-sd/testkit';
import bcrypt from 'bcryptjs';
import { type Sim, startSim } from 'ecs-sim';
import { main } from '../../src/cli.ts';
import { childEnv, loadFleet, useTestCredentials } from './helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** One sample of a metric from the exposition text, undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

interface RunningDaemon {
  url: string;
  reload(): void;
  stop(): Promise<number>;
  log: string[];
}

describe('reloading the ecs-sd command', () => {
  let sim: Sim;
  let dir: string;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-reload-cli-'));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sourceYaml = (clusters: string) =>
    `sources:\n  - { name: s, region: us-east-1, endpoint: "${sim.endpoint}", clusters: [${clusters}] }\n`;

  /** The CLI's main in this process, with SIGHUP and SIGTERM as functions. */
  async function startInProcess(args: string[]): Promise<RunningDaemon> {
    let stop: (signal: string) => void = () => {};
    let reload: (signal: string) => void = () => {};
    let listening: (address: AddressInfo) => void = () => {};
    const address = new Promise<AddressInfo>((resolve) => {
      listening = resolve;
    });
    const log: string[] = [];
    const exit = main(['--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], childEnv(), {
      stdout: () => {},
      stderr: (text) => log.push(...text.trimEnd().split('\n')),
      stopSignal: () =>
        new Promise((resolve) => {
          stop = resolve;
        }),
      onReloadSignal: (handler) => {
        reload = handler;
        return () => {};
      },
      onListening: listening,
    });
    const url = `http://127.0.0.1:${(await Promise.race([address, exit.then((code) => assert.fail(`exited ${code}: ${log.join('\n')}`))])).port}`;
    return {
      url,
      log,
      reload: () => reload('SIGHUP'),
      stop: async () => {
        stop('SIGTERM');
        return exit;
      },
    };
  }

  async function targets(url: string, init?: RequestInit): Promise<number> {
    const groups = (await (await fetch(`${url}/http-sd`, init)).json()) as { targets: string[] }[];
    return groups.flatMap((group) => group.targets).length;
  }

  test('SIGHUP applies a changed config file; an invalid one is refused and the running config goes on; the metrics say which', async () => {
    const file = join(dir, 'sighup.yaml');
    await writeFile(file, sourceYaml('alpha'));
    const daemon = await startInProcess([`--config.file=${file}`]);
    try {
      await waitUntil('ready', async () => (await fetch(`${daemon.url}/-/ready`)).status === 200);
      assert.equal(await targets(daemon.url), 5);
      const metrics = async () => (await fetch(`${daemon.url}/metrics`)).text();
      assert.equal(sample(await metrics(), 'ecs_sd_config_last_reload_successful'), 1);
      const started = sample(await metrics(), 'ecs_sd_config_last_reload_success_timestamp_seconds')!;

      await writeFile(file, sourceYaml('alpha, beta'));
      daemon.reload();
      await waitUntil('beta discovered after SIGHUP', async () => (await targets(daemon.url)) === 7);
      await waitUntil('the reload counted', async () => {
        return sample(await metrics(), 'ecs_sd_config_last_reload_success_timestamp_seconds')! > started;
      });

      await writeFile(file, `${sourceYaml('alpha')}log: { level: loud }\n`);
      daemon.reload();
      await waitUntil(
        'the failed reload counted',
        async () => sample(await metrics(), 'ecs_sd_config_last_reload_successful') === 0,
      );
      const refused = daemon.log
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((r) => r['msg'] === 'config reload failed, the running config stays');
      assert.deepEqual(
        refused.map((r) => [r['component'], r['trigger'], r['problem']]),
        [['main', 'SIGHUP', 'log.level: got "loud", expected one of "debug", "info", "warn", "error"']],
      );
      assert.equal(await targets(daemon.url), 7, 'the running config (alpha and beta) goes on');
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
    // Conventions: every log line names its component.
    const records = daemon.log.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.length > 5);
    assert.deepEqual(
      records.filter((record) => typeof record['component'] !== 'string'),
      [],
    );
    assert.deepEqual(
      records
        .filter((r) => r['msg'] === 'starting ecs-sd')
        .map((r) => [r['component'], r['version'], typeof r['revision']]),
      [['main', '0.1.0', 'string']],
    );
  });

  test('POST /-/reload: 403 unless --web.enable-lifecycle, then 200 with what changed or 400 with the problems', async () => {
    const file = join(dir, 'post.yaml');
    await writeFile(file, sourceYaml('alpha'));
    const closed = await startInProcess([`--config.file=${file}`]);
    try {
      const refused = await fetch(`${closed.url}/-/reload`, { method: 'POST' });
      assert.equal(refused.status, 403);
      assert.match(
        await refused.text(),
        /expected ecs-sd started with --web\.enable-lifecycle \(or send SIGHUP\)/,
      );
    } finally {
      await closed.stop();
    }
    const daemon = await startInProcess([`--config.file=${file}`, '--web.enable-lifecycle']);
    try {
      await waitUntil('ready', async () => (await fetch(`${daemon.url}/-/ready`)).status === 200);
      assert.equal((await fetch(`${daemon.url}/-/reload`)).status, 405);
      await writeFile(file, sourceYaml('alpha, beta'));
      const ok = await fetch(`${daemon.url}/-/reload`, { method: 'POST' });
      assert.equal(ok.status, 200);
      assert.equal(
        await ok.text(),
        'config reloaded\nsource "s" changed: rebuilt, its targets stand until it is read again\n',
      );
      await writeFile(file, `${sourceYaml('alpha')}refresh_interval: 0s\nunknown: 1\n`);
      const bad = await fetch(`${daemon.url}/-/reload`, { method: 'PUT' });
      assert.equal(bad.status, 400);
      assert.equal(
        await bad.text(),
        [
          'config not reloaded, the running config stays',
          'refresh_interval: "0s" is too short, expected at least 1s',
          'unknown: unknown key, expected one of refresh_interval, sources, discovery, labels, output, web, log, rate_budget, timeouts, ha, pools',
          '',
        ].join('\n'),
      );
      await writeFile(file, `${sourceYaml('alpha')}log: { level: warn }\n`);
      const restart = await fetch(`${daemon.url}/-/reload`, { method: 'POST' });
      assert.equal(restart.status, 200);
      assert.match(
        await restart.text(),
        /^log\.level: changed from "info" to "warn", which takes effect only on a restart; "info" stays in use$/m,
      );
      assert.equal((await fetch(`${daemon.url}/-/healthy`)).status, 200, 'still serving');
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });

  test('a reloaded web config takes effect for the next request: a changed password, a user removed', async () => {
    const file = join(dir, 'web.yaml');
    await writeFile(file, sourceYaml('alpha'));
    const web = join(dir, 'web.yml');
    const users = (entries: Record<string, string>) =>
      `basic_auth_users:\n${Object.entries(entries)
        .map(([user, password]) => `  ${user}: ${JSON.stringify(bcrypt.hashSync(password, 4))}\n`)
        .join('')}`;
    await writeFile(web, users({ prometheus: 'old-secret', grafana: 'g' }));
    const daemon = await startInProcess([`--config.file=${file}`, `--web.config.file=${web}`]);
    const basic = (user: string, password: string) => ({
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    });
    try {
      assert.equal((await fetch(`${daemon.url}/-/healthy`, basic('prometheus', 'old-secret'))).status, 200);
      await writeFile(web, users({ prometheus: 'new-secret' }));
      daemon.reload();
      await waitUntil('the new password accepted', async () => {
        return (await fetch(`${daemon.url}/-/healthy`, basic('prometheus', 'new-secret'))).status === 200;
      });
      assert.equal((await fetch(`${daemon.url}/-/healthy`, basic('prometheus', 'old-secret'))).status, 401);
      assert.equal((await fetch(`${daemon.url}/-/healthy`, basic('grafana', 'g'))).status, 401);
      // An invalid web config keeps the users in force.
      await writeFile(web, 'basic_auth_users:\n  prometheus: not-a-hash\n');
      daemon.reload();
      await waitUntil('the refused reload logged', () =>
        daemon.log.some((line) => line.includes('is not a bcrypt hash')),
      );
      assert.equal((await fetch(`${daemon.url}/-/healthy`, basic('prometheus', 'new-secret'))).status, 200);
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });

  test('the real process: SIGHUP reloads, SIGTERM stops with exit 0, a second signal while stopping exits 1 at once', async () => {
    const file = join(dir, 'process.yaml');
    await writeFile(file, sourceYaml('alpha'));
    const start = () => {
      const child = spawn(
        process.execPath,
        [CLI, `--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--log.format=json'],
        { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const state = {
        stderr: '',
        child,
        exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
      };
      child.stderr!.on('data', (chunk: Buffer) => {
        state.stderr += chunk.toString();
      });
      return state;
    };
    const address = async (state: { stderr: string }) =>
      `http://${await waitUntil('listening', () => {
        const line = state.stderr.split('\n').find((candidate) => candidate.includes('"msg":"listening"'));
        return line === undefined ? undefined : (JSON.parse(line) as { address: string }).address;
      })}`;
    let first: ReturnType<typeof start> | undefined;
    let second: ReturnType<typeof start> | undefined;
    const kill = (child?: ChildProcess) => {
      if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    try {
      first = start();
      const url = await address(first);
      await waitUntil('ready', async () => (await fetch(`${url}/-/ready`)).status === 200);
      assert.equal(await targets(url), 5);
      await writeFile(file, sourceYaml('alpha, beta'));
      first.child.kill('SIGHUP');
      await waitUntil('beta after SIGHUP', async () => (await targets(url)) === 7);
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0, first.stderr);
      assert.match(first.stderr, /"component":"main".*"msg":"config reloaded"/);
      assert.match(first.stderr, /"signal":"SIGTERM".*"msg":"stopping"/);

      second = start();
      await address(second);
      second.child.kill('SIGINT');
      second.child.kill('SIGTERM');
      const code = await second.exited;
      // Two signals sent at once may arrive in either order.
      if (code === 1)
        assert.match(second.stderr, /ecs-sd: SIG(TERM|INT) while stopping after SIG(INT|TERM), exiting now/);
      else assert.equal(code, 0, 'the first signal stopped it before the second was handled');
    } finally {
      kill(first?.child);
      kill(second?.child);
    }
  });
});
