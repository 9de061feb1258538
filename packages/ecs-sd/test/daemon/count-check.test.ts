/**
 * The pure decisions of the count check: counts agree when they equal what events held at some
 * moment of the lag allowance; a mismatch sweeps after two checks in a row; scheduled sweeps are
 * spread over the interval, oldest first.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compareCounts,
  MISMATCH_CHECKS,
  nextStreaks,
  scheduledSweeps,
} from '../../src/daemon/count-check.ts';
import { servicesDisagreeing } from '../../src/daemon/service-sweep.ts';
import { CountHistory, phaseOf } from '../../src/events/count-history.ts';

const sample = (at: number, running: number, pending = 0) => ({ at, running, pending });

describe('compareCounts', () => {
  const history = [sample(Number.NEGATIVE_INFINITY, 10), sample(1000, 11), sample(5000, 12, 1)];
  const cases: {
    name: string;
    reported: [number, number];
    from: number;
    to: number;
    agree: boolean;
    differing?: string[];
  }[] = [
    { name: 'equal to the last believed counts', reported: [12, 1], from: 0, to: 6000, agree: true },
    {
      name: 'a lagging count equal to an earlier moment in the window',
      reported: [10, 0],
      from: 0,
      to: 6000,
      agree: true,
    },
    {
      name: 'a count older than the window',
      reported: [10, 0],
      from: 2000,
      to: 6000,
      agree: false,
      differing: ['running', 'pending'],
    },
    {
      name: 'a lost start: one more RUNNING than ever believed',
      reported: [13, 1],
      from: 0,
      to: 6000,
      agree: false,
      differing: ['running'],
    },
    {
      name: 'a lost stop: one less RUNNING than ever believed',
      reported: [9, 0],
      from: 0,
      to: 6000,
      agree: false,
      differing: ['running', 'pending'],
    },
    {
      name: 'running of one moment, pending of another',
      reported: [11, 1],
      from: 0,
      to: 6000,
      agree: false,
      differing: ['running'],
    },
    {
      name: 'a moment after `to` does not count',
      reported: [12, 1],
      from: 0,
      to: 4000,
      agree: false,
      differing: ['running', 'pending'],
    },
  ];
  for (const c of cases)
    test(c.name, () => {
      const result = compareCounts({ running: c.reported[0], pending: c.reported[1] }, history, c.from, c.to);
      assert.equal(result.agree, c.agree);
      assert.deepEqual(result.differing, c.differing ?? []);
    });

  test('no history: the counts must be 0 and 0', () => {
    assert.equal(compareCounts({ running: 0, pending: 0 }, [], 0, 10).agree, true);
    assert.equal(compareCounts({ running: 1, pending: 0 }, [], 0, 10).agree, false);
  });
});

describe('nextStreaks', () => {
  test(`a cluster is swept after ${MISMATCH_CHECKS} mismatches in a row; agreeing resets it`, () => {
    let state = new Map<string, number>();
    const step = (agreed: Record<string, boolean>) => {
      const next = nextStreaks(state, new Map(Object.entries(agreed)));
      state = next.streaks;
      return next.sweep;
    };
    assert.deepEqual(step({ a: false, b: false, c: true }), []);
    assert.deepEqual(step({ a: false, b: true, c: false }), ['a']);
    assert.deepEqual(step({ a: false, b: false, c: true }), []);
    assert.deepEqual(step({ a: false, b: false, c: true }), ['a', 'b']);
    assert.deepEqual([...state], []);
  });
});

describe('scheduledSweeps', () => {
  test('spreads one round of every cluster over the interval, oldest first', () => {
    const swept = new Map([
      ['a', 0],
      ['b', 0],
      ['c', 0],
      ['d', 0],
    ]);
    let credit = 0;
    const order: { check: number; cluster: string }[] = [];
    // 4 clusters, a check every minute, each swept every hour: one sweep every 15 checks.
    for (let check = 1; check <= 60; check++) {
      const ages = [...swept].map(([cluster, sweptAt]) => ({ cluster, sweptAt }));
      const next = scheduledSweeps(credit, ages, 60_000, 3_600_000);
      credit = next.credit;
      for (const cluster of next.sweep) {
        order.push({ check, cluster });
        swept.set(cluster, check * 60_000);
      }
    }
    assert.deepEqual(order, [
      { check: 15, cluster: 'a' },
      { check: 30, cluster: 'b' },
      { check: 45, cluster: 'c' },
      { check: 60, cluster: 'd' },
    ]);
  });

  test('an interval shorter than the check sweeps every cluster each check, never more', () => {
    const ages = [
      { cluster: 'b', sweptAt: 5 },
      { cluster: 'a', sweptAt: undefined },
    ];
    const first = scheduledSweeps(0, ages, 60_000, 1000);
    assert.deepEqual(first.sweep, ['a', 'b']);
    assert.ok(first.credit <= 1);
    assert.deepEqual(scheduledSweeps(0, [], 60_000, 1000), { credit: 0, sweep: [] });
  });
});

describe('CountHistory', () => {
  test('counts tasks by phase and keeps the samples of the window', () => {
    const counts = new CountHistory(10_000);
    counts.move(undefined, phaseOf({ lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' }), 100);
    counts.move('pending', phaseOf({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }), 200);
    counts.move(undefined, 'running', 200);
    counts.move('running', phaseOf({ lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' }), 300);
    counts.move('other', undefined, 400);
    assert.deepEqual([counts.running, counts.pending], [1, 0]);
    assert.deepEqual(
      counts.since(150).map((s) => [s.at, s.running, s.pending]),
      [
        [100, 0, 1],
        [200, 2, 0],
        [300, 1, 0],
      ],
    );
    counts.move(undefined, 'running', 20_000);
    assert.deepEqual(
      counts.since(0).map((s) => [s.at, s.running]),
      [
        [300, 1],
        [20_000, 2],
      ],
      'samples older than the window go, but the one in effect at its start stays',
    );
  });
});

describe('servicesDisagreeing', () => {
  test('names the services whose counts differ; one ECS did not report is left out', () => {
    const reported = new Map([
      ['web', { running: 3, pending: 0 }],
      ['api', { running: 2, pending: 1 }],
      ['new', { running: 1, pending: 0 }],
    ]);
    const believed = new Map([
      ['web', { running: 3, pending: 0 }],
      ['api', { running: 2, pending: 0 }],
      ['gone', { running: 1, pending: 0 }],
    ]);
    assert.deepEqual(servicesDisagreeing(reported, believed), ['api', 'new']);
    assert.deepEqual(servicesDisagreeing(new Map(), believed), []);
  });
});
