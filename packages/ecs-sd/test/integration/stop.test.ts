/**
 * A stop during the first refresh: the reads it aborted are not failures, but they read nothing,
 * so the refresh is not complete. The runtime does not become ready, and the file_sd files of the
 * previous run (the last good targets) are not replaced by an empty list.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { loadFleet, simConfig, simDaemon, useTestCredentials } from './helpers.ts';

let sim: Sim;
let dir: string;
before(async () => {
  useTestCredentials();
  sim = await startSim({ port: 0, fleet: (await loadFleet('steady')) as never, throttling: false });
  dir = await mkdtemp(join(tmpdir(), 'ecs-sd-stop-'));
});
after(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

test('a stop during the first refresh keeps the previous run’s files and is not ready', async () => {
  const out = join(dir, 'out');
  await mkdir(out, { recursive: true });
  const previous = '[{"targets":["10.0.0.1:9100"],"labels":{"job":"kept"}}]\n';
  await writeFile(join(out, '1m-tasks.json'), previous);
  sim.setLatency(2000);
  try {
    const { daemon } = simDaemon(simConfig(sim.endpoint, `output: { directory: ${JSON.stringify(out)} }`));
    sim.resetCounters();
    daemon.start();
    await waitUntil('a call in flight', () => Object.keys(sim.counters()).length > 0 || daemon.scheduled());
    await daemon.stop();
    assert.equal(daemon.state.ready(), false);
    assert.equal(await readFile(join(out, '1m-tasks.json'), 'utf8'), previous);
  } finally {
    sim.setLatency(0);
  }
});
