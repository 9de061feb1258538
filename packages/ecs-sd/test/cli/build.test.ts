import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const TSC = fileURLToPath(new URL('../../../../node_modules/typescript/bin/tsc', import.meta.url));

test('tsconfig.build.json compiles src to dist, and node dist/cli.js runs (the container image uses it)', async () => {
  const build = await run(process.execPath, [TSC, '-p', 'tsconfig.build.json'], {
    cwd: PACKAGE_DIR,
    timeout: 120_000,
  });
  assert.equal(build.stdout, '');
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
});
