/**
 * The demo as a user runs it: a child process, stopped by --duration or by a Ctrl-C that the terminal
 * sends to the whole process group (every child gets SIGINT at the same moment as the demo).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getJson, requireTool, waitUntil, which } from '@ecs-sd/testkit';
import { holdDemoFleet } from './fleet-lock.ts';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const prometheus = requireTool('prometheus', 'prometheus');

/** A demo started as its own process group, as a shell starts a foreground job. */
function startCli(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string>;
} {
  const child = spawn(process.execPath, [cli, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => output, exited };
}

/** Processes of a process group that are alive (zombies count as gone), with their command names, from /proc. */
function processGroup(pgid: number): { pid: number; comm: string }[] {
  const members: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, , pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') {
      members.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
    }
  }
  return members;
}

function refused(address: string): Promise<boolean> {
  const { hostname, port } = new URL(`http://${address}`);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** host:port of every URL the demo printed for a component (`ecs-sim     http://127.0.0.1:…`). */
function printedAddresses(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of output.matchAll(/^(ecs-sim|ecs-sd|prometheus|alertmanager) +http:\/\/([\d.]+:\d+)/gm)) {
    found.set(m[1]!, m[2]!);
  }
  return found;
}

describe('the demo command', () => {
  const started: ReturnType<typeof startCli>[] = [];
  let release: (() => Promise<void>) | undefined;
  before(async () => {
    release = await holdDemoFleet('the demo command');
  });
  after(async () => {
    // A failed test must not leave a demo running on the shared machine.
    for (const s of started) {
      if (s.child.exitCode === null && s.child.signalCode === null) process.kill(-s.child.pid!, 'SIGKILL');
      const workDir = /file_sd in (\S+)\/file_sd/.exec(s.output())?.[1];
      if (workDir) await rm(workDir, { recursive: true, force: true });
    }
    await release?.();
  });

  it('stops by itself after --duration given in bare seconds, as ecs-sd takes them', async () => {
    const demo = startCli([
      '--duration',
      '3',
      '--churn-interval',
      '0',
      '--no-prometheus',
      '--no-node-exporter',
    ]);
    started.push(demo);
    const code = await waitUntil('the demo to stop by itself', () => demo.child.exitCode ?? undefined, {
      timeoutMs: 90_000,
      describe: demo.output,
    });
    assert.equal(code, 0, demo.output());
    assert.match(demo.output(), /^running for 3s; Ctrl-C stops everything$/m);
    assert.match(demo.output(), /^stopping \(--duration 3s elapsed\)/m);
  });

  it('stops every child within 10 s when Ctrl-C reaches the whole process group', {
    skip: prometheus.skip,
  }, async () => {
    const demo = startCli(['--churn-interval', '0']);
    started.push(demo);
    const pgid = demo.child.pid!;
    await waitUntil('the demo to run', () => demo.output().includes('running; Ctrl-C stops everything'), {
      timeoutMs: 180_000,
      everyMs: 500,
      describe: demo.output,
    });
    const children = processGroup(pgid).filter((p) => p.pid !== pgid);
    const names = new Set(children.map((p) => p.comm));
    assert.ok(names.has('prometheus'), [...names].join(', '));
    if (which('prometheus-alertmanager')) assert.ok(names.has('prometheus-aler'), [...names].join(', '));
    if (which('prometheus-node-exporter')) assert.ok(names.has('prometheus-node'), [...names].join(', '));
    const addresses = printedAddresses(demo.output());
    assert.deepEqual([...addresses.keys()].sort(), ['alertmanager', 'ecs-sd', 'ecs-sim', 'prometheus']);
    const targets = await getJson<{ targets: string[] }[]>(`http://${addresses.get('ecs-sd')}/http-sd`);
    const listening = [...addresses.values(), ...targets.flatMap((g) => g.targets)];

    process.kill(-pgid, 'SIGINT');
    const code = await waitUntil(
      'the demo to exit after Ctrl-C',
      () => demo.child.exitCode ?? demo.child.signalCode ?? undefined,
      {
        timeoutMs: 10_000,
        describe: () => `still running: ${JSON.stringify(processGroup(pgid))}\n${demo.output()}`,
      },
    );
    assert.equal(code, 0, demo.output());
    assert.deepEqual(processGroup(pgid), [], 'every child of the demo has ended');
    const open: string[] = [];
    for (const a of listening) if (!(await refused(a))) open.push(a);
    assert.deepEqual(open, [], 'nothing listens any more');
  });
});
