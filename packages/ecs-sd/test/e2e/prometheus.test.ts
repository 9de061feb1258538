/**
 * End to end with the real Prometheus: ecs-sim serves a fleet whose task addresses are on
 * 127.0.0.0/8, small exporters listen at exactly those addresses, the ecs-sd CLI discovers them,
 * and Prometheus (once with the blog post's file_sd job, once with http_sd) scrapes every expected
 * target with the expected labels.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTool, waitUntil } from '@ecs-sd/testkit';
import { type FleetSpec, startSim, type TruthTask } from 'ecs-sim';
import { startDaemon } from './daemon.ts';
import { type Exporter, startExporter } from './exporters.ts';
import { type ActiveTarget, activeTargets, type PrometheusProcess, startPrometheus } from './prometheus.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const CLUSTER = 'e2e-prometheus';

/**
 * Opted in with the prometheus-ecs-sd env vars: awsvpc tasks on their ENI address (PROMETHEUS_PORT),
 * bridge tasks on a dynamic host port (PROMETHEUS_CONTAINER_PORT) with a custom path, and one
 * task that does not opt in. No interval in PROMETHEUS_ENDPOINT: every target lands in 1m-tasks.json.
 * The subnets are a random /24 of 127.0.0.0/8, so two runs at once do not fight over addresses.
 */
const FLEET = (net: string): FleetSpec => ({
  region: REGION,
  accountId: ACCOUNT,
  subnets: [
    { id: 'subnet-e2e-tasks', cidr: `${net}.0/25` },
    { id: 'subnet-e2e-hosts', cidr: `${net}.128/25` },
  ],
  taskDefinitions: [
    {
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [
        {
          name: 'app',
          image: 'web:1',
          portMappings: [{ containerPort: 9100 }],
          environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' },
        },
      ],
    },
    {
      family: 'api',
      networkMode: 'bridge',
      containerDefinitions: [
        {
          name: 'api',
          image: 'api:1',
          portMappings: [{ containerPort: 8080, hostPort: 0 }],
          environment: {
            PROMETHEUS: 'true',
            PROMETHEUS_CONTAINER_PORT: '8080',
            PROMETHEUS_ENDPOINT: '/custom/metrics',
          },
        },
      ],
    },
    {
      family: 'quiet',
      networkMode: 'bridge',
      containerDefinitions: [
        { name: 'quiet', image: 'quiet:1', portMappings: [{ containerPort: 80, hostPort: 0 }] },
      ],
    },
  ],
  clusters: [
    {
      name: CLUSTER,
      instances: [{ count: 1, subnet: 'subnet-e2e-hosts' }],
      services: [
        {
          name: 'web',
          taskDefinition: 'web',
          desiredCount: 3,
          launchType: 'FARGATE',
          subnet: 'subnet-e2e-tasks',
        },
        { name: 'api', taskDefinition: 'api', desiredCount: 2, launchType: 'EC2' },
      ],
      tasks: [{ taskDefinition: 'quiet', count: 1, launchType: 'EC2' }],
    },
  ],
});

/** A target the test expects Prometheus to scrape, worked out from ecs-sim's ground truth alone. */
interface Expected {
  host: string;
  port: number;
  path: string;
  labels: Record<string, string>;
}

/** The prometheus-ecs-sd reading of this fleet's ground truth, independent of ecs-sd's own code. */
function expectedTargets(tasks: readonly TruthTask[]): Expected[] {
  const expected: Expected[] = [];
  for (const task of tasks) {
    if (task.lastStatus !== 'RUNNING') continue;
    for (const container of task.containers) {
      const env = container.environment;
      if (env['PROMETHEUS'] !== 'true' || container.address === undefined) continue;
      const port =
        env['PROMETHEUS_CONTAINER_PORT'] !== undefined
          ? container.ports.find((p) => p.containerPort === Number(env['PROMETHEUS_CONTAINER_PORT']))
              ?.hostPort
          : Number(env['PROMETHEUS_PORT']);
      assert.ok(port !== undefined, `ground truth gives ${task.taskArn} a port`);
      const path = env['PROMETHEUS_ENDPOINT'] ?? '/metrics';
      const labels: Record<string, string> = {
        job: task.family,
        instance: `${container.address}:${port}`,
        metrics_path: path,
        ecs_task_id: task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1),
        ecs_task_version: String(task.revision),
        ecs_cluster: task.cluster,
      };
      if (task.ec2InstanceId !== undefined) labels['instance_id'] = task.ec2InstanceId;
      expected.push({ host: container.address, port, path, labels });
    }
  }
  return expected;
}

/** Why the active targets of one scrape pool do not yet match, or undefined when they do. */
function mismatch(
  targets: readonly ActiveTarget[],
  pool: string,
  expected: readonly Expected[],
): string | undefined {
  const inPool = targets.filter((t) => t.scrapePool === pool);
  if (inPool.length !== expected.length) {
    return `pool ${pool} has ${inPool.length} targets, expected ${expected.length}`;
  }
  for (const want of expected) {
    const url = `http://${want.host}:${want.port}${want.path}`;
    const got = inPool.find((t) => t.scrapeUrl === url);
    if (got === undefined) return `pool ${pool} has no target scraping ${url}`;
    if (got.health !== 'up') return `pool ${pool}: ${url} is ${got.health} (${got.lastError})`;
    for (const [name, value] of Object.entries(want.labels)) {
      if (got.labels[name] !== value) {
        return `pool ${pool}: ${url} has ${name}=${JSON.stringify(got.labels[name])}, expected ${JSON.stringify(value)}`;
      }
    }
  }
  return undefined;
}

