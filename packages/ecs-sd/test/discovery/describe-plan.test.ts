import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DescribePlanInput,
  isFinal,
  planDescribe,
  type SkipReason,
  type TaskDecision,
} from '../../src/discovery/index.ts';
import type { ContainerSpec, TaskSpec } from './fixtures.ts';
import { decisionOf } from './helpers.ts';

const HOUR = 3_600_000;
const on = { PROMETHEUS: 'true' };
const app = (env: Record<string, string>, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'app',
  env,
  ...extra,
});

/** A decision as discovery makes it for a task: the reason it was skipped, if any, and whether it is incomplete. */
function decision(arn: string, shape: { lastStatus?: string; skip?: SkipReason; incomplete?: boolean } = {}) {
  const out: TaskDecision = {
    taskArn: arn,
    taskId: arn,
    clusterName: 'prod',
    source: 'main',
    lastStatus: shape.lastStatus ?? 'RUNNING',
    containers: [],
    incomplete: shape.incomplete ?? false,
  };
  if (shape.skip !== undefined) out.skip = { reason: shape.skip, message: shape.skip };
  return out;
}

describe('isFinal: the one definition of a decision a new description cannot change', () => {
  const rows: { name: string; spec: TaskSpec; final: boolean }[] = [
    {
      name: 'a RUNNING task with a target',
      spec: { id: 't', containers: [app(on, { ports: [9100] })] },
      final: true,
    },
    {
      name: 'a RUNNING task nobody opted in',
      spec: { id: 't', containers: [app({}, { ports: [9100] })] },
      final: true,
    },
    {
      name: 'a RUNNING task whose port is not a number (fixed only by a new revision)',
      spec: { id: 't', launchType: 'FARGATE', containers: [app({ ...on, PROMETHEUS_PORT: '91OO' })] },
      final: true,
    },
    {
      name: 'network mode none',
      spec: { id: 't', networkMode: 'none', containers: [app({ ...on, PROMETHEUS_PORT: '9100' })] },
      final: true,
    },
    {
      name: 'a PENDING task',
      spec: { id: 't', lastStatus: 'PENDING', containers: [app(on, { ports: [9100] })] },
      final: false,
    },
    {
      name: 'a bridge binding not assigned yet (incomplete)',
      spec: {
        id: 't',
        containers: [app({ ...on, PROMETHEUS_CONTAINER_PORT: '9100' }, { ports: [9100], bindings: [] })],
      },
      final: false,
    },
    {
      name: 'an awsvpc task whose ENI has no address yet (incomplete)',
      spec: {
        id: 't',
        launchType: 'FARGATE',
        containers: [app({ ...on, PROMETHEUS_PORT: '9100' })],
        eni: { subnetId: 'subnet-1' },
      },
      final: false,
    },
    {
      name: 'an EC2 task described without containerInstanceArn (task-missing-fields, not incomplete)',
      spec: { id: 't', containerInstance: null, containers: [app(on, { ports: [9100] })] },
      final: false,
    },
  ];
  for (const row of rows) {
    it(`${row.final ? 'final' : 'described again'}: ${row.name}`, () => {
      assert.equal(isFinal(decisionOf(row.spec)), row.final);
    });
  }

  it('a task skipped for missing fields is described again although its decision is not incomplete', () => {
    const missing = decision('a', { skip: 'task-missing-fields', incomplete: false });
    assert.equal(missing.incomplete, false);
    assert.equal(isFinal(missing), false);
    assert.equal(isFinal(decision('b', { skip: 'no-container-opted-in' })), true);
    assert.equal(isFinal(decision('c', { lastStatus: '', skip: 'task-missing-fields' })), false);
  });
});

