/** The recording and alerting rules: valid for the real promtool, unit-tested, documented. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTool } from '@ecs-sd/testkit';
import { parse } from 'yaml';
import { alertRules, ROOT, run } from './helpers.ts';

/** promtool, from the Debian package prometheus: the tests below skip without it, unless CI is set. */
const PROMTOOL = requireTool('promtool', 'prometheus');

const RULES_DIR = join(ROOT, 'rules');
const TESTS_DIR = join(RULES_DIR, 'tests');
const ruleFileNames = readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml'));
const testFileNames = readdirSync(TESTS_DIR).filter((f) => f.endsWith('.yml'));

test('promtool check rules accepts every rule file', { skip: PROMTOOL.skip }, async () => {
  const promtool = PROMTOOL.path;
  const res = await run(promtool, ['check', 'rules', ...ruleFileNames.map((f) => join(RULES_DIR, f))]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
});

test('promtool test rules passes every unit test file', { skip: PROMTOOL.skip }, async () => {
  const promtool = PROMTOOL.path;
  assert.ok(testFileNames.length >= ruleFileNames.length, 'a test file per rule file');
  const res = await run(
    promtool,
    ['test', 'rules', ...testFileNames.map((f) => join(TESTS_DIR, f))],
    TESTS_DIR,
  );
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.equal(res.stdout.match(/SUCCESS/g)?.length, testFileNames.length, res.stdout);
});

interface AlertRuleTest {
  alertname: string;
  exp_alerts?: unknown[];
}

test('every alert has a unit test where it fires and one where it stays quiet', () => {
  const firing = new Set<string>();
  const quiet = new Set<string>();
  for (const file of testFileNames) {
    const doc = parse(readFileSync(join(TESTS_DIR, file), 'utf8')) as {
      tests: Array<{ alert_rule_test?: AlertRuleTest[] }>;
    };
    for (const group of doc.tests) {
      for (const c of group.alert_rule_test ?? []) {
        ((c.exp_alerts?.length ?? 0) > 0 ? firing : quiet).add(c.alertname);
      }
    }
  }
  const alerts = alertRules().map((r) => r.alert!);
  assert.ok(alerts.length >= 30, `expected the full alert set, found ${alerts.length}`);
  assert.deepEqual(
    alerts.filter((a) => !firing.has(a)),
    [],
    'alerts without a test case where they fire',
  );
  assert.deepEqual(
    alerts.filter((a) => !quiet.has(a)),
    [],
    'alerts without a test case where they stay quiet',
  );
  const unknown = [...firing, ...quiet].filter((a) => !alerts.includes(a));
  assert.deepEqual(unknown, [], 'tests name alerts that do not exist');
});

test('alert names are unique', () => {
  const alerts = alertRules().map((r) => r.alert!);
  assert.deepEqual(
    alerts.filter((a, i) => alerts.indexOf(a) !== i),
    [],
  );
});

test('every alert has a summary, a description, a severity and a runbook section in README.md', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  // GitHub's anchors: lowercase heading text, punctuation dropped.
  const anchors = new Set(
    [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  for (const rule of alertRules()) {
    const name = rule.alert!;
    assert.ok(rule.annotations?.['summary'], `${name} has no summary`);
    assert.ok(rule.annotations?.['description'], `${name} has no description`);
    assert.match(rule.labels?.['severity'] ?? '', /^(critical|warning|info)$/, `${name} severity`);
    const anchor = `${name.toLowerCase()}`;
    assert.equal(rule.annotations?.['runbook_url'], `monitoring/README.md#${anchor}`, `${name} runbook_url`);
    assert.ok(anchors.has(anchor), `README.md has no "### ${name}" runbook section`);
    const section = readme.split(new RegExp(`^#+ ${name}$`, 'm'))[1]?.split(/^#{1,3} /m)[0] ?? '';
    for (const part of ['Meaning', 'Investigate', 'Fix']) {
      assert.match(section, new RegExp(`\\*\\*${part}`), `runbook of ${name} lacks **${part}**`);
    }
  }
});
