import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireTool } from '../src/index.ts';

test('requireTool finds the first of several names and does not skip', () => {
  const node = requireTool(['ecs-sd-testkit-no-such-binary', 'node'], 'nodejs', {});
  assert.equal(node.skip, false);
  assert.match(node.path, /node$/);
});

test('a missing tool skips the tests that need it, naming the Debian package', () => {
  const missing = requireTool('ecs-sd-testkit-no-such-binary', 'prometheus', {});
  assert.equal(
    missing.skip,
    'ecs-sd-testkit-no-such-binary not found; install the Debian package prometheus',
  );
  assert.throws(() => missing.path, { message: missing.skip });
});

test('where CI is set a missing tool does not skip: the test fails when it reads the path', () => {
  const missing = requireTool('ecs-sd-testkit-no-such-binary', 'prometheus', { CI: 'true' });
  assert.equal(missing.skip, false);
  assert.throws(() => missing.path, {
    message:
      'ecs-sd-testkit-no-such-binary not found and CI is set: .ci/run installs the Debian package prometheus',
  });
});
