import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireTool } from '@ecs-sd/testkit';
import { parse } from 'yaml';
import { durationSeconds } from '../src/duration.ts';
import { demoRules } from '../src/rules.ts';

const rulesDir = fileURLToPath(new URL('../../../monitoring/rules', import.meta.url));
const promtool = requireTool('promtool', 'prometheus');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
}

async function ruleFiles(): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(rulesDir)).filter((f) => f.endsWith('.yml')).sort();
  return Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(rulesDir, name), 'utf8') })),
  );
}

function rulesOf(yaml: string): Rule[] {
  return ((parse(yaml) as { groups: { rules: Rule[] }[] }).groups ?? []).flatMap((g) => g.rules);
}

describe('the demo’s rules', () => {
  it('leaves out the host alerts that would measure this machine once per demo host, and keeps HostDown', async () => {
    const host = (await ruleFiles()).find((f) => f.name === 'host.rules.yml')!;
    const { yaml, leftOut } = demoRules(host.text, '20s');
    const alerts = rulesOf(yaml).flatMap((r) => (r.alert ? [r.alert] : []));
    assert.deepEqual(alerts, ['HostDown']);
    // The clock alert that fired four times in a container with an unsynchronised clock, and the CPU one.
    assert.ok(leftOut.includes('HostClockNotSynchronising'), leftOut.join(', '));
    assert.ok(leftOut.includes('HostHighCpuUsage'), leftOut.join(', '));
    // The recording rules stay: the host dashboard reads them.
    assert.ok(rulesOf(yaml).some((r) => r.record === 'instance:node_cpu_utilisation:rate5m'));
  });

  it('keeps every alert of the other files, with for: capped', async () => {
    for (const f of await ruleFiles()) {
      if (f.name === 'host.rules.yml') continue;
      const { yaml, leftOut } = demoRules(f.text, '20s');
      assert.deepEqual(leftOut, [], f.name);
      assert.equal(rulesOf(yaml).length, rulesOf(f.text).length, f.name);
      for (const r of rulesOf(yaml)) {
        if (r.for !== undefined)
          assert.ok(durationSeconds(r.for)! <= 20, `${f.name} ${r.alert}: for ${r.for}`);
      }
    }
  });

  it('passes promtool check rules', {
    skip: promtool.skip,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-rules-'));
    try {
      const files: string[] = [];
      for (const f of await ruleFiles()) {
        const file = join(dir, f.name);
        await writeFile(file, demoRules(f.text, '20s').yaml);
        files.push(file);
      }
      await promisify(execFile)(promtool.path, ['check', 'rules', ...files]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('durations', () => {
  it('reads Prometheus durations in their unit order, and bare seconds', () => {
    assert.equal(durationSeconds('1h30m'), 5400);
    assert.equal(durationSeconds('1d'), 86_400);
    assert.equal(durationSeconds('500ms'), 0.5);
    assert.equal(durationSeconds('90'), 90);
    assert.equal(durationSeconds('2.5'), 2.5);
    assert.equal(durationSeconds('30s1m'), undefined);
    assert.equal(durationSeconds('5x'), undefined);
    assert.equal(durationSeconds(''), undefined);
  });
});
