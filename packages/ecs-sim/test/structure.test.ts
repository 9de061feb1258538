import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Size limits of the simulator's source (issue 13): a reader sees a file or a class on a few screens. */
const MAX_FILE_LINES = 400;
const MAX_CLASS_LINES = 250;

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Lines as `wc -l` counts them. */
function lineCount(text: string): number {
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

/** Relative module specifiers of static imports, re-exports and dynamic imports (type-only ones included). */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    out.push(m[1]!);
  }
  return out;
}

/** Top-level classes and their length in lines, from `class Name` to the `}` that closes it in column 0. */
function classSizes(text: string): { name: string; lines: number }[] {
  const lines = text.split('\n');
  const out: { name: string; lines: number }[] = [];
  lines.forEach((line, i) => {
    const m = /^(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+(\w+)/.exec(line);
    if (!m) return;
    let end = i;
    if (!/\{\s*\}\s*$/.test(line)) while (end < lines.length && lines[end] !== '}') end++;
    out.push({ name: m[1]!, lines: end - i + 1 });
  });
  return out;
}

/** Strongly connected components with more than one node: every circle of the graph (Tarjan). */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return found;
}

/** Import graphs of the source tree: file to file, and folder to folder (imports inside one folder are no edge). */
function importGraphs(root: string): {
  files: Map<string, Set<string>>;
  folders: Map<string, Set<string>>;
} {
  const files = new Map<string, Set<string>>();
  const folders = new Map<string, Set<string>>();
  for (const file of sourceFiles(root)) {
    const from = relative(root, file);
    const targets = importsOf(readFileSync(file, 'utf8')).map((s) =>
      relative(root, resolve(dirname(file), s)),
    );
    files.set(from, new Set(targets));
    const folder = dirname(from);
    const edges = folders.get(folder) ?? new Set<string>();
    for (const t of targets) if (dirname(t) !== folder) edges.add(dirname(t));
    folders.set(folder, edges);
  }
  return { files, folders };
}

describe('source structure of ecs-sim', () => {
  const files = sourceFiles(SRC);

  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((f) => ({ file: relative(SRC, f), lines: lineCount(readFileSync(f, 'utf8')) }))
      .filter((f) => f.lines > MAX_FILE_LINES);
    assert.deepEqual(long, []);
  });

  it(`has no class over ${MAX_CLASS_LINES} lines`, () => {
    const long = files.flatMap((f) =>
      classSizes(readFileSync(f, 'utf8'))
        .filter((c) => c.lines > MAX_CLASS_LINES)
        .map((c) => ({ file: relative(SRC, f), ...c })),
    );
    assert.deepEqual(long, []);
  });

  it('has no folders that import each other, directly or in a circle', () => {
    assert.deepEqual(cycles(importGraphs(SRC).folders), []);
  });

  it('has no files that import each other, directly or in a circle', () => {
    assert.deepEqual(cycles(importGraphs(SRC).files), []);
  });

  it('finds every import, class and circle it is asked about (the checks above can fail)', () => {
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
    assert.deepEqual(cycles(g({ admin: ['sim'], sim: ['admin', 'server'], server: [] })), [['admin', 'sim']]);
    assert.deepEqual(cycles(g({ api: ['state'], state: [], server: ['api', 'state'] })), []);
  });
});
