import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FORCED_EXIT_CODE, type ShutdownDeps, shutdownOnRequest } from '../src/shutdown.ts';

/** A shutdown whose close() the test settles by hand and whose deadline timer it fires by hand. */
function harness(deadlineMs = 8000) {
  const events: string[] = [];
  let settleClose: { resolve: () => void; reject: (err: Error) => void } | undefined;
  let fireDeadline: (() => void) | undefined;
  const deps: ShutdownDeps = {
    close: () => {
      events.push('close');
      return new Promise<void>((resolve, reject) => {
        settleClose = { resolve, reject };
      });
    },
    kill: () => events.push('kill'),
    exit: (code) => events.push(`exit ${code}`),
    log: (line) => events.push(`log ${line}`),
    deadlineMs,
    setTimer: (fn, ms) => {
      events.push(`timer ${ms}`);
      fireDeadline = fn;
      return () => {
        events.push('timer cancelled');
        fireDeadline = undefined;
      };
    },
  };
  const stop = shutdownOnRequest(deps);
  return { stop, events, settle: () => settleClose!, deadline: () => fireDeadline?.() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('stopping the demo', () => {
  it('closes gracefully on the first Ctrl-C and exits 0', async () => {
    const h = harness();
    h.stop('interrupted');
    h.settle().resolve();
    await tick();
    assert.deepEqual(h.events, [
      'log stopping (interrupted); Ctrl-C again kills at once',
      'timer 8000',
      'close',
      'timer cancelled',
      'exit 0',
    ]);
  });

  it('kills what is left and exits at once on a second Ctrl-C while a child still stops', async () => {
    const h = harness();
    h.stop('interrupted');
    h.stop('interrupted');
    assert.deepEqual(h.events.slice(-3), [
      'log stopping now (interrupted again): killing what is left',
      'kill',
      `exit ${FORCED_EXIT_CODE}`,
    ]);
    // A close that finishes afterwards changes nothing, and a third Ctrl-C neither.
    h.settle().resolve();
    h.stop('terminated');
    await tick();
    assert.equal(h.events.filter((e) => e.startsWith('exit')).length, 1);
  });

  it('kills what is left when stopping outlasts the deadline, without a second Ctrl-C', async () => {
    const h = harness(8000);
    h.stop('terminated');
    h.deadline();
    assert.deepEqual(h.events.slice(-3), [
      'log stopping now (still stopping after 8s): killing what is left',
      'kill',
      `exit ${FORCED_EXIT_CODE}`,
    ]);
  });

  it('kills and exits non-zero when closing fails', async () => {
    const h = harness();
    h.stop('interrupted');
    h.settle().reject(new Error('sim did not close'));
    await tick();
    assert.deepEqual(h.events.slice(-5), [
      'timer cancelled',
      'log stopping failed: sim did not close',
      'log stopping now (stopping failed): killing what is left',
      'kill',
      `exit ${FORCED_EXIT_CODE}`,
    ]);
  });
});
