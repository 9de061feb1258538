/** planReload as a table: what each change of the config does to the sources, decisions and outputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { planReload } from '../../src/daemon/reload.ts';

const BASE = {
  sources: [
    { name: 'a', region: 'us-east-1' },
    { name: 'b', region: 'eu-west-1', clusters: ['x'] },
  ],
  output: { directory: '/tmp/sd' },
};

function config(change: (file: typeof BASE & Record<string, unknown>) => void = () => {}) {
  const file = structuredClone(BASE) as typeof BASE & Record<string, unknown>;
  change(file);
  return loadConfig({ fileText: JSON.stringify(file) });
}

describe('planReload', () => {
  const cases: {
    name: string;
    change: (file: typeof BASE & Record<string, unknown>) => void;
    expect: Partial<ReturnType<typeof planReload>>;
  }[] = [
    {
      name: 'nothing',
      change: () => {},
      expect: { keep: ['a', 'b'], rebuild: [], add: [], remove: [], changes: [] },
    },
    {
      name: 'a source added',
      change: (f) => f.sources.push({ name: 'c', region: 'us-east-1' }),
      expect: { keep: ['a', 'b'], add: ['c'], changes: ['source "c" added'] },
    },
    {
      name: 'a source removed',
      change: (f) => f.sources.pop(),
      expect: { keep: ['a'], remove: ['b'], changes: ['source "b" removed, with its clusters\' targets'] },
    },
    {
      name: 'clusters re-selected',
      change: (f) => {
        f.sources[1]!.clusters = ['x', 'y'];
      },
      expect: { keep: ['a'], rebuild: ['b'] },
    },
    {
      name: 'the aws request timeout (every client)',
      change: (f) => {
        f['timeouts'] = { aws_request: '20s' };
      },
      expect: {
        keep: [],
        rebuild: ['a', 'b'],
        changes: [
          'source "a" changed: rebuilt, its targets stand until it is read again',
          'source "b" changed: rebuilt, its targets stand until it is read again',
          'timeouts changed',
        ],
      },
    },
    {
      name: 'the rate budget (every source)',
      change: (f) => {
        f['rate_budget'] = { scale: 0.25 };
      },
      expect: { keep: [], rebuild: ['a', 'b'], budgets: true },
    },
    {
      name: 'a rule (no source rebuilt, decisions made again)',
      change: (f) => {
        f['discovery'] = { rules: [{ name: 'r', family: 'web', ports: [80] }] };
      },
      expect: { keep: ['a', 'b'], redecide: true, outputs: false },
    },
    {
      name: 'a rule reading services (sources rebuilt: their fetchers read services)',
      change: (f) => {
        f['discovery'] = { rules: [{ name: 'r', service: 'web', ports: [80] }] };
      },
      expect: { keep: [], rebuild: ['a', 'b'], redecide: true },
    },
    {
      name: 'outputs moved',
      change: (f) => {
        f.output = { directory: '/tmp/other' };
      },
      expect: { keep: ['a', 'b'], outputs: true, redecide: false },
    },
    {
      name: 'fewer meta labels (decisions made again, then written)',
      change: (f) => {
        f['output'] = { ...f.output, meta_labels: 'minimal' } as typeof f.output;
      },
      expect: { keep: ['a', 'b'], redecide: true, outputs: false },
    },
    {
      name: 'the refresh interval',
      change: (f) => {
        f['refresh_interval'] = '30s';
      },
      expect: { keep: ['a', 'b'], changes: ['refresh_interval changed from 1m to 30s'] },
    },
    {
      name: 'the listen address and log level (a restart)',
      change: (f) => {
        f['web'] = { listen_address: '127.0.0.1:9999' };
        f['log'] = { level: 'debug' };
      },
      expect: {
        keep: ['a', 'b'],
        changes: [],
        needsRestart: [
          'web.listen_address: changed from ":9888" to "127.0.0.1:9999", which takes effect only on a restart; ":9888" stays in use',
          'log.level: changed from "info" to "debug", which takes effect only on a restart; "info" stays in use',
        ],
      },
    },
  ];
  for (const { name, change, expect } of cases) {
    it(name, () => {
      const plan = planReload(config(), config(change));
      for (const [key, value] of Object.entries(expect))
        assert.deepEqual(plan[key as keyof typeof plan], value, key);
    });
  }
});
