import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitUntil } from '@ecs-sd/testkit';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const TSC = fileURLToPath(new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url));

test('the build compiles src to dist and records the git revision, bundles client-ec2; node dist/cli.js runs (the container image uses it)', async () => {
  const build = await run(process.execPath, [TSC, '-p', 'tsconfig.build.json'], {
    cwd: PACKAGE_DIR,
    timeout: 120_000,
  });
  assert.equal(build.stdout, '');
  // The second half of `npm run build`: dist/build-info.json from ECS_SD_REVISION, else git.
  const { ECS_SD_REVISION: _, ...env } = process.env;
  const info = await run(process.execPath, ['scripts/build-info.ts'], {
    cwd: PACKAGE_DIR,
    env,
    timeout: 30_000,
  });
  const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_DIR })).stdout.trim();
  assert.equal(info.stdout, `dist/build-info.json: revision ${head}\n`);
  assert.deepEqual(JSON.parse(await readFile(`${PACKAGE_DIR}dist/build-info.json`, 'utf8')), {
    revision: head,
  });
  // The third: dist/vendor/client-ec2.cjs, which the compiled daemon loads instead of the package.
  const bundle = await run(process.execPath, ['scripts/bundle-ec2.ts'], {
    cwd: PACKAGE_DIR,
    timeout: 60_000,
  });
  assert.match(
    bundle.stdout,
    /dist\/vendor\/client-ec2\.cjs: @aws-sdk\/client-ec2 with EC2Client, DescribeInstancesCommand, \d+ KiB/,
  );
  const loaded = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module';
       const { ec2Sdk } = await import('./dist/lib/sdk.js');
       const sdk = ec2Sdk();
       const cache = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('client-ec2'));
       console.log(JSON.stringify({ client: typeof sdk.EC2Client, command: typeof sdk.DescribeInstancesCommand, cache }));`,
    ],
    { cwd: PACKAGE_DIR, timeout: 30_000 },
  );
  const sdk = JSON.parse(loaded.stdout) as { client: string; command: string; cache: string[] };
  assert.equal(sdk.client, 'function');
  assert.equal(sdk.command, 'function');
  assert.deepEqual(
    sdk.cache.map((path) => path.slice(PACKAGE_DIR.length)),
    ['dist/vendor/client-ec2.cjs'],
    'the compiled daemon loads the bundle, not the package with all of EC2',
  );
  const { version } = JSON.parse(await readFile(`${PACKAGE_DIR}package.json`, 'utf8')) as { version: string };
  const cli = await run(process.execPath, ['dist/cli.js', '--version'], {
    cwd: PACKAGE_DIR,
    timeout: 30_000,
  });
  assert.equal(cli.stdout, `ecs-sd ${version}\n`);
  const check = await run(process.execPath, ['dist/cli.js', 'check-config', 'examples/ecs-sd.yaml'], {
    cwd: PACKAGE_DIR,
    timeout: 30_000,
  });
  assert.equal(check.stdout, 'examples/ecs-sd.yaml: ok\n');

  // The compiled daemon says what it is: ecs_sd_build_info with the revision it was built from.
  const daemon = spawn(
    process.execPath,
    [
      'dist/cli.js',
      '--web.listen-address=127.0.0.1:0',
      '--log.format=json',
      '--aws.region=us-east-1',
      '--aws.endpoint=http://127.0.0.1:9',
    ],
    {
      cwd: PACKAGE_DIR,
      env: { PATH: process.env['PATH'] ?? '', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  daemon.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise((resolve) => daemon.on('exit', resolve));
  try {
    const address = await waitUntil(
      'the daemon listening',
      () => /"address":"([^"]+)","sources":1,"msg":"listening"/.exec(stderr)?.[1],
    );
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(
        `^ecs_sd_build_info\\{version="${version}",revision="${head}",nodejs="${process.version}"\\} 1$`,
        'm',
      ),
    );
    assert.match(
      stderr,
      new RegExp(`"component":"main","version":"${version}","revision":"${head}".*"msg":"starting ecs-sd"`),
    );
  } finally {
    daemon.kill('SIGTERM');
    await exited;
  }
});
