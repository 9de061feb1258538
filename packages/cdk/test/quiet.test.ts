/**
 * A green run looks green: the negative test that provokes a cdk-nag report (synthesis fails, as it
 * should) captures that report instead of printing ERROR lines among the passing tests.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

test('the passing cdk-nag negative test prints no ERROR line', () => {
  // Without NODE_TEST_CONTEXT the child reports on stdout, as a run in a terminal does.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const result = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-reporter=tap',
      '--test-name-pattern=cdk-nag is really applied',
      join(import.meta.dirname, 'example.test.ts'),
    ],
    { encoding: 'utf8', timeout: 120_000, env },
  );
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  assert.match(result.stdout, /^ok \d+ - cdk-nag is really applied/m);
  const output = `${result.stdout}${result.stderr}`;
  assert.doesNotMatch(output, /\bERROR\b/, output);
});
