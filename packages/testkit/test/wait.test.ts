import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '../src/index.ts';

test('waitUntil resolves with the first value that is not undefined or false', async () => {
  let calls = 0;
  const value = await waitUntil('the third call', () => (++calls === 3 ? `call ${calls}` : false), {
    everyMs: 1,
  });
  assert.equal(value, 'call 3');
});

test('waitUntil times out with a message naming what it waited for and the described state', async () => {
  await assert.rejects(
    waitUntil('the answer to be 42', () => undefined, {
      timeoutMs: 50,
      everyMs: 5,
      describe: () => 'got 41',
    }),
    { message: 'timed out after 50ms waiting for the answer to be 42: got 41' },
  );
});

test('waitUntil ends at once when the check throws, unless told to retry errors', async () => {
  await assert.rejects(
    waitUntil(
      'never',
      () => {
        throw new Error('boom');
      },
      { timeoutMs: 60_000 },
    ),
    { message: 'boom' },
  );
  let calls = 0;
  await assert.rejects(
    waitUntil(
      'a server to listen',
      () => {
        calls++;
        throw new Error('connect ECONNREFUSED');
      },
      { timeoutMs: 50, everyMs: 5, retryErrors: true },
    ),
    { message: 'timed out after 50ms waiting for a server to listen: Error: connect ECONNREFUSED' },
  );
  assert.ok(calls > 1, `retried ${calls} times`);
});

test('waitUntil stops at once with the signal’s reason when aborted, even while retrying errors', async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(new Error('demo stopping')), 20);
  await assert.rejects(
    waitUntil(
      'a server that never listens',
      () => {
        throw new Error('connect ECONNREFUSED');
      },
      { timeoutMs: 60_000, everyMs: 10_000, retryErrors: true, signal: controller.signal },
    ),
    { message: 'demo stopping' },
  );
  // The pause between checks is 10 s: only an abort that interrupts it ends the wait this soon.
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started}ms`);
  await assert.rejects(
    waitUntil('anything', () => true, { signal: AbortSignal.abort(new Error('already stopped')) }),
    { message: 'already stopped' },
  );
});

test('waitUntil ends with the signal’s reason when a check in flight fails because of the abort', async () => {
  const controller = new AbortController();
  await assert.rejects(
    waitUntil(
      'ecs-sd to be ready',
      async () => {
        // The owner stops while the check runs; the check then fails, as a fetch to a killed server does.
        controller.abort(new Error('the demo is stopping'));
        throw new Error('fetch failed');
      },
      { timeoutMs: 60_000, retryErrors: true, signal: controller.signal },
    ),
    { message: 'the demo is stopping' },
  );
});

test('waitUntil checks again soon after the first miss, then backs off to everyMs', async () => {
  let calls = 0;
  // Pauses of 10, 20 and 40 ms: the fourth check comes long before the deadline, which a first
  // pause of everyMs (a minute) would have passed.
  await waitUntil('the fourth call', () => ++calls === 4, { everyMs: 60_000, timeoutMs: 5_000 });
  assert.equal(calls, 4);
});
