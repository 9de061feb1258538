import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort, startProcess, waitForOutput, waitUntil, which } from '../src/index.ts';

test('which finds node on PATH and nothing for a name that is not installed', () => {
  const node = which('node');
  assert.ok(node !== undefined && /node$/.test(node), `which('node') gave ${node}`);
  assert.equal(which('ecs-sd-testkit-no-such-binary'), undefined);
});

test('stop() kills a child that ignores SIGTERM', { timeout: 20_000 }, async () => {
  const child = startProcess(
    'stubborn',
    process.execPath,
    [
      '-e',
      "process.on('SIGTERM', () => console.log('ignored SIGTERM')); console.log('ready'); setInterval(() => {}, 1000);",
    ],
    { killAfterMs: 300 },
  );
  await waitForOutput(
    child,
    'the child to install its SIGTERM handler',
    (out) => out.includes('ready') || undefined,
  );
  await child.stop();
  assert.equal(child.exited(), 'exited with SIGKILL');
  assert.match(child.output(), /ignored SIGTERM/);
});

test('startProcess keeps the latest output and echoes each line with the name', async () => {
  const lines: string[] = [];
  const child = startProcess(
    'talker',
    process.execPath,
    ['-e', "console.log('one\\ntwo'); console.log('x'.repeat(50))"],
    {
      keepChars: 20,
      echo: (line) => lines.push(line),
    },
  );
  await waitUntil(
    'the child to exit and its three lines to be read',
    () => child.exited() && lines.length === 3,
  );
  assert.equal(child.exited(), 'exited with 0');
  assert.equal(child.output(), `${'x'.repeat(19)}\n`);
  assert.deepEqual(lines, ['talker: one', 'talker: two', `talker: ${'x'.repeat(50)}`]);
  await child.stop();
});

test('waitForOutput fails with the output when the child exits first', async () => {
  const child = startProcess('quitter', process.execPath, [
    '-e',
    "console.error('bad flag'); process.exit(2)",
  ]);
  await assert.rejects(
    waitForOutput(child, 'a listen address', () => undefined),
    /^Error: quitter exited with 2:\n/,
  );
});

test('a failed spawn is reported, and stop() returns', async () => {
  const child = startProcess('missing', '/nonexistent/ecs-sd-testkit-binary', []);
  await assert.rejects(
    waitForOutput(child, 'a listen address', () => undefined),
    /missing failed to start/,
  );
  await child.stop();
});

test('freePort gives a port that can be listened on', async () => {
  const port = await freePort();
  assert.ok(port > 0);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await new Promise((resolve) => server.close(resolve));
});
