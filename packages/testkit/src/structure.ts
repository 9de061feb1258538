/**
 * Checks of a TypeScript source tree's shape, for the structure tests of the packages (issue 13):
 * files and classes a reader sees on a few screens, and folders that do not import each other in a
 * circle. Reads the files only; relative imports are followed, package imports are not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Every `.ts` file under `dir`, recursively. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Lines as `wc -l` counts them. */
export function lineCount(text: string): number {
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

/** Relative module specifiers of static imports, re-exports and dynamic imports (type-only ones included). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    out.push(m[1]!);
  }
  return out;
}

/** Top-level classes and their length in lines, from `class Name` to the `}` that closes it in column 0. */
export function classSizes(text: string): { name: string; lines: number }[] {
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
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
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

/**
 * The component a file belongs to: its folder, or for a file at the root (an entry point such as
 * `cli.ts`, or a shared leaf such as `errors.ts`) the file itself, since the root is no component.
 */
function componentOf(path: string): string {
  const folder = dirname(path);
  return folder === '.' ? path : folder;
}

/**
 * Import graphs of a source tree, paths relative to `root`: file to file, and component to
 * component (a folder, or a root-level file; imports inside one folder are no edge).
 */
export function importGraphs(root: string): {
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
    const folder = componentOf(from);
    const edges = folders.get(folder) ?? new Set<string>();
    for (const t of targets) if (componentOf(t) !== folder) edges.add(componentOf(t));
    folders.set(folder, edges);
  }
  return { files, folders };
}

/** Files of `root` longer than `max` lines, with their length. */
export function longFiles(root: string, max: number): { file: string; lines: number }[] {
  return sourceFiles(root)
    .map((f) => ({ file: relative(root, f), lines: lineCount(readFileSync(f, 'utf8')) }))
    .filter((f) => f.lines > max)
    .sort((a, b) => (a.file < b.file ? -1 : 1));
}

/** Classes of `root` longer than `max` lines, with their file and length. */
export function longClasses(root: string, max: number): { file: string; name: string; lines: number }[] {
  return sourceFiles(root).flatMap((f) =>
    classSizes(readFileSync(f, 'utf8'))
      .filter((c) => c.lines > max)
      .map((c) => ({ file: relative(root, f), ...c })),
  );
}

/**
 * Relative imports of the files in `folder` (relative to `root`) that resolve outside it and outside
 * every `allowed` path (a folder, or a file), as `file -> target`: what makes a folder depend on more
 * than the leaves it may use.
 */
export function importsBeyond(root: string, folder: string, allowed: readonly string[]): string[] {
  const inside = (path: string, base: string) => path === base || path.startsWith(`${base}${sep}`);
  const out: string[] = [];
  for (const [file, targets] of importGraphs(root).files) {
    if (!inside(file, folder)) continue;
    for (const target of targets) {
      if (inside(target, folder) || allowed.some((base) => inside(target, base))) continue;
      out.push(`${file} -> ${target}`);
    }
  }
  return out.sort();
}
