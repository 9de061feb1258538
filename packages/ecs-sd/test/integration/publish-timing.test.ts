/**
 * When a refresh writes file_sd, against ecs-sim with the runtime's clock and timers faked: a
 * refresh that ends about on time writes each file once, however long its clusters take to be read
 * one after another; one held up by a slow cluster writes the others' targets once it runs 1.5 times
 * as long as the last complete refresh. Time is the fake clock's, so the test waits on nothing real
 * but the slow cluster's added latency.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { createRuntime } from '../../src/daemon/runtime.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { FakeTimer } from '../support/fake-timer.ts';
import { loadFleet, metricSum, simConfig, useTestCredentials } from './helpers.ts';

/** The fake time the first complete refresh takes. */
const FIRST_REFRESH_MS = 10_000;
/** The fake time the second refresh takes (shorter: the usual length follows the last complete refresh). */
const SECOND_REFRESH_MS = 4_000;

describe('file_sd writes during a refresh', () => {
  let sim: Sim;
  let dir: string;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-publish-timing-'));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('once per refresh that ends on time; a slow cluster holds the others only until 1.5 times the last complete refresh', async () => {
    const clock = new FakeTimer();
    const metrics = createMetrics({ defaultMetrics: false });
    const file = join(dir, 'tasks.json');
    const daemon = createRuntime(simConfig(sim.endpoint, `output: { file: ${JSON.stringify(file)} }`), {
      log: silentLogger(),
      metrics,
      now: clock.now,
      timer: clock,
    });
    const writes = () => metricSum(metrics, 'ecs_sd_file_writes_total');
    const addresses = async () =>
      (JSON.parse(await readFile(file, 'utf8')) as { targets: string[] }[]).flatMap((group) => group.targets);
    /** Starts a refresh in which beta's ListTasks answers `latencyMs` late, and waits until alpha was read. */
    const refreshWithSlowBeta = async (latencyMs: number) => {
      sim.faults.add({ kind: 'latency', operation: 'ListTasks', cluster: 'beta', latencyMs, count: 1 });
      const refresh = daemon.refresh();
      await waitUntil('alpha read and its publish scheduled', async () => clock.pending().length > 0);
      // Wrapped: an async function returning the promise itself would wait for the refresh to end.
      return { refresh };
    };
    try {
      // The clock moves while the refresh waits on ecs-sim, so the refresh lasts FIRST_REFRESH_MS.
      sim.resetCounters();
      const first = daemon.refresh();
      await waitUntil('the first refresh calling ecs-sim', async () =>
        Object.values(sim.counters()).some((count) => count > 0),
      );
      clock.time += FIRST_REFRESH_MS;
      assert.equal((await first).complete, true);
      assert.equal(await writes(), 1);
      const before = await addresses();

      // A new alpha task while beta is slow: alpha's targets wait for the refresh's end, not a second.
      const [added] = sim.runTask({ cluster: 'alpha', taskDefinition: 'web', launchType: 'FARGATE' });
      sim.settle();
      const { refresh: second } = await refreshWithSlowBeta(1_500);
      // Beta is still read (1.5 s of real latency); the fake clock moves as if it took SECOND_REFRESH_MS.
      assert.deepEqual(
        clock.pending(),
        [1.5 * FIRST_REFRESH_MS],
        'due 1.5 times the last refresh from its start',
      );
      assert.equal(await writes(), 1, 'nothing written while beta is read');
      clock.time += SECOND_REFRESH_MS;
      assert.equal((await second).complete, true);
      assert.deepEqual(clock.pending(), [], 'the refresh ended first and wrote itself');
      assert.equal(await writes(), 2, 'one write for the whole refresh');
      const withAdded = await addresses();
      assert.equal(withAdded.length, before.length + 1, `task ${added?.arn} added`);

      // The reverse change while beta is slower than that: alpha's change is written without beta.
      sim.stopTask(added!.arn);
      sim.settle();
      const { refresh: third } = await refreshWithSlowBeta(3_000);
      let thirdEnded = false;
      void third.then(() => {
        thirdEnded = true;
      });
      assert.deepEqual(
        clock.pending(),
        [1.5 * SECOND_REFRESH_MS],
        'the usual length is the last complete refresh',
      );
      await clock.advance(1.5 * SECOND_REFRESH_MS);
      await waitUntil('alpha written', async () => (await writes()) === 3);
      assert.equal(thirdEnded, false, 'written while beta was still read');
      assert.deepEqual((await addresses()).sort(), [...before].sort());
      assert.equal((await third).complete, true);
      assert.equal(await writes(), 3, 'the refresh’s own publish found nothing new to write');
    } finally {
      await daemon.stop();
    }
  });
});
