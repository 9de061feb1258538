/**
 * The shape of ecs-sd's source (issue 13): a reader sees any file or class on a few screens, no
 * folders import each other in a circle, and config depends on nothing it configures (only the
 * leaf modules of lib/, errors.ts and npm packages). The checker is shared with the other packages
 * (packages/testkit/src/structure.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  classSizes,
  cycles,
  importGraphs,
  importsBeyond,
  importsOf,
  lineCount,
  longClasses,
  longFiles,
} from '../../testkit/src/structure.ts';

const MAX_FILE_LINES = 400;
const MAX_CLASS_LINES = 250;
const SRC = fileURLToPath(new URL('../src/', import.meta.url));
/** What config may import besides itself: leaf modules of facts and the errors. */
const CONFIG_LEAVES = ['lib', 'errors.ts'];
/** Files the runtime part of issue 13 does not own; their split is tracked by the `todo` test below. */
const NOT_YET_SPLIT = ['events/parse.ts'];

describe('source structure of ecs-sd', () => {
  it(`has no source file over ${MAX_FILE_LINES} lines (but ${NOT_YET_SPLIT.join(', ')})`, () => {
    const long = longFiles(SRC, MAX_FILE_LINES).filter((f) => !NOT_YET_SPLIT.includes(f.file));
    assert.deepEqual(long, []);
  });

  it(`has no source file over ${MAX_FILE_LINES} lines at all`, {
    todo: `${NOT_YET_SPLIT.join(', ')} is split outside this branch`,
  }, () => {
    assert.deepEqual(longFiles(SRC, MAX_FILE_LINES), []);
  });

  it(`has no class over ${MAX_CLASS_LINES} lines`, () => {
    assert.deepEqual(longClasses(SRC, MAX_CLASS_LINES), []);
  });

  it('has no files that import each other, directly or in a circle', () => {
    assert.deepEqual(cycles(importGraphs(SRC).files), []);
  });

  it('has no folders that import each other in a circle, config aside', () => {
    const { folders } = importGraphs(SRC);
    // config's imports of what it configures are the config part's to remove (the `todo` below).
    folders.set(
      'config',
      new Set([...(folders.get('config') ?? [])].filter((to) => CONFIG_LEAVES.includes(to))),
    );
    assert.deepEqual(cycles(folders), []);
  });

  it('has no folders that import each other in a circle', {
    todo: 'config still imports aws (the config part of issue 13)',
  }, () => {
    assert.deepEqual(cycles(importGraphs(SRC).folders), []);
  });

  it('config imports only leaf modules: lib/, errors.ts and npm packages', {
    todo: 'the config part of issue 13',
  }, () => {
    assert.deepEqual(importsBeyond(SRC, 'config', CONFIG_LEAVES), []);
  });

  it('finds every import, class, long file, circle and import beyond the leaves it is asked about (the checks can fail)', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b/b.ts';",
      "export { c } from './c.ts';",
      "import './side-effect.ts';",
      "import { x } from 'node:fs';",
      "const d = await import('./d.ts');",
      'export class Big {',
      '  m(): void {',
      '  }',
      '}',
      'class Small {}',
      '',
    ].join('\n');
    assert.deepEqual(importsOf(text), ['./a.ts', '../b/b.ts', './c.ts', './side-effect.ts', './d.ts']);
    assert.deepEqual(classSizes(text), [
      { name: 'Big', lines: 4 },
      { name: 'Small', lines: 1 },
    ]);
    assert.equal(lineCount(text), 11);
    const g = (edges: Record<string, string[]>): Map<string, Set<string>> =>
      new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));
    assert.deepEqual(cycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'], e: [] })), [['a', 'b', 'c']]);
    assert.deepEqual(cycles(g({ config: ['aws'], aws: ['config', 'lib'], lib: [] })), [['aws', 'config']]);
    // This source tree: its root files are components of their own, and the long files are found.
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
