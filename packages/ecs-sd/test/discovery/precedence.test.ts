import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSpec, TaskSpec } from './fixtures.ts';
import { rule } from './fixtures.ts';
import { decisionOf, targetsOf } from './helpers.ts';

const all: Record<string, string> = {
  'ecs-sd.scrape': 'true',
  'ecs-sd.port': '9100',
  'ecs-sd.path': '/own',
  PROMETHEUS_EXPORTER_PORT: '9100',
  PROMETHEUS_EXPORTER_PATH: '/exporter',
};
const envOn = { PROMETHEUS: 'true', PROMETHEUS_CONTAINER_PORT: '9100', PROMETHEUS_ENDPOINT: '/env' };
const task = (c: Partial<ContainerSpec>): TaskSpec => ({
  id: 't',
  launchType: 'FARGATE',
  containers: [{ name: 'app', ports: [9100], ...c }],
});
const everyRule = [rule({ name: 'broad', ports: [9100], path: '/rule' })];

describe('precedence on the same container and port', () => {
  const cases: [string, Partial<ContainerSpec>, string, string][] = [
    ['ecs-sd labels beat every other convention', { labels: all, env: envOn }, 'ecs-sd-labels', '/own'],
    [
      'PROMETHEUS env beats PROMETHEUS_EXPORTER labels and rules',
      { labels: { PROMETHEUS_EXPORTER_PORT: '9100' }, env: envOn },
      'prometheus-ecs-sd',
      '/env',
    ],
    [
      'PROMETHEUS_EXPORTER labels beat rules',
      { labels: { PROMETHEUS_EXPORTER_PORT: '9100' } },
      'prometheus-ecs-discovery',
      '/metrics',
    ],
    ['a rule alone', {}, 'rule', '/rule'],
  ];
  for (const [name, container, convention, path] of cases) {
    it(name, () => {
      const targets = targetsOf(task(container), { rules: everyRule });
      assert.equal(targets.length, 1, JSON.stringify(targets.map((t) => t.key)));
      assert.equal(targets[0]!.convention, convention);
      assert.equal(targets[0]!.labels['__metrics_path__'], path);
    });
  }

  it('says in the decision which declarations were superseded', () => {
    const d = decisionOf(task({ labels: all, env: envOn }), { rules: everyRule });
    assert.deepEqual(d.containers[0]!.notes, [
      'PROMETHEUS_ENDPOINT entry "/env" on container port 9100 superseded by ecs-sd-labels',
      'PROMETHEUS_EXPORTER_PORT=9100 on container port 9100 superseded by ecs-sd-labels',
      'rule "broad" on container port 9100 superseded by ecs-sd-labels',
    ]);
  });

  it('keeps the port for the higher convention while its binding is not assigned yet', () => {
    const d = decisionOf({
      id: 't',
      containers: [
        {
          name: 'app',
          ports: [9100],
          bindings: [],
          labels: { 'ecs-sd.scrape': 'true', PROMETHEUS_EXPORTER_PORT: '9100' },
        },
      ],
    });
    assert.deepEqual(d.containers[0]!.skips, [
      {
        reason: 'binding-not-assigned-yet',
        message: 'bridge binding for container port 9100 not assigned yet',
      },
    ]);
    assert.deepEqual(d.containers[0]!.notes, [
      'PROMETHEUS_EXPORTER_PORT=9100 on container port 9100 superseded by ecs-sd-labels',
    ]);
    assert.equal(d.incomplete, true);
  });

  it('lets a lower convention through when the higher one is switched off', () => {
    const targets = targetsOf(task({ labels: all, env: envOn }), {
      rules: everyRule,
      conventions: { ecsSdLabels: false, prometheusEcsSd: false, prometheusEcsDiscovery: true, rules: true },
    });
    assert.deepEqual(
      targets.map((t) => t.convention),
      ['prometheus-ecs-discovery'],
    );
  });

  it('keeps different ports from different conventions as separate targets', () => {
    const targets = targetsOf(
      task({
        ports: [9100, 9200],
        labels: { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', PROMETHEUS_EXPORTER_PORT: '9200' },
      }),
    );
    assert.deepEqual(
      targets.map((t) => [t.address, t.convention]),
      [
        ['10.0.2.20:9100', 'ecs-sd-labels'],
        ['10.0.2.20:9200', 'prometheus-ecs-discovery'],
      ],
    );
  });

  it('keeps several paths on one port from the same convention as separate targets', () => {
    const targets = targetsOf(
      task({ env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100', PROMETHEUS_ENDPOINT: '/a,/b' } }),
    );
    assert.deepEqual(
      targets.map((t) => t.key.split('/app/')[1]),
      ['9100/a', '9100/b'],
    );
  });

  it('resolves overlap by the bridge container port, whatever port each convention names', () => {
    const targets = targetsOf({
      id: 't',
      containers: [
        {
          name: 'app',
          ports: [9100],
          env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '32768' },
          labels: { PROMETHEUS_EXPORTER_PORT: '9100' },
        },
      ],
    });
    assert.deepEqual(
      targets.map((t) => [t.address, t.convention]),
      [['10.0.1.10:32768', 'prometheus-ecs-sd']],
    );
  });

  it('lets the first of two matching rules win a port', () => {
    const targets = targetsOf(task({}), {
      rules: [
        rule({ name: 'first', ports: [9100], job: 'one' }),
        rule({ name: 'second', ports: [9100], job: 'two' }),
      ],
    });
    assert.deepEqual(
      targets.map((t) => t.job),
      ['one'],
    );
  });
});
