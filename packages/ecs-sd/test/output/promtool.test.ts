/**
 * Label values of every code point class and every YAML-special shape, written as file_sd JSON and
 * YAML and read back by the real Prometheus parser (promtool): every target must be read, with
 * exactly its label values, from both formats. One file per case, all read in one promtool run,
 * so a case that breaks its file is named; plus one file holding every case, as the daemon writes it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Target } from '../../src/discovery/types.ts';
import { writeFileSd } from '../../src/output/file-sd.ts';
import { plainSafe } from '../../src/output/yaml-scalar.ts';
import { type PromtoolResult, promtool, promtoolRead } from '../support/promtool.ts';
import { target } from './fixtures.ts';

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Single code units and code points, each as `a<c>b` and alone. */
const CHARACTERS: { name: string; char: string }[] = [
  ...range(0x00, 0x1f).map((code) => ({ name: `C0 ${hex(code)}`, char: String.fromCharCode(code) })),
  { name: 'DEL U+007F', char: '\x7f' },
  ...range(0x80, 0x9f).map((code) => ({ name: `C1 ${hex(code)}`, char: String.fromCharCode(code) })),
  { name: 'NBSP U+00A0', char: '\u00a0' },
  { name: 'line separator U+2028', char: '\u2028' },
  { name: 'paragraph separator U+2029', char: '\u2029' },
  { name: 'BOM U+FEFF', char: '\ufeff' },
  { name: 'noncharacter U+FFFE', char: '\ufffe' },
  { name: 'noncharacter U+FFFF', char: '\uffff' },
  { name: 'replacement U+FFFD', char: '\ufffd' },
  { name: 'lone high surrogate U+D800', char: '\ud800' },
  { name: 'lone low surrogate U+DFFF', char: '\udfff' },
  { name: 'reversed surrogate pair', char: '\udc00\ud800' },
  { name: 'astral U+1F600', char: '😀' },
  { name: 'astral U+10000', char: '\u{10000}' },
  { name: 'astral U+10FFFF', char: '\u{10ffff}' },
  { name: 'private use U+E000', char: '\ue000' },
  { name: 'latin é', char: 'é' },
  { name: 'CJK 日本', char: '日本' },
];

/** Whole values that YAML reads as something else, or that need quoting. */
const SHAPES = [
  '',
  ' ',
  ' leading',
  'trailing ',
  'a  b',
  '"',
  "'",
  'say "hi"',
  "it's",
  '\\',
  'a\\b',
  '\\n',
  '\\u2028',
  ': ',
  'a: b',
  'a:',
  ':a',
  ':',
  '#',
  '#a',
  'a #b',
  'a#b',
  '!',
  '!tag',
  '&',
  '&anchor',
  '*',
  '*alias',
  '---',
  '--- a',
  '...',
  '-',
  '- a',
  '-a',
  '?',
  '? a',
  '?a',
  '|',
  '>',
  '%',
  '%TAG',
  '@',
  '`',
  '{}',
  '[]',
  '[a]',
  '{a: b}',
  ',',
  'a,b',
  '<<',
  '=',
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO'],
  ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'on', 'On', 'ON', 'off', 'Off', 'OFF'],
  ...['~', 'null', 'Null', 'NULL'],
  ...['0', '-1', '+1', '017', '0o17', '0x1f', '0X1F', '-0x1f', '0b101', '1_000', '1:20', '190:20:30.15'],
  ...['1.5', '.5', '5.', '1e3', '1E3', '-1e-3', '1.5e+3', '0x1p-2', '.inf', '-.inf', '+.inf', '.Inf', '.NAN'],
  ...[
    '.nan',
    '+inf',
    '-Infinity',
    '+nan',
    'NaN',
    'inf',
    '.',
    '_',
    '2001-12-14',
    '2001-12-14t21:59:43.10-05:00',
  ],
  ...['127.0.0.1', '10.0.0.1:9100', '[fd00::1]:9100', 'family:api', 'arn:aws:ecs:us-east-1:1:task/a/b'],
  `${'word '.repeat(30)}end`,
  'x'.repeat(5000),
];

interface Case {
  name: string;
  labels: Record<string, string>;
}

const CASES: Case[] = [
  ...CHARACTERS.map(({ name, char }) => ({
    name,
    labels: { v: `a${char}b`, w: char, x: `${char} ${char}` },
  })),
  ...SHAPES.map((shape, i) => ({ name: `shape ${i} ${JSON.stringify(shape)}`, labels: { v: shape } })),
];

