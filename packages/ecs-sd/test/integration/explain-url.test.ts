/**
 * explain --url and healthcheck against a daemon behind TLS and basic auth: credentials from
 * --url.username and --url.password-file or from the URL itself, a CA from --url.ca-file, and
 * every failure said in words (401, an untrusted certificate, the wrong scheme, nothing listening)
 * without ever echoing a credential.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, waitUntil } from '@ecs-sd/testkit';
import bcrypt from 'bcryptjs';
import { type Sim, startSim } from 'ecs-sim';
import { main } from '../../src/cli.ts';
import { CA_CERT, SERVER_CERT, SERVER_KEY } from '../server/tls-fixtures.ts';
import { childEnv, loadFleet, useTestCredentials } from './helpers.ts';

const PASSWORD = 'correct-horse-battery';
const WRONG = 'Tr0ub4dor-wrong';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, childEnv(), {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

describe('explain --url and healthcheck with TLS and basic auth', () => {
  let sim: Sim;
  let dir: string;
  let port: number;
  let stop: (signal: string) => void = () => {};
  let exit: Promise<number>;
  let taskArn: string;
  const files = { ca: '', password: '', wrong: '', web: '' };

  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-explain-url-'));
    files.ca = join(dir, 'ca.pem');
    files.password = join(dir, 'password');
    files.wrong = join(dir, 'wrong');
    files.web = join(dir, 'web.yml');
    await writeFile(files.ca, CA_CERT);
    await writeFile(files.password, `${PASSWORD}\n`);
    await writeFile(files.wrong, WRONG);
    await writeFile(join(dir, 'server.crt'), SERVER_CERT);
    await writeFile(join(dir, 'server.key'), SERVER_KEY);
    await writeFile(
      files.web,
      `tls_server_config: { cert_file: server.crt, key_file: server.key }\nbasic_auth_users:\n  prometheus: ${JSON.stringify(bcrypt.hashSync(PASSWORD, 4))}\n`,
    );
    port = await freePort();
    let listening: (address: AddressInfo) => void = () => {};
    const address = new Promise<AddressInfo>((resolve) => {
      listening = resolve;
    });
    exit = main(
      [
        '--aws.region=us-east-1',
        `--aws.endpoint=${sim.endpoint}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.config.file=${files.web}`,
        '--log.level=error',
      ],
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
    await address;
    taskArn = [...sim.world.account(sim.accountId).clusters.get('alpha')!.tasks.values()][0]!.arn;
    await waitUntil('the daemon ready', async () => {
      const result = await cli([
        'explain',
        taskArn,
        `--url=https://prometheus:${PASSWORD}@127.0.0.1:${port}`,
        `--url.ca-file=${files.ca}`,
      ]);
      return result.code === 0;
    });
  });
  after(async () => {
    stop('SIGTERM');
    assert.equal(await exit, 0);
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** No output of a failure may hold a password, or the URL's user and password. */
  function assertNoCredential(result: { stdout: string; stderr: string }): void {
    for (const secret of [PASSWORD, WRONG, 'prometheus:', '@127.0.0.1'])
      assert.ok(
        !`${result.stdout}${result.stderr}`.includes(secret),
        `output holds ${JSON.stringify(secret)}: ${result.stderr}`,
      );
  }

  test('credentials from --url.username and --url.password-file, the CA from --url.ca-file', async () => {
    const result = await cli([
      'explain',
      taskArn,
      `--url=https://127.0.0.1:${port}`,
      '--url.username=prometheus',
      `--url.password-file=${files.password}`,
      `--url.ca-file=${files.ca}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(taskArn.split('/').at(-1)!));
  });

  test('a wrong password in the URL: 401 in words, and neither it nor the user is echoed', async () => {
    const result = await cli([
      'explain',
      taskArn,
      `--url=https://prometheus:${WRONG}@127.0.0.1:${port}/`,
      `--url.ca-file=${files.ca}`,
    ]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `ecs-sd: the daemon at https://127.0.0.1:${port}/ answered 401 Unauthorized: wrong user name or password\n`,
    );
    assertNoCredential(result);
  });

  test('no credentials: says which flags give them', async () => {
    const result = await cli([
      'explain',
      taskArn,
      `--url=https://127.0.0.1:${port}`,
      `--url.ca-file=${files.ca}`,
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /answered 401 Unauthorized: the daemon asks for basic auth, expected --url\.username and --url\.password-file\n$/,
    );
  });

  test('a certificate the client does not trust, the wrong scheme, nothing listening: each in words, no credential echoed', async () => {
    const untrusted = await cli([
      'explain',
      taskArn,
      `--url=https://prometheus:${PASSWORD}@127.0.0.1:${port}`,
    ]);
    assert.equal(untrusted.code, 1);
    assert.match(
      untrusted.stderr,
      /^ecs-sd: asking the daemon at https:\/\/127\.0\.0\.1:\d+\/ failed: the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\), expected it signed by a CA given with --url\.ca-file\n$/,
    );
    assertNoCredential(untrusted);
    const plain = await cli(['explain', taskArn, `--url=http://prometheus:${PASSWORD}@127.0.0.1:${port}`]);
    assert.equal(plain.code, 1);
    assert.match(
      plain.stderr,
      /closed the connection without an answer \(does the daemon serve https\? then use an https:\/\/ URL\)|answered 400/,
    );
    assertNoCredential(plain);
    const closed = await freePort();
    const refused = await cli([
      'explain',
      taskArn,
      `--url=http://prometheus:${PASSWORD}@127.0.0.1:${closed}`,
    ]);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `ecs-sd: asking the daemon at http://127.0.0.1:${closed}/ failed: nothing listens at http://127.0.0.1:${closed} (connection refused)\n`,
    );
    assertNoCredential(refused);
  });

  test('healthcheck: alive without a password (401 asking for basic auth), healthy with the right one, failing with a wrong one', async () => {
    const flags = [`--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${files.web}`];
    const alive = await cli(['healthcheck', ...flags]);
    assert.equal(alive.code, 0, alive.stderr);
    assert.match(
      alive.stdout,
      /^ecs-sd at https:\/\/127\.0\.0\.1:\d+ is up \(401 without credentials: basic auth is on/,
    );
    const healthy = await cli([
      'healthcheck',
      ...flags,
      '--url.username=prometheus',
      `--url.password-file=${files.password}`,
    ]);
    assert.deepEqual(healthy, {
      code: 0,
      stdout: `ecs-sd at https://127.0.0.1:${port} is healthy\n`,
      stderr: '',
    });
    const wrong = await cli([
      'healthcheck',
      ...flags,
      '--url.username=prometheus',
      `--url.password-file=${files.wrong}`,
    ]);
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      `ecs-sd healthcheck: https://127.0.0.1:${port}/-/healthy answered 401 Unauthorized: wrong user name or password\n`,
    );
    assertNoCredential(wrong);
  });
});