describe('planDescribe: last decisions + a listing -> describe / keep / drop', () => {
  const now = 10 * HOUR;
  const described = (ages: Record<string, number>) => (arn: string) =>
    ages[arn] === undefined ? undefined : now - ages[arn]!;
  const base: DescribePlanInput = {
    listed: [],
    decisions: [],
    describedAt: () => undefined,
    now,
    describeAll: false,
  };
  const rows: {
    name: string;
    input: Partial<DescribePlanInput>;
    describe: string[];
    keep: string[];
    drop: string[];
    unchanged: boolean;
  }[] = [
    {
      name: 'a first read describes every listed task',
      input: { listed: ['a', 'b'] },
      describe: ['a', 'b'],
      keep: [],
      drop: [],
      unchanged: false,
    },
    {
      name: 'a steady cluster describes nothing, however long ago its tasks were described',
      input: {
        listed: ['a', 'b'],
        decisions: [decision('a'), decision('b')],
        describedAt: described({ a: 9 * HOUR, b: 60_000 }),
      },
      describe: [],
      keep: ['a', 'b'],
      drop: [],
      unchanged: true,
    },
    {
      name: 'a new task is described, the others kept',
      input: {
        listed: ['a', 'new'],
        decisions: [decision('a')],
        describedAt: described({ a: 1000 }),
      },
      describe: ['new'],
      keep: ['a'],
      drop: [],
      unchanged: false,
    },
    {
      name: 'a task no longer listed is dropped',
      input: {
        listed: ['a'],
        decisions: [decision('a'), decision('gone')],
        describedAt: described({ a: 1000, gone: 1000 }),
      },
      describe: [],
      keep: ['a'],
      drop: ['gone'],
      unchanged: false,
    },
    {
      name: 'a decision that is not final is described again',
      input: {
        listed: ['a', 'pending', 'partial'],
        decisions: [
          decision('a'),
          decision('pending', { lastStatus: 'PENDING', skip: 'task-not-running' }),
          decision('partial', { skip: 'task-missing-fields' }),
        ],
        describedAt: described({ a: 1000, pending: 1000, partial: 1000 }),
      },
      describe: ['pending', 'partial'],
      keep: ['a'],
      drop: [],
      unchanged: false,
    },
    {
      name: 'a task the fetcher no longer holds is described again',
      input: {
        listed: ['a', 'b'],
        decisions: [decision('a'), decision('b')],
        describedAt: described({ a: 1000 }),
      },
      describe: ['b'],
      keep: ['a'],
      drop: [],
      unchanged: false,
    },
    {
      name: 'task_reread_interval: a description that old is read again, a younger one stands',
      input: {
        listed: ['old', 'exactly', 'young'],
        decisions: [decision('old'), decision('exactly'), decision('young')],
        describedAt: described({ old: 11 * 60_000, exactly: 10 * 60_000, young: 9 * 60_000 }),
        rereadAfterMs: 10 * 60_000,
      },
      describe: ['old', 'exactly'],
      keep: ['young'],
      drop: [],
      unchanged: false,
    },
    {
      name: 'changed cluster tags describe every task (every target’s labels change)',
      input: {
        listed: ['a', 'b'],
        decisions: [decision('a'), decision('b')],
        describedAt: described({ a: 1000, b: 1000 }),
        describeAll: true,
      },
      describe: ['a', 'b'],
      keep: [],
      drop: [],
      unchanged: false,
    },
    {
      name: 'an ARN listed twice is planned once',
      input: { listed: ['a', 'a', 'b'], decisions: [decision('b')], describedAt: described({ b: 1 }) },
      describe: ['a'],
      keep: ['b'],
      drop: [],
      unchanged: false,
    },
    {
      name: 'an empty cluster read before is unchanged',
      input: { listed: [], decisions: [] },
      describe: [],
      keep: [],
      drop: [],
      unchanged: true,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const plan = planDescribe({ ...base, ...row.input });
      assert.deepEqual(plan, {
        describe: row.describe,
        keep: row.keep,
        drop: row.drop,
        unchanged: row.unchanged,
      });
    });
  }
});
