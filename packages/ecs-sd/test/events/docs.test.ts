import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { REJECT_REASONS } from '../../src/events/event-limits.ts';
import { EVENT_MODE_IAM_ACTIONS } from '../../src/lib/iam.ts';
import { countingMetrics } from './sim.ts';

const doc = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');

test('events.md names a metric for every EventMetrics callback', () => {
  for (const callback of Object.keys(countingMetrics().metrics)) {
    assert.match(doc, new RegExp(`\`${callback}\\(`), `callback ${callback} is not in the metrics table`);
  }
});

test('events.md lists the IAM actions event mode is granted, and the rule pattern', () => {
  for (const action of EVENT_MODE_IAM_ACTIONS) assert.ok(doc.includes(`\`${action}\``), action);
  assert.ok(doc.includes('"detail-type": ["ECS Task State Change", "ECS Container Instance State Change"]'));
});

test('every reject reason is a documented kind of malformed message', () => {
  const described: Record<string, string> = {
    'empty-body': 'not JSON',
    'not-json': 'not JSON',
    'not-an-object': 'not JSON',
    'not-ecs-event': 'not an ECS event',
    'unknown-detail-type': 'another `detail-type`',
    'missing-fields': 'missing or mistyped',
    'invalid-fields': 'bad timestamps',
    'too-large': '`too-large`',
    'too-deep': '`too-deep`',
    'parse-failed': '`parse-failed`',
  };
  for (const reason of REJECT_REASONS) {
    const phrase = described[reason];
    assert.ok(phrase, `reason ${reason} has no documented phrase`);
    assert.ok(doc.includes(phrase), `${reason}: "${phrase}" is not in events.md`);
  }
});

test('events.md states every bound the parser and the consumer enforce, with its value', async () => {
  const limits = await import('../../src/events/event-limits.ts');
  const { PREVIEW_CHARS } = await import('../../src/events/parse.ts');
  const { MAX_RECEIVES } = await import('../../src/events/consumer.ts');
  const bounds: [string, number, string][] = [
    ['MAX_BODY_BYTES', limits.MAX_BODY_BYTES, '1 MiB'],
    ['MAX_EVENT_BYTES', limits.MAX_EVENT_BYTES, '256 KiB'],
    ['MAX_DEPTH', limits.MAX_DEPTH, '32'],
    ['MAX_STRING_LENGTH', limits.MAX_STRING_LENGTH, '8,192 characters'],
    ['MAX_CONTAINERS', limits.MAX_CONTAINERS, '100'],
    ['MAX_LIST_ITEMS', limits.MAX_LIST_ITEMS, '1,000'],
    ['MAX_KEPT_ITEMS', limits.MAX_KEPT_ITEMS, '2,000'],
    ['MAX_KEPT_CHARS', limits.MAX_KEPT_CHARS, '65,536'],
    ['PREVIEW_CHARS', PREVIEW_CHARS, '200 characters'],
  ];
  const sizes: Record<string, number> = { '1 MiB': 1_048_576, '256 KiB': 262_144 };
  for (const [name, value, text] of bounds) {
    assert.ok(doc.includes(`${text}`) && doc.includes(`\`${name}\``), `${name} (${text}) is in events.md`);
    assert.equal(sizes[text] ?? Number(text.replace(/[^0-9]/g, '')), value, `${name} is ${text}`);
  }
  assert.equal(MAX_RECEIVES, 3);
  assert.match(doc, /third receive \(`MAX_RECEIVES`/);
});
