import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTargetGroups, toTargetGroups } from '../../src/output/target-groups.ts';
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
  for (const targets of [first, second, first, [], [first[1]!]]) {
    const groups = toTargetGroups(targets);
    assert.equal(renderTargetGroups(targets, 'file'), `${JSON.stringify(groups, null, 2)}\n`);
    assert.equal(renderTargetGroups(targets, 'compact'), JSON.stringify(groups));
  }
});
