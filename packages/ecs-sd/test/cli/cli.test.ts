import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/ecs-sd.yaml', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../package.json', import.meta.url));

/** Runs the CLI as a child process with a clean environment. */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 30_000 },
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

describe('ecs-sd command line', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(PACKAGE, 'utf8')) as { version: string };
    const result = await run(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `ecs-sd ${version}\n`);
  });

  test('--help exits 0 and lists the commands', async () => {
    const result = await run(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /ecs-sd check-config FILE/);
    assert.match(result.stdout, /ecs-sd explain TASK/);
  });

  test('the example config passes check-config', async () => {
    const result = await run(['check-config', EXAMPLE]);
    assert.deepEqual(result, { code: 0, stdout: `${EXAMPLE}: ok\n`, stderr: '' });
  });

  test('check-config exits 2 with one line per problem', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'refresh_interval: soon\nlog: { level: loud, colour: red }\n');
    const result = await run(['check-config', file]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.deepEqual(result.stderr.trimEnd().split('\n').sort(), [
      'log.colour: unknown key, expected one of level, format',
      'log.level: got "loud", expected one of "debug", "info", "warn", "error"',
      'refresh_interval: "soon" is not a duration, expected e.g. 30s, 1m, 1h30m or a number of seconds',
    ]);
  });

  test('check-config of a missing file exits 2 naming it', async () => {
    const result = await run(['check-config', join(dir, 'nope.yaml')]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^check-config: cannot read ".*nope\.yaml" \(ENOENT\), expected a readable YAML file\n$/,
    );
  });

  test('unknown flags and bad environment values exit 2 before doing anything', async () => {
    const flag = await run(['--once', '--web.listen-adress=:1']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^--web\.listen-adress: unknown flag, expected one of /);
    const env = await run(['--once'], { ECS_SD_OUTPUT_FORMAT: 'toml', ECS_SD_REFRESH_INTERVAL: 'often' });
    assert.equal(env.code, 2);
    assert.deepEqual(env.stderr.trimEnd().split('\n').sort(), [
      'ECS_SD_OUTPUT_FORMAT (output.format): got "toml", expected one of "json", "yaml"',
      'ECS_SD_REFRESH_INTERVAL (refresh_interval): "often" is not a duration, expected e.g. 30s, 1m, 1h30m or a number of seconds',
    ]);
  });

  test('--once against an unreachable endpoint exits 1 and writes nothing', async () => {
    const out = join(dir, 'unreachable');
    const result = await run(
      [
        '--once',
        '--aws.region=us-east-1',
        '--aws.endpoint=http://127.0.0.1:9',
        `--output.directory=${out}`,
        '--log.level=error',
      ],
      { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_MAX_ATTEMPTS: '1' },
    );
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^0 clusters, 0 tasks, 0 targets, skipped: none, 1 failures\n$/);
    assert.match(result.stderr, /discovery failed: no file_sd output written/);
    await assert.rejects(readFile(join(out, '1m-tasks.json')), { code: 'ENOENT' });
  });
});
