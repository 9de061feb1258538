import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, requireTool, waitUntil } from '@ecs-sd/testkit';
import type { TruthTask } from 'ecs-sim';
import { ExporterFleet } from '../src/exporters.ts';

const nodeExporter = requireTool('prometheus-node-exporter', 'prometheus-node-exporter');

/** A RUNNING node-exporter DAEMON task whose container listens at host:port, as ecs-sim's ground truth has it. */
function nodeExporterTask(host: string, port: number): TruthTask {
  return {
    account: '123456789012',
    cluster: 'prod',
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/prod/${port.toString(16).padStart(32, '0')}`,
    family: 'node-exporter',
    revision: 1,
    service: 'node-exporter',
    launchType: 'EC2',
    networkMode: 'host',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    availabilityZone: 'eu-west-1a',
    containerInstanceArn: undefined,
    ec2InstanceId: `i-${port}`,
    containers: [
      {
        name: 'node-exporter',
        lastStatus: 'RUNNING',
        address: host,
        ports: [{ containerPort: port, hostPort: port }],
        environment: {},
        dockerLabels: {},
      },
    ],
    runningAt: Date.now(),
    announcedAt: undefined,
    stoppedAt: undefined,
  };
}

/** True when nothing listens at host:port any more. */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/** close() with a bound, so a close that never returns fails the test instead of hanging it. */
async function closeWithin(fleet: ExporterFleet, ms: number): Promise<void> {
  const timeout = sleep(ms).then(() => {
    throw new Error(`close() still waiting after ${ms}ms`);
  });
  await Promise.race([fleet.close(), timeout]);
}

describe('exporter fleet with the real node-exporter', {
  skip: nodeExporter.skip,
}, () => {
  it('stops when a Ctrl-C to the whole process group already ended its node-exporters', async () => {
    const ports = [await freePort(), await freePort()];
    const fleet = new ExporterFleet({ nodeExporterBin: nodeExporter.path });
    await fleet.reconcile(ports.map((p) => nodeExporterTask('127.0.0.1', p)));
    const pids = fleet.children.map((p) => p.child.pid!);
    assert.equal(pids.length, 2, 'one node-exporter per task');
    // A terminal's Ctrl-C reaches every process of the group: node-exporter dies of it before close().
    for (const p of fleet.children) p.child.kill('SIGINT');
    await waitUntil('both node-exporters to end', () => pids.every(gone), { timeoutMs: 10_000 });
    await closeWithin(fleet, 10_000);
    for (const p of ports) assert.ok(await refused('127.0.0.1', p), `127.0.0.1:${p} still listens`);
  });

  it('leaves no node-exporter running when closed while one is still starting', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const fleet = new ExporterFleet({ nodeExporterBin: nodeExporter.path });
    const reconciling = fleet.reconcile(ports.map((p) => nodeExporterTask('127.0.0.1', p)));
    const starting = fleet.children.map((p) => p.child.pid!);
    assert.equal(starting.length, 1, 'the first node-exporter is spawned and not yet answering');
    await closeWithin(fleet, 10_000);
    await reconciling;
    assert.deepEqual(fleet.children, []);
    assert.ok(starting.every(gone), 'the starting node-exporter was stopped');
    for (const p of ports) assert.ok(await refused('127.0.0.1', p), `127.0.0.1:${p} still listens`);
  });
});
