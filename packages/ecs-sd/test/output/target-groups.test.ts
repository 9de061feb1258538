import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Target } from '../../src/discovery/types.ts';
import {
  compareLabelSets,
  listByteChunks,
  listChunks,
  renderTargetGroups,
  toTargetGroups,
  tryRenderGroupTexts,
  tryRenderTargetGroups,
} from '../../src/output/target-groups.ts';
import { target } from './fixtures.ts';

test('one group per distinct label set, with sorted label names', () => {
  const groups = toTargetGroups([target({ taskId: 't1', ip: '10.0.0.1' })]);
  assert.deepEqual(groups, [
    {
      targets: ['10.0.0.1:9100'],
      labels: {
        ecs_cluster: 'prod',
        ecs_task_id: 't1',
        ecs_task_version: '1',
        instance: '10.0.0.1:9100',
        job: 'web',
        metrics_path: '/metrics',
      },
    },
  ]);
  assert.deepEqual(Object.keys(groups[0]!.labels), [
    'ecs_cluster',
    'ecs_task_id',
    'ecs_task_version',
    'instance',
    'job',
    'metrics_path',
  ]);
});

test('targets sharing a label set share a group, addresses sorted', () => {
  const a = { ...target({ taskId: 't1', ip: '10.0.0.9' }), labels: { job: 'web' } };
  const b = { ...target({ taskId: 't2', ip: '10.0.0.1' }), labels: { job: 'web' } };
  const c = { ...target({ taskId: 't3', ip: '10.0.0.5' }), labels: { job: 'api' } };
  assert.deepEqual(toTargetGroups([a, b, c]), [
    { targets: ['10.0.0.5:9100'], labels: { job: 'api' } },
    { targets: ['10.0.0.1:9100', '10.0.0.9:9100'], labels: { job: 'web' } },
  ]);
});

test('the same targets in any order give the same groups', () => {
  const targets = Array.from({ length: 23 }, (_, i) =>
    target({ taskId: `t${i}`, ip: `10.0.${i % 3}.${i}`, family: i % 2 ? 'web' : 'api' }),
  );
  const reversed = [...targets].reverse();
  assert.equal(JSON.stringify(toTargetGroups(reversed)), JSON.stringify(toTargetGroups(targets)));
});

test('duplicate addresses with equal labels appear once', () => {
  const t = target({ taskId: 't1', ip: '10.0.0.1' });
  assert.deepEqual(toTargetGroups([t, { ...t, key: `${t.key}-other` }])[0]!.targets, ['10.0.0.1:9100']);
});

test('an __address__ label never reaches the group labels', () => {
  const t = target({ taskId: 't1', ip: '10.0.0.1' });
  const [group] = toTargetGroups([{ ...t, labels: { ...t.labels, __address__: '10.9.9.9:1' } }]);
  assert.equal(group!.labels['__address__'], undefined);
  assert.deepEqual(group!.targets, ['10.0.0.1:9100']);
});

test('no targets give an empty list', () => {
  assert.deepEqual(toTargetGroups([]), []);
});

test('the rendered bytes are exactly JSON.stringify of the groups, also after targets change and for shared label sets', () => {
  const shared = (ip: string) => ({
    ...target({ taskId: 'same', ip }),
    labels: { job: 'web', team: 'a "quoted" \\ label' },
  });
  const first = [
    target({ taskId: 't2', ip: '10.0.0.2' }),
    target({ taskId: 't1', ip: '10.0.0.1' }),
    shared('10.0.0.9:1'),
    shared('10.0.0.8:1'),
  ];
  const second = [first[0]!, target({ taskId: 't3', ip: '10.0.0.3' }), shared('10.0.0.7:1')];
  const awkward: Target[] = [
    { ...target({ taskId: 'none', ip: '10.0.0.4' }), labels: {} },
    {
      ...target({ taskId: 'odd', ip: '10.0.0.5' }),
      labels: { a: '\u0001\n\t', b: '\u00e9\u{1f600}', c: '', 'd"\\': '</script>', e: '\u2028' },
    },
  ];
  for (const targets of [first, second, first, [], [first[1]!], awkward, [...awkward, ...first]]) {
    const groups = toTargetGroups(targets);
    assert.equal(renderTargetGroups(targets, 'file'), `${JSON.stringify(groups, null, 2)}\n`);
    assert.equal(renderTargetGroups(targets, 'compact'), JSON.stringify(groups));
  }
});

test('an oversized list stops serializing at the bound, and http_sd trying it again serializes nothing', () => {
  const pad = 'x'.repeat(1000);
  const targets = Array.from({ length: 200 }, (_, i) => {
    const t = target({ taskId: `t${i}`, ip: `10.1.${i >> 8}.${i & 255}` });
    return { ...t, labels: { ...t.labels, pad } };
  });
  const original = JSON.stringify;
  // Groups serialized: compact stringifies a group whole, file one value at a time (the pad once per group).
  let serialized = 0;
  JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) => {
    const [value] = args;
    if (value === pad || (typeof value === 'object' && value !== null && 'targets' in value)) serialized++;
    return original(...args);
  }) as typeof JSON.stringify;
  try {
    for (const style of ['file', 'compact'] as const) {
      serialized = 0;
      const first = tryRenderTargetGroups(targets, style, 10_000);
      assert.equal(first.ok, false);
      assert.equal(!first.ok && first.reason, 'too-large');
      // About 1,100 characters a group: only the ten or so up to the bound are serialized.
      assert.ok(serialized > 0 && serialized <= 10, `${style}: ${serialized} groups serialized`);
      serialized = 0;
      assert.equal(tryRenderTargetGroups(targets, style, 10_000).ok, false);
      // http_sd keeps a one-target group's compact text with the target; a file's texts are made anew.
      if (style === 'compact')
        assert.equal(serialized, 0, 'an unchanged oversized list costs no serialization again');
      else assert.ok(serialized <= 10, `${serialized} groups serialized, only up to the bound`);
    }
  } finally {
    JSON.stringify = original;
  }
  const fits = tryRenderTargetGroups(targets.slice(0, 5), 'compact', 10_000);
  assert.equal(fits.ok && fits.content, renderTargetGroups(targets.slice(0, 5), 'compact'));
});

