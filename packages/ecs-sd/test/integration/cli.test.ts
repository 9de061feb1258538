/**
 * The `ecs-sd` command as a child process against an in-process ecs-sim: `--once`, `explain`
 * (discovering, and asking a running daemon with `--url`), and the daemon stopping on SIGTERM.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '@ecs-sd/testkit';
import bcrypt from 'bcryptjs';
import { type Sim, startSim } from 'ecs-sim';
import { main } from '../../src/cli.ts';
import { INTERVALS, intervalFileName } from '../../src/lib/intervals.ts';
import { assertGolden, childEnv, loadFleet, useTestCredentials } from './helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** Runs `main` in this process (fast: no new process, the SDK is loaded once). */
async function runInProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, childEnv(env), {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/** Runs the CLI as a child process. */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: childEnv(env), timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('ecs-sd against ecs-sim', () => {
  let sim: Sim;
  let dir: string;
  let aws: string[];

  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-cli-sim-'));
    aws = ['--aws.region=us-east-1', `--aws.endpoint=${sim.endpoint}`];
  });

  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('--once writes the prometheus-ecs-sd layout and prints a one-line summary', async () => {
    const out = join(dir, 'once');
    const result = await run(['--once', ...aws, '--log.level=warn', `--output.directory=${out}`]);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.equal(result.stdout, '2 clusters, 7 tasks, 7 targets, skipped: none\n');
    for (const interval of INTERVALS) {
      const name = intervalFileName(interval);
      await assertGolden(`steady/${name}`, await readFile(join(out, name), 'utf8'));
    }
  });

  test('--once logs no "ready" (it does not become a running daemon), and each log line names its component', async () => {
    const out = join(dir, 'once-log');
    const result = await runInProcess(['--once', ...aws, '--log.format=json', `--output.directory=${out}`]);
    assert.equal(result.code, 0, result.stderr);
    const records = result.stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.length > 0);
    assert.deepEqual(
      records.filter((record) => typeof record['component'] !== 'string'),
      [],
    );
    assert.deepEqual(
      records.filter((record) => /ready/.test(String(record['msg']))),
      [],
    );
  });

  test('the Python tool drop-in flags work: --directory and --interval', async () => {
    const out = join(dir, 'python');
    const result = await runInProcess(['--once', ...aws, '--directory', out, '--interval', '30']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      await readFile(join(out, '1m-tasks.json'), 'utf8'),
      await readFile(join(dir, 'once', '1m-tasks.json'), 'utf8'),
    );
  });

  test('--once exits 1 and writes nothing when a cluster cannot be read', async () => {
    const out = join(dir, 'denied');
    const fault = sim.faults.add({ operation: 'ListTasks', kind: 'access-denied', cluster: 'beta' });
    try {
      const result = await runInProcess(['--once', ...aws, `--output.directory=${out}`, '--log.level=error']);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /^1 clusters, 5 tasks, 5 targets, skipped: none, 1 failures\n$/);
      assert.match(
        result.stderr,
        /list tasks failed for cluster "beta" of source "us-east-1": AccessDeniedException/,
      );
      await assert.rejects(readFile(join(out, '1m-tasks.json')), { code: 'ENOENT' });
    } finally {
      sim.faults.remove(fault);
    }
  });

  test('explain discovers and prints the decision of a task by id, and exits 1 for an unknown task', async () => {
    const task = [...sim.world.account(sim.accountId).clusters.get('alpha')!.tasks.values()].find(
      (candidate) => candidate.taskDefinition.family === 'api',
    )!;
    const byId = await runInProcess(['explain', task.id, ...aws]);
    assert.equal(byId.code, 0, byId.stderr);
    assert.match(byId.stdout, new RegExp(task.id));
    const byArn = await runInProcess(['explain', task.arn, ...aws]);
    assert.equal(byArn.code, 0, byArn.stderr);
    assert.equal(byArn.stdout, byId.stdout);
    const unknown = await runInProcess(['explain', '0123456789abcdef0123456789abcdef', ...aws]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^task "0123456789abcdef0123456789abcdef" not found in 2 clusters\n$/);
  });

  test('--web.config.file puts basic auth in front of the web server', async () => {
    const webConfig = join(dir, 'web.yml');
    await writeFile(
      webConfig,
      `basic_auth_users:\n  prometheus: ${JSON.stringify(bcrypt.hashSync('s3cret', 4))}\n`,
    );
    let stop: (signal: string) => void = () => {};
    let listening: (address: AddressInfo) => void = () => {};
    const address = new Promise<AddressInfo>((resolve) => {
      listening = resolve;
    });
    const exit = main(
      [...aws, '--log.level=error', '--web.listen-address=127.0.0.1:0', `--web.config.file=${webConfig}`],
      childEnv(),
      {
        stdout: () => {},
        stderr: () => {},
        stopSignal: () =>
          new Promise((resolve) => {
            stop = resolve;
          }),
        onListening: listening,
      },
    );
    const url = `http://127.0.0.1:${(await address).port}`;
    assert.equal((await fetch(`${url}/-/healthy`)).status, 401);
    const auth = { authorization: `Basic ${Buffer.from('prometheus:s3cret').toString('base64')}` };
    assert.equal((await fetch(`${url}/-/healthy`, { headers: auth })).status, 200);
    const wrong = { authorization: `Basic ${Buffer.from('prometheus:wrong').toString('base64')}` };
    assert.equal((await fetch(`${url}/-/healthy`, { headers: wrong })).status, 401);
    // The daemon's registry counts what basic auth refused.
    const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
    assert.match(metrics, /^ecs_sd_web_auth_failures_total\{reason="missing"\} 1$/m);
    assert.match(metrics, /^ecs_sd_web_auth_failures_total\{reason="invalid"\} 1$/m);
    assert.match(metrics, /^ecs_sd_web_auth_checks_total\{result="failed"\} 1$/m);
    stop('SIGTERM');
    assert.equal(await exit, 0);
  });

  test('the daemon serves http_sd, answers explain --url, and stops on SIGTERM', async () => {
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [CLI, ...aws, '--log.level=info', '--log.format=json', '--web.listen-address=127.0.0.1:0'],
        {
          env: childEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
      const address = await waitUntil('the daemon to listen', () => {
        const line = stderr.split('\n').find((candidate) => candidate.includes('"msg":"listening"'));
        return line === undefined ? undefined : (JSON.parse(line) as { address: string }).address;
      });
      const url = `http://${address}`;
      await waitUntil('the daemon to be ready', async () => (await fetch(`${url}/-/ready`)).status === 200);
      const groups = (await (await fetch(`${url}/http-sd`)).json()) as { targets: string[] }[];
      assert.equal(groups.flatMap((group) => group.targets).length, 7);

      const task = [...sim.world.account(sim.accountId).clusters.get('beta')!.tasks.values()][0]!;
      sim.resetCounters();
      const explained = await runInProcess(['explain', task.arn, `--url=${url}`]);
      assert.equal(explained.code, 0, explained.stderr);
      assert.match(explained.stdout, new RegExp(task.id));
      assert.deepEqual(sim.counters().DescribeTasks, undefined, 'explain --url costs no AWS calls');
      const missing = await runInProcess(['explain', 'ffffffffffffffffffffffffffffffff', `--url=${url}`]);
      assert.equal(missing.code, 1);

      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(stderr, /"msg":"stopping"/);
    } finally {
      if (child?.exitCode === null) child.kill('SIGKILL');
    }
  });
});
