/** The source-structure checks every package's structure test uses: each finds what it is asked about, so those tests can fail. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  classSizes,
  cycles,
  importGraphs,
  importsBeyond,
  importsOf,
  lineCount,
  longClasses,
  longFiles,
  sourceFiles,
} from '../src/index.ts';

const g = (edges: Record<string, string[]>): Map<string, Set<string>> =>
  new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

describe('structure checks', () => {
  it('finds every import, class and line of a text', () => {
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
  });

  it('finds every circle of a graph, and none where there is none', () => {
    assert.deepEqual(cycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'], e: [] })), [['a', 'b', 'c']]);
    assert.deepEqual(cycles(g({ config: ['aws'], aws: ['config', 'lib'], lib: [] })), [['aws', 'config']]);
    assert.deepEqual(cycles(g({ admin: ['sim'], sim: ['admin', 'server'], server: [] })), [['admin', 'sim']]);
    assert.deepEqual(cycles(g({ api: ['state'], state: [], server: ['api', 'state'] })), []);
  });

  describe('on a source tree', () => {
    const root = mkdtempSync(join(tmpdir(), 'testkit-structure-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    const files: Record<string, string> = {
      'main.ts': "import { x } from './a/x.ts';\nimport { leaf } from './leaf.ts';\n",
      'leaf.ts': 'export const leaf = 1;\n',
      'a/x.ts': "import { y } from '../b/y.ts';\nimport { z } from '../c/z.ts';\nexport const x = 1;\n",
      'a/w.ts': "import { x } from './x.ts';\nimport { leaf } from '../leaf.ts';\n",
      'b/y.ts': "import { x } from '../a/x.ts';\nexport const y = 1;\n",
      'c/z.ts': 'export class Z {\n  a = 1;\n  b = 2;\n}\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }

    it('follows relative imports into file and folder graphs; a root file is a component of its own', () => {
      assert.equal(sourceFiles(root).length, 6);
      const { files: fileGraph, folders } = importGraphs(root);
      assert.deepEqual(cycles(fileGraph), [['a/x.ts', 'b/y.ts']]);
      assert.deepEqual(cycles(folders), [['a', 'b']]);
      assert.deepEqual([...(folders.get('main.ts') ?? [])].sort(), ['a', 'leaf.ts']);
      assert.deepEqual([...(folders.get('a') ?? [])].sort(), ['b', 'c', 'leaf.ts']);
    });

    it('names the imports of a folder beyond the paths it may use, and the long files and classes', () => {
      assert.deepEqual(importsBeyond(root, 'a', ['c', 'leaf.ts']), ['a/x.ts -> b/y.ts']);
      assert.deepEqual(importsBeyond(root, 'a', ['b', 'c', 'leaf.ts']), []);
      assert.deepEqual(longFiles(root, 2), [
        { file: 'a/x.ts', lines: 3 },
        { file: 'c/z.ts', lines: 4 },
      ]);
      assert.deepEqual(longClasses(root, 3), [{ file: 'c/z.ts', name: 'Z', lines: 4 }]);
      assert.deepEqual(longClasses(root, 4), []);
    });
  });
});