test('label sets are ordered exactly as their compact JSON texts, and equal only when they are', () => {
  // Characters JSON escapes, the structural ones, a quote's neighbours, non-ASCII and a surrogate pair.
  const alphabet = [
    'a',
    'b',
    '_',
    '"',
    '\\',
    '\n',
    '\u0001',
    ' ',
    '!',
    '#',
    ',',
    ':',
    '}',
    '\u00e9',
    '\u{1f600}',
  ];
  let seed = 17;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const text = (): string => Array.from({ length: next(4) }, () => alphabet[next(alphabet.length)]).join('');
  const labelSet = (): Record<string, string> => {
    const names = [
      ...new Set(Array.from({ length: next(4) }, () => ['a', 'ab', 'a_', 'b', text()][next(5)]!)),
    ];
    return Object.fromEntries(names.sort().map((name) => [name, text()]));
  };
  const sets = Array.from({ length: 300 }, labelSet);
  for (let i = 0; i < sets.length; i++) {
    for (const other of [sets[(i * 7 + 3) % sets.length]!, sets[(i + 1) % sets.length]!, { ...sets[i]! }]) {
      const a = JSON.stringify(sets[i]);
      const b = JSON.stringify(other);
      const expected = a < b ? -1 : a > b ? 1 : 0;
      assert.equal(Math.sign(compareLabelSets(sets[i]!, other)), expected, `${a} vs ${b}`);
    }
  }
});

test('the chunks of a rendering, of any size, join to exactly its text', () => {
  const targets = Array.from({ length: 7 }, (_, i) => target({ taskId: `c${i}`, ip: `10.0.0.${i}` }));
  for (const style of ['file', 'compact', 'yaml'] as const) {
    for (const list of [targets, targets.slice(0, 1), []]) {
      for (const size of [1, 200, Number.POSITIVE_INFINITY]) {
        const rendered = tryRenderGroupTexts(list, style);
        assert.ok(rendered.ok);
        const chunks: string[] = [...listChunks(rendered.texts, style, size)];
        assert.equal(
          chunks.join(''),
          renderTargetGroups(list, style),
          `${style}, ${list.length} targets, chunks of ${size}`,
        );
        if (size === 1 && list.length > 1) assert.ok(chunks.length >= list.length);
      }
    }
  }
});

test('the byte chunks of a rendering, of any size, are exactly its UTF-8 bytes', () => {
  const targets = Array.from({ length: 7 }, (_, i) => target({ taskId: `b${i}é`, ip: `10.0.0.${i}` }));
  for (const style of ['file', 'compact', 'yaml'] as const) {
    for (const list of [targets, targets.slice(0, 1), []]) {
      for (const size of [1, 200, Number.POSITIVE_INFINITY]) {
        const rendered = tryRenderGroupTexts(list, style);
        assert.ok(rendered.ok);
        const chunks: Buffer[] = [...listByteChunks(rendered.texts, style, size)];
        assert.deepEqual(
          Buffer.concat(chunks),
          Buffer.from(renderTargetGroups(list, style), 'utf8'),
          `${style}, ${list.length} targets, chunks of ${size}`,
        );
        if (size === 1 && list.length > 1) assert.ok(chunks.length >= list.length);
      }
    }
  }
});

test("a rendering given the last one's order sorts only the new targets and gives the same bytes as one from scratch", () => {
  const make = (i: number) =>
    target({ taskId: `o${i}`, ip: `10.0.${i % 5}.${i}`, family: ['web', 'api', 'db'][i % 3]! });
  const shared = (ip: string) => ({ ...target({ taskId: 'same', ip }), labels: { job: 'web' } });
  let targets = [...Array.from({ length: 40 }, (_, i) => make(i)), shared('10.9.0.1:1')];
  for (const style of ['file', 'compact', 'yaml'] as const) {
    let last = tryRenderGroupTexts(targets, style);
    assert.ok(last.ok);
    for (let round = 1; round <= 4; round++) {
      // Some removed, some added (one sharing a label set with a kept target), the rest kept.
      targets = [
        ...targets.filter((_, i) => i % (round + 2) !== 0),
        ...Array.from({ length: 6 }, (_, i) => make(100 * round + i)),
        shared(`10.9.${round}.1:1`),
      ].reverse();
      const incremental = tryRenderGroupTexts(targets, style, undefined, last.order);
      const scratch = tryRenderGroupTexts(targets, style);
      assert.ok(incremental.ok && scratch.ok);
      assert.equal(
        [...incremental.texts].join('|'),
        [...scratch.texts].join('|'),
        `${style}, round ${round}`,
      );
      last = incremental;
    }
    const doubled = [...targets, targets[0]!];
    const again = tryRenderGroupTexts(doubled, style, undefined, last.order);
    assert.ok(again.ok);
    assert.equal(
      [...again.texts].join('|'),
      [...(tryRenderGroupTexts(doubled, style) as { texts: Iterable<string> }).texts].join('|'),
    );
  }
});
