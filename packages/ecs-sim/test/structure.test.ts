/**
 * Size limits and import circles of the simulator's source (issue 13): a reader sees a file or a
 * class on a few screens, and nothing imports in a circle. The checker is testkit's, shared with
 * ecs-sd and tested there (packages/testkit/test/structure.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cycles, importGraphs, longClasses, longFiles } from '@ecs-sd/testkit';

const MAX_FILE_LINES = 400;
const MAX_CLASS_LINES = 250;

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

describe('source structure of ecs-sim', () => {
  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    assert.deepEqual(longFiles(SRC, MAX_FILE_LINES), []);
  });

  it(`has no class over ${MAX_CLASS_LINES} lines`, () => {
    assert.deepEqual(longClasses(SRC, MAX_CLASS_LINES), []);
  });

  it('has no folders that import each other, directly or in a circle', () => {
    assert.deepEqual(cycles(importGraphs(SRC).folders), []);
  });

  it('has no files that import each other, directly or in a circle', () => {
    assert.deepEqual(cycles(importGraphs(SRC).files), []);
  });

  it('reads this source tree: the simulator, its admin API and its server are found with their imports', () => {
    const { folders } = importGraphs(SRC);
    assert.ok(folders.get('sim.ts')?.has('server'), 'sim.ts imports server');
    assert.ok(folders.get('admin')?.has('state'), 'admin imports state');
    assert.ok(longFiles(SRC, 100).length > 3, 'files over 100 lines are found');
  });
});
