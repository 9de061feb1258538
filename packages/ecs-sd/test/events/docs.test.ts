import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EVENT_MODE_IAM_ACTIONS } from '../../src/aws/iam.ts';
import { REJECT_REASONS } from '../../src/events/parse.ts';
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
  };
  for (const reason of REJECT_REASONS) {
    const phrase = described[reason];
    assert.ok(phrase, `reason ${reason} has no documented phrase`);
    assert.ok(doc.includes(phrase), `${reason}: "${phrase}" is not in events.md`);
  }
});
