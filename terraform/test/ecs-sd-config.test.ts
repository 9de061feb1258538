import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TERRAFORM_DIR } from './support/hcl.ts';
import { run } from './support/terraform-cli.ts';

// The prometheus module's tests assert that it renders exactly these files (terraform test compares
// them with file()); here ecs-sd's own `check-config` validates them, so the two cannot drift apart.
const FIXTURES = join(TERRAFORM_DIR, 'test', 'golden');
const CLI = join(TERRAFORM_DIR, '..', 'packages', 'ecs-sd', 'src', 'cli.ts');

async function checkConfig(file: string) {
  return run(process.execPath, [CLI, 'check-config', join(FIXTURES, file)], {
    cwd: TERRAFORM_DIR,
    env: { PATH: process.env['PATH'] ?? '' },
    timeoutMs: 30_000,
  });
}

describe('the ecs-sd configuration the prometheus module renders', () => {
  it('passes ecs-sd check-config for the default source (this account and region)', async () => {
    const result = await checkConfig('ecs-sd-default.yaml');
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /ecs-sd-default\.yaml: ok/);
  });

  it('passes ecs-sd check-config with event mode and a cross-account source', async () => {
    const result = await checkConfig('ecs-sd-events-cross-account.yaml');
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  });
});
