/**
 * Event mode's count check against ecs-sim through the real SDK clients (issue 15): counts that
 * agree cost one DescribeClusters per check and no sweep; a lost start or a lost stop is found by the
 * counts and healed by a sweep of that cluster; a start and a stop both lost cancel out in the
 * counts, so only the scheduled sweep heals them; counts that lag a change do not sweep; while the
 * queue is unreadable nothing is checked and polling carries on.
 *
 * Events are lost by pointing ecs-sim's EventBridge rule at another queue (`ecs-raw`) for a moment.
 * Checks run every second (the config's minimum), so each scenario takes a few seconds.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { DescribeClustersCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { FLEET, LIFECYCLE, settled, simClients } from '../events/sim.ts';
import { metricSum, metricValue, simConfig, useTestCredentials } from './helpers.ts';

const EVENTS_OPTIONS = { waitTimeSeconds: 1, unhealthyAfter: 3, backoffInitialMs: 20, backoffMaxMs: 100 };
const SOURCE = { source: 'sim' };

async function fileText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

describe('event mode count check against ecs-sim', () => {
  let sim: Sim;
  let dir: string;
  let daemon: Runtime | undefined;
  let clients: ReturnType<typeof simClients>;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
    sim.setEventsQueue('ecs-events');
    clients = simClients(sim);
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-counts-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    sim.faults.clear();
    sim.setCountLag(0);
    sim.setEventsQueue('ecs-events');
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A daemon of `prod` checking counts every second, started and through its first refresh. */
  async function startDaemon(
    name: string,
    events: Record<string, unknown> = {},
    refreshInterval = '60s',
    on: Sim = sim,
  ) {
    const file = join(dir, `${name}.json`);
    const config = simConfig(
      on.endpoint,
      `refresh_interval: ${refreshInterval}\noutput:\n  file: ${file}\n`,
      {
        clusters: ['prod'],
        events: {
          queue_url: `${on.endpoint}/${on.accountId}/ecs-events`,
          consistency_check_interval: '1s',
          full_sweep_interval: '24h',
          ...events,
        },
      },
    );
    const metrics = createMetrics({ defaultMetrics: false });
    const logs: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'debug',
      format: 'json',
      sink: { write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    });
    daemon = createRuntime(config, { log, metrics, eventsOptions: EVENTS_OPTIONS });
    daemon.start();
    const started = daemon;
    await waitUntil('the first refresh', () => started.state.ready());
    await waitUntil('the first file_sd', async () => (await fileText(file)) || undefined);
    return { file, metrics, logs };
  }

  const sweeps = (metrics: Metrics, reason: string) =>
    metricValue(metrics, 'ecs_sd_event_sweeps_total', { ...SOURCE, reason });
  const checks = (metrics: Metrics) => metricSum(metrics, 'ecs_sd_event_count_checks_total', SOURCE);
  const checksPast = async (metrics: Metrics, count: number) => {
    const from = await checks(metrics);
    await waitUntil(`${count} more count checks`, async () => (await checks(metrics)) >= from + count, {
      timeoutMs: (count + 3) * 2000,
    });
  };
  /** Runs `fn` while ecs-sim sends its events to a queue the daemon does not read. */
  const losingEvents = (fn: () => void) => {
    sim.setEventsQueue('ecs-raw');
    fn();
    sim.settle();
    sim.setEventsQueue('ecs-events');
  };
  const runningApi = () =>
    sim
      .groundTruth()
      .tasks.find(
        (task) => task.cluster === 'prod' && task.service === undefined && task.lastStatus === 'RUNNING',
      );

  test('counts that agree: one DescribeClusters per check, no sweep, no ListTasks', async () => {
    const { metrics } = await startDaemon('agree');
    sim.resetCounters();
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(started?.arn);
    await waitUntil('prod settled', () => settled(sim, 'prod'));
    await checksPast(metrics, 3);
    const calls = sim.counters();
    assert.equal(calls['ListTasks'] ?? 0, 0, JSON.stringify(calls));
    assert.ok((calls['DescribeClusters'] ?? 0) >= 3, JSON.stringify(calls));
    assert.equal(await sweeps(metrics, 'count-mismatch'), 0);
    assert.equal(await sweeps(metrics, 'start'), 1, 'the first refresh swept prod once');
    assert.equal(await metricSum(metrics, 'ecs_sd_event_count_mismatches_total'), 0);
    const age = await metricValue(metrics, 'ecs_sd_event_full_sweep_age_seconds', {
      ...SOURCE,
      cluster: 'prod',
    });
    assert.ok(age > 0, `the age of prod's last full sweep is set (${age})`);
  });

  test('a lost start: the counts disagree, prod is swept and the task becomes a target', async () => {
    const { file, metrics, logs } = await startDaemon('lost-start');
    let arn = '';
    losingEvents(() => {
      arn = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' })[0]!.arn;
    });
    await waitUntil('the lost start healed', async () => (await fileText(file)).includes(arn), {
      timeoutMs: 10_000,
    });
    assert.ok((await sweeps(metrics, 'count-mismatch')) >= 1);
    assert.ok((await metricSum(metrics, 'ecs_sd_event_count_mismatches_total', { cluster: 'prod' })) >= 2);
    const line = logs.find((entry) => String(entry['msg']).startsWith('cluster counts disagree'));
    assert.ok(line, 'a debug line says which counts disagreed');
    assert.deepEqual(line['differing'], ['running']);
    assert.equal(
      (line['reported'] as { running: number }).running,
      (line['believed'] as { running: number }).running + 1,
    );
  });

  test('a service task whose start was lost: only that service is swept (DescribeServices, ListTasks --service-name)', async () => {
    const { file, metrics } = await startDaemon('service-sweep');
    const webTasks = () =>
      sim.groundTruth().tasks.filter((task) => task.service === 'web' && task.lastStatus === 'RUNNING');
    const before = new Set(webTasks().map((task) => task.taskArn));
    sim.setEventsQueue('ecs-raw');
    await clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: before.size + 1 }),
    );
    sim.settle();
    sim.setEventsQueue('ecs-events');
    const added = webTasks().find((task) => !before.has(task.taskArn));
    assert.ok(added, 'the service started a task');
    sim.resetCounters();
    await waitUntil('the lost start healed', async () => (await fileText(file)).includes(added.taskArn), {
      timeoutMs: 10_000,
    });
    assert.equal(await metricSum(metrics, 'ecs_sd_event_service_sweeps_total'), 1);
    assert.equal(await sweeps(metrics, 'count-mismatch'), 0, 'the cluster was not swept');
    const calls = sim.counters();
    assert.ok((calls['DescribeServices'] ?? 0) >= 1, JSON.stringify(calls));
    assert.equal(calls['ListTasks'], 1, `one ListTasks --service-name: ${JSON.stringify(calls)}`);
    await clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: before.size }),
    );
    sim.settle();
  });

  test('a service task whose stop was lost: healed within two checks by a sweep of that service alone', async () => {
    const { file, metrics } = await startDaemon('service-stop');
    const webTasks = () =>
      sim.groundTruth().tasks.filter((task) => task.service === 'web' && task.lastStatus === 'RUNNING');
    const before = webTasks().map((task) => task.taskArn);
    assert.ok(before.length >= 2, 'web runs at least two tasks');
    const text = await fileText(file);
    assert.ok(before.every((arn) => text.includes(arn)));
    sim.setEventsQueue('ecs-raw');
    await clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: before.length - 1 }),
    );
    sim.settle();
    sim.setEventsQueue('ecs-events');
    const left = new Set(webTasks().map((task) => task.taskArn));
    const stopped = before.find((arn) => !left.has(arn));
    assert.ok(stopped, 'the service stopped a task');
    sim.resetCounters();
    const checksBefore = await checks(metrics);
    await waitUntil('the lost stop healed', async () => !(await fileText(file)).includes(stopped), {
      timeoutMs: 10_000,
    });
    assert.ok(
      (await checks(metrics)) - checksBefore <= 3,
      'healed at the second check (or the third, if one was under way)',
    );
    assert.equal(await metricSum(metrics, 'ecs_sd_event_service_sweeps_total'), 1);
    assert.equal(await sweeps(metrics, 'count-mismatch'), 0, 'the cluster was not swept');
    const calls = sim.counters();
    assert.equal(calls['ListTasks'], 1, `one ListTasks --service-name: ${JSON.stringify(calls)}`);
    await clients.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: before.length }),
    );
    sim.settle();
  });

  test('a lost stop: the counts disagree, prod is swept and the target goes', async () => {
    const { file, metrics } = await startDaemon('lost-stop');
    const task = runningApi();
    assert.ok(task);
    assert.ok((await fileText(file)).includes(task.taskArn));
    losingEvents(() => sim.stopTask(task.taskArn));
    await waitUntil('the lost stop healed', async () => !(await fileText(file)).includes(task.taskArn), {
      timeoutMs: 10_000,
    });
    assert.ok((await sweeps(metrics, 'count-mismatch')) >= 1);
  });

  test('a start and a stop both lost cancel out in the counts: only the scheduled sweep heals them', async () => {
    const { file, metrics } = await startDaemon('both-lost', { full_sweep_interval: '6s' });
    const stopped = runningApi();
    assert.ok(stopped);
    let arn = '';
    losingEvents(() => {
      sim.stopTask(stopped.taskArn);
      arn = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' })[0]!.arn;
    });
    await checksPast(metrics, 2);
    // One cluster swept every 6 s by checks every second: the first scheduled sweep comes at the 6th check.
    assert.equal(await sweeps(metrics, 'scheduled'), 0);
    const text = await fileText(file);
    assert.ok(text.includes(stopped.taskArn) && !text.includes(arn), 'the counts agreed: nothing healed yet');
    await waitUntil(
      'healed by the scheduled sweep',
      async () => {
        const now = await fileText(file);
        return now.includes(arn) && !now.includes(stopped.taskArn);
      },
      { timeoutMs: 15_000 },
    );
    assert.ok((await sweeps(metrics, 'scheduled')) >= 1);
    assert.equal(await sweeps(metrics, 'count-mismatch'), 0, 'the counts agreed all along');
  });

  test('counts that lag a change do not sweep', async () => {
    const { file, metrics } = await startDaemon('lagging');
    sim.setCountLag(2500);
    const before = await clients.ecs.send(new DescribeClustersCommand({ clusters: ['prod'] }));
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(started?.arn);
    sim.settle();
    await waitUntil('the start applied from its event', async () =>
      (await fileText(file)).includes(started.arn),
    );
    const during = await clients.ecs.send(new DescribeClustersCommand({ clusters: ['prod'] }));
    assert.equal(
      during.clusters?.[0]?.runningTasksCount,
      before.clusters?.[0]?.runningTasksCount,
      'the counts still show the state before the start',
    );
    await checksPast(metrics, 5);
    const after = await clients.ecs.send(new DescribeClustersCommand({ clusters: ['prod'] }));
    assert.equal(after.clusters?.[0]?.runningTasksCount, (before.clusters?.[0]?.runningTasksCount ?? 0) + 1);
    assert.equal(await sweeps(metrics, 'count-mismatch'), 0);
    assert.equal(await metricSum(metrics, 'ecs_sd_event_count_mismatches_total'), 0);
  });

  describe('tasks ecs-sim holds PENDING (pendingMs of an hour) until it settles', () => {
    let held: Sim;
    before(async () => {
      held = await startSim({
        port: 0,
        fleet: FLEET as never,
        throttling: false,
        lifecycle: { ...LIFECYCLE, pendingMs: 3_600_000 },
      });
      held.setEventsQueue('ecs-events');
    });
    afterEach(() => {
      held.faults.clear();
      held.setEventsQueue('ecs-events');
      held.settle();
    });
    after(async () => {
      await held.close();
    });
    const rechecks = (metrics: Metrics) => metricSum(metrics, 'ecs_sd_event_pending_rechecks_total', SOURCE);
    const runHeld = () => held.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' })[0]!.arn;

    test('a task legitimately PENDING is described again once per bound, and stays no target', async () => {
      const { file, metrics } = await startDaemon('held', { pending_recheck_after: '1s' }, '60s', held);
      held.resetCounters();
      const arn = runHeld();
      await waitUntil('the pending task described again twice', async () => (await rechecks(metrics)) >= 2, {
        timeoutMs: 10_000,
      });
      await daemon?.stop();
      daemon = undefined;
      const calls = held.counters();
      assert.equal(
        calls['DescribeTasks'],
        await rechecks(metrics),
        `one DescribeTasks per recheck: ${JSON.stringify(calls)}`,
      );
      assert.equal(calls['ListTasks'] ?? 0, 0, JSON.stringify(calls));
      assert.equal(await sweeps(metrics, 'count-mismatch'), 0);
      assert.ok(held.findTask(arn)?.lastStatus === 'PENDING', 'ecs-sim still holds it PENDING');
      assert.ok(!(await fileText(file)).includes(arn), 'a PENDING task is no target');
    });

    test('a lost RUNNING event with the counts blind (DescribeClusters failing): healed by the recheck, no sweep', async () => {
      const { file, metrics } = await startDaemon(
        'lost-running',
        { pending_recheck_after: '1s' },
        '60s',
        held,
      );
      const arn = runHeld();
      await waitUntil(
        'the PENDING task known (described again once)',
        async () => (await rechecks(metrics)) >= 1,
        {
          timeoutMs: 10_000,
        },
      );
      // Counts that cannot be read see nothing, as counts masked by churn see nothing.
      held.faults.add({ operation: 'DescribeClusters', kind: 'http500', rate: 1 });
      held.resetCounters();
      held.setEventsQueue('ecs-raw');
      held.settle();
      held.setEventsQueue('ecs-events');
      assert.equal(held.findTask(arn)?.lastStatus, 'RUNNING');
      await waitUntil('the lost RUNNING healed', async () => (await fileText(file)).includes(arn), {
        timeoutMs: 10_000,
      });
      const calls = held.counters();
      assert.ok((calls['DescribeTasks'] ?? 0) >= 1, JSON.stringify(calls));
      assert.equal(calls['ListTasks'] ?? 0, 0, `no sweep: ${JSON.stringify(calls)}`);
      assert.equal(await sweeps(metrics, 'count-mismatch'), 0);
      assert.equal(await metricSum(metrics, 'ecs_sd_event_service_sweeps_total'), 0);
    });
  });

  test('an unreadable queue: no count checks, polling at refresh_interval; checks resume with the queue', async () => {
    const { file, metrics } = await startDaemon('outage', {}, '1s');
    const fault = sim.faults.add({ operation: 'ReceiveMessage', kind: 'http500', rate: 1 });
    await waitUntil(
      'the events source unhealthy',
      async () => (await metricValue(metrics, 'ecs_sd_events_healthy', SOURCE)) === 0,
    );
    const checksBefore = await checks(metrics);
    const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
    assert.ok(started?.arn);
    await waitUntil('the started task found by polling', async () =>
      (await fileText(file)).includes(started.arn),
    );
    assert.ok((await sweeps(metrics, 'queue-unhealthy')) >= 1);
    assert.equal(await checks(metrics), checksBefore, 'no count check while the queue is unreadable');
    sim.faults.remove(fault);
    await waitUntil(
      'the events source healthy again',
      async () => (await metricValue(metrics, 'ecs_sd_events_healthy', SOURCE)) === 1,
    );
    await checksPast(metrics, 1);
  });

  test('a full refresh an outage brought forward counts as queue-unhealthy, also when the queue healed before it ran', async () => {
    const { metrics } = await startDaemon('outage-short', {}, '3s');
    const fault = sim.faults.add({ operation: 'ReceiveMessage', kind: 'http500', rate: 1 });
    await waitUntil(
      'the events source unhealthy',
      async () => (await metricValue(metrics, 'ecs_sd_events_healthy', SOURCE)) === 0,
    );
    const before = await sweeps(metrics, 'queue-unhealthy');
    sim.faults.remove(fault);
    await waitUntil(
      'the events source healthy again',
      async () => (await metricValue(metrics, 'ecs_sd_events_healthy', SOURCE)) === 1,
    );
    await waitUntil(
      'the refresh the outage brought forward',
      async () => (await sweeps(metrics, 'queue-unhealthy')) + (await sweeps(metrics, 'scheduled')) > before,
      { timeoutMs: 10_000 },
    );
    assert.equal(await sweeps(metrics, 'scheduled'), 0, 'not the daily scheduled refresh');
  });
});
