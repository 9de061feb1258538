/**
 * The status recorder: a stale cluster says since when and why, a cluster never read says it is
 * failing, a source whose clusters cannot be selected says so, records do not outlive their
 * clusters, and event mode reports its lag and its last receive error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceConfig } from '../../src/config/types.ts';
import type { SourceRefreshResult } from '../../src/daemon/source-refresh.ts';
import { DiscoveryState } from '../../src/daemon/state.ts';
import { daemonStatus, EventStatusRecorder, RECENT_LAGS, StatusRecorder } from '../../src/daemon/status.ts';
import { decision, target } from '../output/fixtures.ts';

const ARN = (name: string) => `arn:aws:ecs:eu-west-1:123456789012:cluster/${name}`;
const SOURCES: SourceConfig[] = [{ name: 'eu', region: 'eu-west-1' }];

function setUp() {
  const clock = { ms: 1_000_000 };
  const state = new DiscoveryState();
  const recorder = new StatusRecorder(
    () => clock.ms,
    (source, arn) => state.entry(source, arn) !== undefined,
  );
  const status = () =>
    daemonStatus({
      nowMs: clock.ms,
      refreshIntervalMs: 30_000,
      sources: SOURCES,
      state,
      recorder,
      events: new Map(),
      budgets: [],
    });
  const read = (cluster: string, startedMs: number, error?: string) =>
    recorder.clusterRead({
      source: 'eu',
      clusterArn: ARN(cluster),
      clusterName: cluster,
      startedMs,
      endedMs: clock.ms,
      ...(error && { error }),
    });
  const refreshed = (startedMs: number, result: Partial<SourceRefreshResult> = {}) =>
    recorder.sourceRefreshed(
      { source: 'eu', refreshed: 1, failures: [], removed: [], pending: [], ...result },
      startedMs,
      true,
    );
  return { clock, state, recorder, status, read, refreshed };
}

describe('StatusRecorder and daemonStatus', () => {
  it('a stale cluster says since when (the first failure in a row) and why (the last failure)', () => {
    const { clock, state, status, read } = setUp();
    const web = target({ cluster: 'prod', taskId: 'a1', ip: '10.0.0.1' });
    state.update({
      source: 'eu',
      clusterArn: ARN('prod'),
      clusterName: 'prod',
      targets: [web],
      decisions: [
        decision({ cluster: 'prod', taskId: 'a1', targets: [web] }),
        decision({ cluster: 'prod', taskId: 'b1', skipReason: 'port-not-a-number' }),
      ],
      lastSuccessMs: clock.ms,
    });
    read('prod', clock.ms - 5);
    assert.deepEqual(status().clusters[0], {
      source: 'eu',
      clusterName: 'prod',
      clusterArn: ARN('prod'),
      state: 'fresh',
      lastSuccessMs: 1_000_000,
      lastRead: { startedMs: 999_995, durationMs: 5 },
      tasks: 2,
      targets: 1,
      skippedTasks: 1,
    });
    clock.ms += 30_000;
    state.markStale('eu', ARN('prod'));
    read('prod', clock.ms - 80, 'list tasks failed: AccessDeniedException: no');
    clock.ms += 30_000;
    read('prod', clock.ms - 70, 'list tasks failed: AccessDeniedException: still no');
    const stale = status().clusters[0]!;
    assert.equal(stale.state, 'stale');
    assert.deepEqual(stale.error, {
      message: 'list tasks failed: AccessDeniedException: still no',
      atMs: 1_060_000,
      sinceMs: 1_030_000,
    });
    assert.deepEqual(stale.lastRead, {
      startedMs: 1_059_930,
      durationMs: 70,
      error: 'list tasks failed: AccessDeniedException: still no',
    });
    assert.equal(stale.lastSuccessMs, 1_000_000);
    clock.ms += 30_000;
    state.touch('eu', ARN('prod'), clock.ms);
    read('prod', clock.ms - 3);
    const healed = status().clusters[0]!;
    assert.equal(healed.state, 'fresh');
    assert.equal(healed.error, undefined);
  });

  it('a cluster never read successfully is failing, until a full refresh no longer selects it', () => {
    const { clock, status, read, refreshed } = setUp();
    const started = clock.ms;
    read('new', clock.ms, 'describe tasks failed for cluster "new": timed out');
    refreshed(started, { failures: ['describe tasks failed for cluster "new": timed out'], refreshed: 0 });
    assert.deepEqual(
      status().clusters.map((c) => [c.clusterName, c.state, c.error?.message, c.targets]),
      [['new', 'failing', 'describe tasks failed for cluster "new": timed out', 0]],
    );
    assert.deepEqual(status().sources[0]!.lastRefresh, {
      startedMs: started,
      durationMs: 0,
      full: true,
      clustersRead: 0,
      failures: 1,
      error: 'describe tasks failed for cluster "new": timed out',
    });
    clock.ms += 30_000;
    refreshed(clock.ms);
    assert.deepEqual(status().clusters, [], 'gone with the refresh that did not read it');
  });

  it('a source whose clusters cannot be selected says so, and its stale clusters give that as why', () => {
    const { clock, state, status, read, refreshed } = setUp();
    state.update({
      source: 'eu',
      clusterArn: ARN('prod'),
      clusterName: 'prod',
      targets: [],
      decisions: [],
      lastSuccessMs: clock.ms,
    });
    read('prod', clock.ms);
    clock.ms += 30_000;
    const started = clock.ms;
    clock.ms += 200;
    state.markStale('eu', ARN('prod'));
    refreshed(started, {
      selectError: 'list clusters failed: AccessDeniedException: no',
      failures: ['x'],
      refreshed: 0,
    });
    const snapshot = status();
    assert.deepEqual(snapshot.sources[0]!.selectError, {
      message: 'list clusters failed: AccessDeniedException: no',
      atMs: 1_030_200,
      sinceMs: 1_030_200,
    });
    assert.equal(snapshot.sources[0]!.lastRefresh?.durationMs, 200);
    assert.equal(snapshot.clusters[0]!.state, 'stale');
    assert.equal(snapshot.clusters[0]!.error?.message, 'list clusters failed: AccessDeniedException: no');
    assert.equal(snapshot.clusters.length, 1, 'a failed selection forgets no cluster');
    clock.ms += 30_000;
    refreshed(clock.ms);
    assert.equal(status().sources[0]!.selectError, undefined);
  });
});

describe('EventStatusRecorder', () => {
  it('counts messages and keeps the last and longest recent lag, passing every call on to the metrics', () => {
    let now = 5_000;
    const recorder = new EventStatusRecorder(() => now);
    const seen: string[] = [];
    const metrics = recorder.wrap({
      received: (count) => seen.push(`received ${count}`),
      lag: (seconds) => seen.push(`lag ${seconds}`),
      stale: () => seen.push('stale'),
    });
    metrics.received?.(3);
    metrics.lag?.(9);
    for (let i = 0; i < RECENT_LAGS; i++) metrics.lag?.(1);
    now = 6_000;
    metrics.lag?.(2);
    metrics.stale?.();
    const events = {
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
      reconcileIntervalMs: 600_000,
      consistencyCheckIntervalMs: 60_000,
      pendingRecheckAfterMs: 90_000,
    } as const;
    const healthy = recorder.snapshot(
      { health: 'healthy', consecutiveFailures: 0, lastError: new Error('old') },
      { ...events, waitTimeSeconds: 20, unhealthyAfter: 3, publishDelayMs: 100, describeNewTasks: false },
    );
    assert.deepEqual(healthy, {
      queueUrl: events.queueUrl,
      healthy: true,
      consecutiveFailures: 0,
      reconcileIntervalMs: 600_000,
      received: 3,
      lastEventMs: 6_000,
      lastLagSeconds: 2,
      maxRecentLagSeconds: 2,
    });
    assert.equal(seen.length, 1 + 1 + RECENT_LAGS + 1 + 1);
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDenied' });
    const failing = recorder.snapshot(
      { health: 'unhealthy', consecutiveFailures: 4, lastError: denied },
      { ...events, waitTimeSeconds: 20, unhealthyAfter: 3, publishDelayMs: 100, describeNewTasks: false },
    );
    assert.equal(failing.healthy, false);
    assert.equal(failing.lastError, 'AccessDenied: not authorized');
  });
});
