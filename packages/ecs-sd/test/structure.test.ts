/**
 * The shape of ecs-sd's source (issue 13): a reader sees any file or class on a few screens, no
 * folders import each other in a circle, and config depends on nothing it configures (only the
 * leaf modules of lib/, errors.ts and npm packages). The checker is testkit's, shared with ecs-sim
 * and tested there (packages/testkit/test/structure.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cycles, importGraphs, importsBeyond, longClasses, longFiles } from '@ecs-sd/testkit';

const MAX_FILE_LINES = 400;
const MAX_CLASS_LINES = 250;
const SRC = fileURLToPath(new URL('../src/', import.meta.url));
/** What config may import besides itself: leaf modules of facts and the errors. */
const CONFIG_LEAVES = ['lib', 'errors.ts'];

describe('source structure of ecs-sd', () => {
  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    assert.deepEqual(longFiles(SRC, MAX_FILE_LINES), []);
  });

  it(`has no class over ${MAX_CLASS_LINES} lines`, () => {
    assert.deepEqual(longClasses(SRC, MAX_CLASS_LINES), []);
  });

  it('has no files that import each other, directly or in a circle', () => {
    assert.deepEqual(cycles(importGraphs(SRC).files), []);
  });

  it('has no folders that import each other in a circle', () => {
    assert.deepEqual(cycles(importGraphs(SRC).folders), []);
  });

  it('config imports only leaf modules: lib/, errors.ts and npm packages', () => {
    assert.deepEqual(importsBeyond(SRC, 'config', CONFIG_LEAVES), []);
  });

  it('lib/ imports nothing of ecs-sd outside itself: its modules are leaves', () => {
    assert.deepEqual(importsBeyond(SRC, 'lib', []), []);
  });

  it('reads this source tree: its root files are components of their own, and long files and classes are found', () => {
    const { folders } = importGraphs(SRC);
    assert.ok(folders.get('cli.ts')?.has('config'), 'cli.ts imports config');
    assert.ok(folders.get('daemon')?.has('aws'), 'daemon imports aws');
    assert.ok(longFiles(SRC, 100).length > 5, 'files over 100 lines are found');
    assert.ok(
      longClasses(SRC, 100).some((c) => c.file === 'daemon/state.ts'),
      'DiscoveryState is over 100 lines',
    );
    assert.ok(importsBeyond(SRC, 'daemon', []).length > 0, 'daemon imports beyond itself');
  });
});
