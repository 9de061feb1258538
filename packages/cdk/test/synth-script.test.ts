import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('../examples/app.ts', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'ecs-sd-synth-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

test('`npm run synth` (node examples/app.ts) writes ./cdk.out offline', () => {
  const env = { ...process.env };
  delete env['CDK_OUTDIR'];
  const result = spawnSync(process.execPath, [app], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^synthesized EcsSdExample into cdk\.out$/m);
  const manifest = JSON.parse(readFileSync(join(cwd, 'cdk.out', 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string }>;
  };
  assert.equal(manifest.artifacts['EcsSdExample']?.type, 'aws:cloudformation:stack');
  assert.ok(existsSync(join(cwd, 'cdk.out', 'EcsSdExample.template.json')));
});