const tail = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');

const prometheusBinary = requireTool('prometheus', 'prometheus');

test('Prometheus scrapes every discovered ECS target, through file_sd and through http_sd', {
  timeout: 120_000,
  skip: prometheusBinary.skip,
}, async (t) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const net = `127.${randomInt(100, 250)}.${randomInt(0, 256)}`;
    t.diagnostic(`fleet addresses in ${net}.0/24`);
    const sim = await startSim({ fleet: FLEET(net), throttling: false });
    cleanups.push(() => sim.close());
    const expected = expectedTargets(sim.groundTruth().tasks);
    assert.equal(expected.length, 5, 'three web tasks and two api tasks are opted in');

    const exporters: Exporter[] = [];
    for (const want of expected) {
      const exporter = await startExporter(want.host, want.port, want.path);
      cleanups.push(() => exporter.close());
      exporters.push(exporter);
    }

    const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-e2e-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const daemon = await startDaemon(
      [
        `--aws.endpoint=${sim.endpoint}`,
        `--aws.region=${REGION}`,
        `--output.directory=${dir}`,
        '--refresh-interval=1s',
      ],
      {
        PATH: process.env['PATH'] ?? '',
        AWS_ACCESS_KEY_ID: 'AKIDE2ETEST',
        AWS_SECRET_ACCESS_KEY: 'e2e-test-secret',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    );
    cleanups.push(() => daemon.stop());
    await waitUntil(
      'ecs-sd to be ready',
      async () => (await fetch(`${daemon.url}/-/ready`)).ok || undefined,
      {
        describe: () => tail(daemon.log()),
      },
    );

    // The blog post's job, with a 1s scrape and file_sd refresh so the test stays fast.
    const fileSdConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: 'ecs'
    file_sd_configs:
      - files: [ ${join(dir, '1m-tasks.json')} ]
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [metrics_path]
        action: replace
        target_label: __metrics_path__
        regex: (.+)
`;
    // http_sd: the full list, and a second job that asks for one job only through the query string.
    const httpSdConfig = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: 'ecs'
    http_sd_configs:
      - url: ${daemon.url}/http-sd
        refresh_interval: 1s
  - job_name: 'ecs-web-only'
    http_sd_configs:
      - url: ${daemon.url}/http-sd?cluster=${CLUSTER}&job=web
        refresh_interval: 1s
    relabel_configs:
      - target_label: sd_filter
        replacement: web-only
`;
    const started: PrometheusProcess[] = [];
    const [fileSd, httpSd] = await Promise.all(
      [fileSdConfig, httpSdConfig].map(async (config) => {
        const prometheus = await startPrometheus(prometheusBinary.path, config);
        started.push(prometheus);
        cleanups.push(() => prometheus.stop());
        return prometheus;
      }),
    );
    assert.ok(fileSd !== undefined && httpSd !== undefined && started.length === 2);

    /** Waits until both servers show exactly `targets` up with the expected labels. */
    const converge = async (stage: string, targets: readonly Expected[]) => {
      const webOnly = targets.filter((e) => e.labels['job'] === 'web');
      const checks: [string, PrometheusProcess, string, readonly Expected[]][] = [
        ['file_sd', fileSd, 'ecs', targets],
        ['http_sd', httpSd, 'ecs', targets],
        ['http_sd filtered by job', httpSd, 'ecs-web-only', webOnly],
      ];
      for (const [what, prometheus, pool, want] of checks) {
        let last = 'no answer yet';
        await waitUntil(
          `${stage}: every ${what} target up in Prometheus with the expected labels`,
          async () => {
            last = mismatch(await activeTargets(prometheus.url), pool, want) ?? '';
            return last === '' || undefined;
          },
          {
            timeoutMs: 60_000,
            describe: () =>
              `${last}\n--- prometheus:\n${tail(prometheus.log())}\n--- ecs-sd:\n${tail(daemon.log())}`,
          },
        );
      }
    };

    let startedAt = Date.now();
    await converge('at start', expected);
    t.diagnostic(`every target up in both Prometheus servers ${Date.now() - startedAt}ms after they started`);
    for (const exporter of exporters) {
      assert.ok(exporter.scrapes() > 0, `${exporter.address}${exporter.path} was scraped`);
    }

    // A service task stops and the service replaces it: the old target leaves both servers and the
    // replacement (its exporter started once ecs-sim has placed it) comes up in its place.
    const stopped = sim.groundTruth().tasks.find((task) => task.family === 'web')!;
    const stoppedId = stopped.taskArn.slice(stopped.taskArn.lastIndexOf('/') + 1);
    sim.stopTask(stopped.taskArn);
    sim.settle();
    const replaced = expectedTargets(sim.groundTruth().tasks);
    assert.equal(replaced.length, expected.length, 'the service keeps its desired count');
    assert.ok(replaced.every((e) => e.labels['ecs_task_id'] !== stoppedId));
    for (const want of replaced) {
      if (exporters.some((e) => e.address === `${want.host}:${want.port}`)) continue;
      const exporter = await startExporter(want.host, want.port, want.path);
      cleanups.push(() => exporter.close());
    }
    startedAt = Date.now();
    await converge('after a task was replaced', replaced);
    t.diagnostic(`a replaced task was swapped in both Prometheus servers within ${Date.now() - startedAt}ms`);
    // Prometheus's http_sd client announces its refresh interval; ecs-sd logs it at debug.
    assert.match(daemon.log(), /"refreshIntervalSeconds":"1"/);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
});
