import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { appendFile, chmod, chown, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { waitUntil } from '@ecs-sd/testkit';
import { entrypoint, PACKAGE_DIR, REPO_DIR } from './support/dockerfile.ts';

// The image's compile cache for real: dist/compile-cache.js warms a directory as the Dockerfile's
// RUN does, and a daemon reads it with the directory read-only, as under `docker run --read-only`.
const run = promisify(execFile);
const TSC = join(REPO_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
/** The node flags between node and dist/cli.js in the image's ENTRYPOINT. */
const FLAGS = entrypoint().slice(1, -1);
// Root writes whatever the mode, so as root the cache is warmed and read as the image's user, for
// whom a 0555 directory is read-only (Node names the cache after the user id too).
const AS_USER = process.getuid?.() === 0 ? { uid: 65532, gid: 65532 } : {};

/** Each file of a directory with its modification time: what a write would change. */
async function snapshot(directory: string): Promise<string[]> {
  const names = await readdir(directory);
  return Promise.all(names.map(async (name) => `${name} ${(await stat(join(directory, name))).mtimeMs}`));
}

describe("the image's compile cache", () => {
  let work: string;
  let dist: string;
  let cache: string;
  let env: Record<string, string>;
  before(async () => {
    // A build of its own, next to the package so dist/ finds node_modules, and not build.test.ts's dist/.
    await mkdir(join(PACKAGE_DIR, 'test', 'artifacts'), { recursive: true });
    work = await mkdtemp(join(PACKAGE_DIR, 'test', 'artifacts', 'compile-cache-'));
    dist = join(work, 'dist');
    cache = join(work, 'cache');
    await run(
      process.execPath,
      [TSC, '-p', 'tsconfig.build.json', '--outDir', dist, '--declaration', 'false'],
      {
        cwd: PACKAGE_DIR,
        timeout: 120_000,
      },
    );
    await mkdir(cache);
    await mkdir(join(work, 'out'));
    await chmod(work, 0o755);
    if (AS_USER.uid !== undefined) {
      for (const path of [cache, join(work, 'out')]) await chown(path, AS_USER.uid, AS_USER.gid);
    }
    env = {
      PATH: process.env['PATH'] ?? '',
      HOME: work,
      NODE_ENV: 'production',
      NODE_COMPILE_CACHE: cache,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    };
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('dist/compile-cache.js fills the cache with every module the daemon loads, and the CLI reads them', async () => {
    const warm = await run(process.execPath, [...FLAGS, join(dist, 'compile-cache.js')], {
      env,
      timeout: 30_000,
      ...AS_USER,
    });
    assert.match(warm.stdout, /^compile cache \S+: \d+ modules of ecs-sd and the AWS SDK clients\n$/);
    const uid = AS_USER.uid ?? process.getuid?.() ?? 0;
    const [versioned, ...others] = await readdir(cache);
    assert.deepEqual(others, [], 'one cache: this Node, these flags, this user');
    assert.match(versioned!, new RegExp(`^v${process.versions.node}-${process.arch}-\\w+-${uid}$`));
    const compiled = (await readdir(dist, { recursive: true })).filter((name) => name.endsWith('.js'));
    const entries = await readdir(join(cache, versioned!));
    // ecs-sd's own modules, then the SDK clients' (client-ec2 alone is hundreds).
    assert.ok(
      entries.length > compiled.length + 200,
      `${entries.length} entries for ${compiled.length} modules`,
    );

    const version = await run(process.execPath, [...FLAGS, join(dist, 'cli.js'), '--version'], {
      env: { ...env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
      timeout: 30_000,
      ...AS_USER,
    });
    assert.match(version.stderr, /V8 code cache for ESM \S+\/dist\/cli\.js was accepted/);
  });

  it('a daemon with the warmed cache read-only starts and serves, and says nothing of the modules it cannot cache', async () => {
    const versioned = join(cache, (await readdir(cache))[0]!);
    const before = await snapshot(versioned);
    for (const path of [versioned, cache]) await chmod(path, 0o555);
    // One module the cache does not hold (as after an upgrade): Node would write it at exit.
    await appendFile(join(dist, 'cli.js'), '\n// changed after the cache was warmed\n');
    const daemon = spawn(
      process.execPath,
      [
        ...FLAGS,
        join(dist, 'cli.js'),
        '--web.listen-address=127.0.0.1:0',
        '--log.format=json',
        '--aws.region=us-east-1',
        '--aws.endpoint=http://127.0.0.1:9',
        `--output.directory=${join(work, 'out')}`,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'], ...AS_USER },
    );
    let output = '';
    for (const stream of [daemon.stdout, daemon.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
    }
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    try {
      const address = await waitUntil(
        'the daemon listening',
        () => /"address":"([^"]+)","sources":1,"msg":"listening"/.exec(output)?.[1],
        { timeoutMs: 20_000 },
      );
      const healthy = await fetch(`http://${address}/-/healthy`);
      assert.equal(healthy.status, 200);
    } finally {
      daemon.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output);
    const notLogs = output.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
    assert.deepEqual(notLogs, [], 'only the log: no warning about a cache it cannot write');
    assert.deepEqual(await snapshot(versioned), before, 'the read-only cache is as it was warmed');
  });
});
