/** The Grafana dashboards and provisioning: every query parses as PromQL, every variable exists, the model is sound. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { DATASOURCE_UID } from '../src/grafana.ts';
import { ROOT } from './helpers.ts';

const DIR = join(ROOT, 'grafana', 'dashboards');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
  gridPos: { x: number; y: number; w: number; h: number };
  id: number;
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboards = files.map((file) => ({
  file,
  json: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Dashboard,
}));

/** Grafana's built-in variables as sample values; `$__range_s` is seconds, the others durations. */
const BUILTINS: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '6h',
  __range_s: '21600',
};

function substitute(expr: string, defined: ReadonlySet<string>): string {
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\$(\w+)/g,
    (_m, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const builtin = BUILTINS[name];
      if (builtin !== undefined) return builtin;
      assert.ok(defined.has(name), `query uses undefined variable $${name}: ${expr}`);
      return 'sample-value';
    },
  );
}

/** The PromQL syntax errors lezer-promql finds, as `offset: text` strings. */
function promqlErrors(expr: string): string[] {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`${node.from}: ${JSON.stringify(expr.slice(node.from, node.to + 10))}`);
    },
  });
  return errors;
}

test('the PromQL check catches a broken query', () => {
  assert.deepEqual(promqlErrors('sum by (job) (rate(up[5m]))'), []);
  assert.notDeepEqual(promqlErrors('sum by (job) (rate(up[5m])'), []);
  assert.notDeepEqual(promqlErrors('rate(up{job="a"}[$__rate_interval])'), []);
});

test('there are the four dashboards', () => {
  assert.deepEqual(files.sort(), [
    'ecs-container-detail.json',
    'ecs-fleet-overview.json',
    'ecs-host-detail.json',
    'ecs-sd-health.json',
  ]);
});

for (const { file, json } of dashboards) {
  test(`${file}: every panel query parses as PromQL once Grafana variables are substituted`, () => {
    const defined = new Set(json.templating.list.map((v) => v.name));
    let count = 0;
    for (const panel of json.panels) {
      for (const target of panel.targets ?? []) {
        const expr = substitute(target.expr, defined);
        assert.deepEqual(promqlErrors(expr), [], `${panel.title} (${target.refId}): ${expr}`);
        count++;
      }
    }
    assert.ok(count >= 10, `${file} has only ${count} queries`);
  });

  test(`${file}: every template variable query is label_values() over a valid selector`, () => {
    const seen = new Set<string>();
    for (const v of json.templating.list) {
      if (v.type === 'query') {
        const query = typeof v.query === 'string' ? v.query : v.query.query;
        const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
        assert.ok(m, `variable ${v.name}: ${query} is not label_values(selector, label)`);
        const selector = substitute(m[1]!, seen);
        assert.deepEqual(promqlErrors(selector), [], `variable ${v.name}: ${selector}`);
      }
      seen.add(v.name);
    }
    assert.ok(seen.has('datasource'), 'a datasource variable');
    assert.ok(seen.has('cluster') || seen.has('instance'), 'a cluster or instance variable');
  });

  test(`${file}: panels use the datasource variable, have unique ids and do not overlap`, () => {
    assert.equal(json.schemaVersion, 39);
    assert.match(json.uid, /^[a-z0-9-]{1,40}$/);
    const ids = json.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const cells = new Set<string>();
    for (const p of json.panels) {
      if (p.type !== 'row') {
        assert.equal(p.datasource?.uid, DATASOURCE_UID, `${p.title} datasource`);
        for (const t of p.targets ?? [])
          assert.equal(t.datasource?.uid, DATASOURCE_UID, `${p.title} target datasource`);
      }
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits in 24 columns`);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
}

test('dashboard uids and titles are unique', () => {
  const uids = dashboards.map((d) => d.json.uid);
  const titles = dashboards.map((d) => d.json.title);
  assert.equal(new Set(uids).size, uids.length);
  assert.equal(new Set(titles).size, titles.length);
});

test('provisioning defines a Prometheus datasource and a provider for the dashboards folder', () => {
  const prov = join(ROOT, 'grafana', 'provisioning');
  const ds = parse(readFileSync(join(prov, 'datasources', 'prometheus.yml'), 'utf8')) as {
    apiVersion: number;
    datasources: Array<{ type: string; uid: string; url: string }>;
  };
  assert.equal(ds.apiVersion, 1);
  assert.equal(ds.datasources[0]?.type, 'prometheus');
  const providers = parse(readFileSync(join(prov, 'dashboards', 'ecs-sd.yml'), 'utf8')) as {
    apiVersion: number;
    providers: Array<{ type: string; options: { path: string } }>;
  };
  assert.equal(providers.apiVersion, 1);
  assert.equal(providers.providers[0]?.type, 'file');
  assert.ok(providers.providers[0]?.options.path);
});
