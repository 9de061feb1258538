/**
 * The cold start of the daemon's loop: on a first start, each cluster is published as soon as it is
 * read instead of waiting for the slowest; an output file left by a previous run (the last good
 * targets) is replaced only once every cluster was read.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { simConfig, simDaemon, useTestCredentials } from './helpers.ts';

async function targetsIn(file: string): Promise<string[] | undefined> {
  try {
    const groups = JSON.parse(await readFile(file, 'utf8')) as { targets: string[] }[];
    return groups.flatMap((group) => group.targets);
  } catch {
    return undefined;
  }
}

describe('cold start', () => {
  let sim: Sim;
  let dir: string;
  let slow: string;

  before(async () => {
    useTestCredentials();
    sim = await startSim({
      port: 0,
      throttling: false,
      generate: {
        clusters: 2,
        tasks: 20,
        services: 2,
        taskDefinitions: 2,
        networkModes: 'fargate:1',
        seed: 9,
      },
    });
    slow = [...sim.world.account(sim.accountId).clusters.keys()].sort()[1]!;
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-cold-'));
  });

  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a first start publishes each cluster as soon as it is read, not after the slowest', async () => {
    const file = join(dir, 'first.json');
    const fault = sim.faults.add({ kind: 'latency', latencyMs: 1500, operation: 'ListTasks', cluster: slow });
    const { daemon } = simDaemon(simConfig(sim.endpoint, `output: { file: ${JSON.stringify(file)} }`));
    try {
      daemon.start();
      const early = await waitUntil('the first cluster published', () => targetsIn(file), {
        timeoutMs: 5000,
      });
      assert.equal(early.length, 10, 'the fast cluster alone, while the slow one is still being read');
      assert.equal(daemon.state.ready(), false);
      const all = await waitUntil(
        'both clusters published',
        async () => ((await targetsIn(file))?.length === 20 ? true : undefined),
        { timeoutMs: 10_000 },
      );
      assert.equal(all, true);
    } finally {
      sim.faults.remove(fault);
      await daemon.stop();
    }
  });

  test('an output file of a previous run is replaced only once every cluster was read', async () => {
    const file = join(dir, 'previous.json');
    const previous = [{ targets: ['10.0.0.1:9100'], labels: { job: 'from-before' } }];
    await writeFile(file, JSON.stringify(previous));
    const fault = sim.faults.add({ kind: 'access-denied', operation: 'ListTasks', cluster: slow });
    const { daemon } = simDaemon(simConfig(sim.endpoint, `output: { file: ${JSON.stringify(file)} }`));
    try {
      daemon.start();
      await waitUntil('the readable cluster read', () => daemon.state.clusters().length === 1, {
        timeoutMs: 5000,
      });
      await daemon.refresh();
      assert.deepEqual(await targetsIn(file), ['10.0.0.1:9100'], 'the last good file is kept');
      sim.faults.remove(fault);
      const summary = await daemon.refresh();
      assert.equal(summary.complete, true, summary.failures.join('\n'));
      assert.equal((await targetsIn(file))?.length, 20, 'every cluster published once all were read');
    } finally {
      sim.faults.clear();
      await daemon.stop();
    }
  });
});