/** What Prometheus must read: the value itself, lone surrogates as U+FFFD (what it makes of JSON's `\udXXX`). */
function expected(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function caseTarget(index: number, labels: Record<string, string>): Target {
  const base = target({ taskId: `case${index}`, ip: `10.9.${index >> 8}.${index & 255}` });
  return { ...base, labels };
}

let root: string;
let read: PromtoolResult | undefined;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ecs-sd-promtool-cases-'));
  if (promtool.skip) return;
  for (const format of ['json', 'yaml'] as const) {
    const directory = join(root, format);
    await mkdir(directory);
    const extension = format === 'json' ? 'json' : 'yml';
    for (const [index, { labels }] of CASES.entries()) {
      const result = await writeFileSd([caseTarget(index, labels)], {
        file: join(directory, `case-${index}.${extension}`),
        format,
      });
      assert.deepEqual(result.failed, []);
    }
    const all = await writeFileSd(
      CASES.map(({ labels }, index) => caseTarget(index, labels)),
      { file: join(root, `all.${extension}`), format },
    );
    assert.deepEqual(all.failed, []);
  }
  read = await promtoolRead([
    join(root, 'json', '*.json'),
    join(root, 'yaml', '*.yml'),
    join(root, 'all.json'),
    join(root, 'all.yml'),
  ]);
});
after(() => rm(root, { recursive: true, force: true }));

for (const format of ['json', 'yaml'] as const) {
  test(`promtool reads every ${format} case file with exactly its label values`, {
    skip: promtool.skip,
  }, () => {
    const extension = format === 'json' ? 'json' : 'yml';
    const problems: string[] = [];
    for (const [index, { name, labels }] of CASES.entries()) {
      const file = join(root, format, `case-${index}.${extension}`);
      const found = read!.targets.filter((entry) => entry.file === file);
      // A label with an empty value is no label for Prometheus.
      const want = Object.fromEntries(
        Object.entries(labels)
          .filter(([, value]) => value !== '')
          .map(([label, value]) => [label, expected(value)]),
      );
      if (found.length !== 1) problems.push(`${name}: ${found.length} targets read, expected 1`);
      else if (JSON.stringify(found[0]!.labels) !== JSON.stringify(want))
        problems.push(`${name}: read ${JSON.stringify(found[0]!.labels)}, expected ${JSON.stringify(want)}`);
    }
    assert.deepEqual(problems, [], `promtool log:\n${read!.log}`);
  });
}

test('promtool reads the file holding every case, YAML exactly as JSON', { skip: promtool.skip }, () => {
  const of = (file: string) =>
    read!.targets
      .filter((entry) => entry.file === file)
      .map(({ address, labels }) => ({ address, labels }))
      .sort((a, b) => (a.address < b.address ? -1 : 1));
  const json = of(join(root, 'all.json'));
  assert.equal(json.length, CASES.length);
  assert.deepEqual(of(join(root, 'all.yml')), json);
});

test('YAML and JSON files parse to the same groups with the yaml library too (YAML 1.2)', async () => {
  const directory = join(root, 'yaml-lib');
  const targets = CASES.map(({ labels }, index) => caseTarget(index, labels));
  await writeFileSd(targets, { file: join(directory, 'all.yml'), format: 'yaml' });
  await writeFileSd(targets, { file: join(directory, 'all.json'), format: 'json' });
  assert.deepEqual(
    parseYaml(await readFile(join(directory, 'all.yml'), 'utf8')),
    JSON.parse(await readFile(join(directory, 'all.json'), 'utf8')),
  );
});

test('YAML keeps ordinary values plain and quotes what a YAML 1.1 reader would take for another type', () => {
  for (const value of [
    'prod',
    '10.0.0.1:9100',
    '/metrics',
    'family:api',
    'example/api:3',
    '-a',
    'é😀',
    'a b',
  ])
    assert.equal(plainSafe(value), true, value);
  for (const value of [
    '',
    'yes',
    'on',
    '~',
    'null',
    '0x1f',
    '1e3',
    '1_000',
    '1:20',
    '.inf',
    '2001-12-14',
    'a\u2028b',
  ])
    assert.equal(plainSafe(value), false, value);
});
