/**
 * `npm run bench -- status`: what the status page costs the daemon at 10,000 and 100,000 targets.
 * Each view is rendered in-process from a fixed view (half the tasks with two targets, a tenth
 * skipped), first cold (its rows are sorted and its filter applied once per set of decisions), then
 * warm (another page of the same selection). A render runs on the daemon's event loop, so its time
 * is how long every other request waits behind it.
 *
 * Run: node packages/ecs-sd/bench/status.bench.ts [10000] [100000]
 */
import type { Target, TaskDecision } from '../src/discovery/types.ts';
import type { DaemonStatus } from '../src/server/status/model.ts';
import { statusRoutes } from '../src/server/status/routes.ts';
import { row } from './support.ts';

function decisionOf(i: number): TaskDecision {
  const cluster = `cluster-${i % 10}`;
  const taskId = `${i}`.padStart(32, '0');
  const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${taskId}`;
  const family = `service-${i % 100}`;
  const decision: TaskDecision = {
    taskArn,
    taskId,
    clusterName: cluster,
    source: 'default',
    lastStatus: 'RUNNING',
    taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:42`,
    containers: [],
    incomplete: false,
  };
  if (i % 10 === 9) {
    decision.containers.push({
      containerName: 'app',
      targets: [],
      skips: [{ reason: 'port-not-a-number', message: 'PROMETHEUS_PORT="91OO" is not a port number' }],
    });
    return decision;
  }
  for (const [c, containerName] of ['app', 'sidecar'].entries()) {
    const port = 9100 + c;
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${port}`;
    const target: Target = {
      key: `${taskArn}/${containerName}/${port}/metrics`,
      address,
      interval: i % 3 === 0 ? '15s' : '1m',
      job: family,
      clusterName: cluster,
      convention: 'prometheus-ecs-sd',
      labels: {
        job: family,
        instance: address,
        metrics_path: '/metrics',
        ecs_cluster: cluster,
        ecs_task_id: taskId,
        team: `team-${i % 7}`,
        __metrics_path__: '/metrics',
        __meta_ecs_cluster: cluster,
        __meta_ecs_service: family,
        __meta_ecs_task_arn: taskArn,
        __meta_ecs_launch_type: 'FARGATE',
        __meta_ecs_availability_zone: 'eu-west-1a',
      },
    };
    decision.containers.push({ containerName, targets: [target], skips: [] });
    if (i % 2 === 1) break;
  }
  return decision;
}

function bench(targetsWanted: number): void {
  // 1.5 targets per task with targets, 9 tasks in 10 with targets.
  const tasks = Math.ceil(targetsWanted / 1.35);
  const decisions = Array.from({ length: tasks }, (_, i) => decisionOf(i));
  const targets = decisions.flatMap((d) => d.containers.flatMap((c) => c.targets));
  const status: DaemonStatus = {
    nowMs: Date.now(),
    ready: true,
    refreshIntervalMs: 60_000,
    sources: [],
    clusters: [],
    budgets: [],
    files: [],
  };
  const routes = statusRoutes({
    view: {
      ready: () => true,
      targets: () => targets,
      decisions: () => decisions,
      decision: () => undefined,
    },
    status: { status: () => status },
    endpoints: [],
  });
  console.log(`\n${targets.length.toLocaleString('en')} targets from ${tasks.toLocaleString('en')} tasks`);
  console.log(row(['view', 'cold', 'warm (next page)', 'page size']));
  console.log(row(['---', '--:', '--:', '--:']));
  const views: [string, string, string][] = [
    ['overview', '/', ''],
    ['targets', '/status/targets', 'page=2'],
    ['targets, last page', '/status/targets?page=100000', 'page=99999'],
    ['targets of a cluster', '/status/targets?cluster=cluster-3', 'cluster=cluster-3&page=2'],
    ['targets, text filter', '/status/targets?q=TEAM-3', 'q=TEAM-3&page=2'],
    ['skipped', '/status/skipped', 'page=2'],
    ['task search (no match)', '/status/tasks?q=zzzz', 'q=zzzz'],
  ];
  for (const [name, target, warm] of views) {
    const [path, query = ''] = target.split('?');
    const time = (q: string) => {
      const started = performance.now();
      const reply = routes.handle(path!, new URLSearchParams(q));
      return { ms: performance.now() - started, bytes: Buffer.byteLength(reply.body) };
    };
    const cold = time(query);
    const again = time(warm);
    console.log(
      row([
        name,
        `${cold.ms.toFixed(0)} ms`,
        `${again.ms.toFixed(1)} ms`,
        `${Math.round(cold.bytes / 1024)} KiB`,
      ]),
    );
  }
}

const sizes = process.argv.slice(2).map(Number);
for (const size of sizes.length > 0 ? sizes : [10_000, 100_000]) bench(size);
