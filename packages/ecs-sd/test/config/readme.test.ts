import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { FLAGS, flagDefault } from '../../src/config/flags.ts';
import { ConfigFileSchema } from '../../src/config/schema.ts';
import { defaultAt } from '../../src/config/schema-walk.ts';
import { AWS_BUCKETS, RATE_CATEGORIES } from '../../src/lib/aws-limits.ts';

const README = new URL('../../README.md', import.meta.url);

interface Def {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  element?: unknown;
  in?: unknown;
}

function def(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

/** Every key path of the schema: `sources[].role_arn`, `discovery.rules[].docker_label.value`, … */
function keyPaths(schema: unknown, prefix = ''): string[] {
  let current = schema;
  for (;;) {
    const d = def(current);
    if (d.innerType !== undefined) current = d.innerType;
    else if (d.type === 'pipe') current = d.in;
    else break;
  }
  const d = def(current);
  if (d.type === 'array') return keyPaths(d.element, `${prefix}[]`);
  if (d.type !== 'object' || d.shape === undefined) return [];
  return Object.entries(d.shape).flatMap(([key, child]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const nested = keyPaths(child, path);
    return nested.length > 0 ? nested : [path];
  });
}

test('the README documents every config key, flag and environment variable', async () => {
  const readme = await readFile(README, 'utf8');
  const keys = keyPaths(ConfigFileSchema);
  assert.ok(keys.length > 30, `found ${keys.length} keys`);
  const undocumented = keys.filter((key) => !readme.includes(`| \`${key}\``));
  assert.deepEqual(undocumented, [], 'config keys missing from the README table');
  for (const flag of FLAGS) {
    assert.ok(readme.includes(`\`--${flag.name}`), `--${flag.name} is in the README`);
    if (flag.env !== undefined) assert.ok(readme.includes(`\`${flag.env}\``), `${flag.env} is in the README`);
  }
});

/** A default as the README writes it: `60s`, `true`, `[]`, `null`. */
function shown(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

test('the README shows each default the schema declares, for config keys and flags alike', async () => {
  const readme = await readFile(README, 'utf8');
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
  const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
  const wrong: string[] = [];
  let checked = 0;
  for (const key of keyPaths(ConfigFileSchema)) {
    const path = key.split(/\.|(?=\[\])/).map((part) => (part === '[]' ? 0 : part));
    const value = defaultAt(ConfigFileSchema, path);
    if (value === undefined) continue;
    const row = rows.map(cells).find((row) => row[0] === `\`${key}\``);
    if (row === undefined) continue;
    checked++;
    if (!row[1]!.startsWith(shown(value))) wrong.push(`${key}: README ${row[1]}, schema ${shown(value)}`);
  }
  for (const flag of FLAGS) {
    const value = flagDefault(flag);
    if (value === undefined) continue;
    const row = rows.map(cells).find((row) => row[0]!.startsWith(`\`--${flag.name}=`));
    assert.ok(row, `--${flag.name} has a row in the flag table`);
    checked++;
    if (row[3] !== shown(value)) wrong.push(`--${flag.name}: README ${row[3]}, schema ${shown(value)}`);
  }
  assert.ok(checked > 25, `checked ${checked} defaults`);
  assert.deepEqual(wrong, []);
});

test("the README states AWS's token buckets itself, each as AWS_BUCKETS has it, and points to no file outside the repository", async () => {
  const readme = await readFile(README, 'utf8');
  assert.doesNotMatch(readme, /REFERENCE\.md/, 'REFERENCE.md is not in the repository');
  const rows = new Map(
    readme
      .split('\n')
      .filter((line) => /^\| `[a-z0-9_]+`\s+\|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map((cells) => [cells[1]!.replaceAll('`', ''), cells] as const),
  );
  for (const category of RATE_CATEGORIES) {
    const row = rows.get(category);
    assert.ok(row, `the rate budget table has a row for ${category}`);
    const { burst, refillPerSecond } = AWS_BUCKETS[category];
    assert.deepEqual([Number(row[3]), Number(row[4])], [burst, refillPerSecond], category);
  }
});
