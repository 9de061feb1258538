/** Targets and decisions shaped like the discovery core's output, for output and server tests. */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target, TaskDecision } from '../../src/discovery/types.ts';
import type { Interval } from '../../src/lib/intervals.ts';

/** A prometheus-ecs-sd style target of one task's container; labels as that convention sets them. */
export function target(options: {
  cluster?: string;
  family?: string;
  taskId: string;
  ip: string;
  port?: number;
  path?: string;
  interval?: Interval;
  revision?: number;
}): Target {
  const {
    cluster = 'prod',
    family = 'web',
    taskId,
    ip,
    port = 9100,
    path = '/metrics',
    interval = '1m',
  } = options;
  const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${taskId}`;
  return {
    key: `${taskArn}/app/${port}${path}`,
    address: `${ip}:${port}`,
    interval,
    job: family,
    clusterName: cluster,
    convention: 'prometheus-ecs-sd',
    labels: {
      job: family,
      metrics_path: path,
      ecs_task_id: taskId,
      ecs_task_version: String(options.revision ?? 1),
      ecs_cluster: cluster,
      instance: `${ip}:${port}`,
    },
  };
}

/** The decision that produced targets, or a skipped task when there are none. */
export function decision(options: {
  cluster?: string;
  taskId: string;
  targets?: Target[];
  skipReason?: 'no-container-opted-in' | 'port-not-a-number' | 'task-not-running';
}): TaskDecision {
  const { cluster = 'prod', taskId, targets = [] } = options;
  const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${taskId}`;
  const decided: TaskDecision = {
    taskArn,
    taskId,
    clusterName: cluster,
    source: 'default',
    lastStatus: 'RUNNING',
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1',
    containers: [],
    incomplete: false,
  };
  if (options.skipReason === 'task-not-running') {
    decided.skip = { reason: 'task-not-running', message: 'lastStatus is PENDING, expected RUNNING' };
    decided.lastStatus = 'PENDING';
  } else if (options.skipReason === 'port-not-a-number') {
    decided.containers.push({
      containerName: 'app',
      targets: [],
      skips: [{ reason: 'port-not-a-number', message: 'PROMETHEUS_PORT="91OO" is not a port number' }],
    });
  } else if (options.skipReason === 'no-container-opted-in') {
    decided.skip = { reason: 'no-container-opted-in', message: 'no container has PROMETHEUS=true' };
  } else {
    decided.containers.push({ containerName: 'app', targets, skips: [] });
  }
  return decided;
}

const ATOMIC_WRITE_MODULE = fileURLToPath(new URL('../../src/output/atomic-write.ts', import.meta.url));

/**
 * Runs `writeIfChanged(file)` in a child process whose rename never returns, SIGKILLs it once its
 * temporary file exists, and returns that file's path: what a daemon killed during a write leaves.
 */
export async function leaveTemporaryOfKilledWriter(file: string): Promise<string> {
  const script = `
    import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    fs.promises.rename = () => new Promise(() => {});
    syncBuiltinESMExports();
    const { writeIfChanged } = await import(${JSON.stringify(ATOMIC_WRITE_MODULE)});
    void writeIfChanged(${JSON.stringify(file)}, [Buffer.from('[]\\n')]);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const names = (await readdir(dirname(file))).filter((name) => name.endsWith('.tmp'));
      if (names.length === 1) return join(dirname(file), names[0]!);
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the writer left no temporary file (exit ${child.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null)
      await new Promise((resolve) => child.once('exit', resolve));
  }
}
