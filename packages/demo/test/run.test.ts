/** Stopping the demo in-process at any moment: during start-up, gracefully, or by force. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { startDemo } from '../src/demo.ts';
import { holdDemoFleet } from './fleet-lock.ts';

/** Live (not zombie) child processes of this test process, from /proc. */
function ownChildren(): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === process.pid && state !== 'Z') {
      out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
    }
  }
  return out;
}

describe('stopping the demo in-process', () => {
  let release: (() => Promise<void>) | undefined;
  before(async () => {
    release = await holdDemoFleet('stopping the demo in-process');
  });
  after(() => release?.());

  it('close() during start-up stops what has started and ends start-up', async () => {
    const lines: string[] = [];
    const run = startDemo({ prometheus: false, churnIntervalMs: 0, log: (l) => lines.push(l) });
    // Stop once exporters listen and ecs-sd is starting: children exist, start-up is not done.
    await waitUntil(
      'ecs-sd to be spawned',
      () => ownChildren().length > 0 && lines.some((l) => l.startsWith('exporters')),
      {
        timeoutMs: 60_000,
        everyMs: 20,
      },
    );
    await run.close();
    await assert.rejects(run.ready, { message: 'the demo is stopping' });
    assert.deepEqual(ownChildren(), [], 'no child left running');
    assert.ok(!lines.some((l) => l.startsWith('ecs-sd      http')), 'start-up did not go on after close()');
  });

  it('kill() ends every child at once and removes the work directory', async () => {
    const run = startDemo({ prometheus: false, churnIntervalMs: 0 });
    const demo = await run.ready;
    const children = ownChildren();
    assert.ok(children.length >= 1, 'ecs-sd (and node-exporters, when installed) run as children');
    run.kill();
    await waitUntil('every child to end', () => ownChildren().length === 0, { timeoutMs: 5000 });
    assert.ok(!existsSync(demo.workDir), `${demo.workDir} removed`);
    await run.close(); // the in-process servers (ecs-sim, exporters)
  });
});
