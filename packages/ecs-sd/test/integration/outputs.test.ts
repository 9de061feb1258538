/**
 * The daemon's outputs when files cannot be written, against ecs-sim: http_sd serves once discovery
 * is complete whatever happens to the files; `/-/ready` is 503 naming every file_sd file whose last
 * write failed, and 200 again after a successful write; failures are counted by file and reason; a
 * file too large to render fails only itself while the other files keep updating; temporary files a
 * killed process left are removed on start.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type FleetSpec, type Sim, startSim } from 'ecs-sim';
import { main } from '../../src/cli.ts';
import type { Config } from '../../src/config/types.ts';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { INTERVALS, intervalFileName } from '../../src/lib/intervals.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { buildApp } from '../../src/server/app.ts';
import { leaveTemporaryOfKilledWriter } from '../output/fixtures.ts';
import { promtool, promtoolRead } from '../support/promtool.ts';
import { childEnv, metricValue, simConfig, useTestCredentials } from './helpers.ts';

/** `small` runs 3 ordinary tasks (1m); `big` runs 20 tasks whose 15s targets carry a 1,000-character label. */
const FLEET: FleetSpec = {
  region: 'us-east-1',
  accountId: '123456789012',
  seed: 12,
  subnets: [{ id: 'subnet-a', cidr: '127.12.0.0/16', availabilityZone: 'us-east-1a' }],
  taskDefinitions: [
    {
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [
        {
          name: 'app',
          image: 'example/web:1',
          portMappings: [{ containerPort: 9100 }],
          dockerLabels: { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100' },
        },
      ],
    },
    {
      family: 'padded',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [
        {
          name: 'app',
          image: 'example/padded:1',
          portMappings: [{ containerPort: 9100 }],
          dockerLabels: {
            'ecs-sd.scrape': 'true',
            'ecs-sd.port': '9100',
            'ecs-sd.interval': '15s',
            'ecs-sd.label.pad': 'p'.repeat(1000),
          },
        },
      ],
    },
  ],
  clusters: [
    {
      name: 'small',
      tasks: [{ taskDefinition: 'web', count: 3, launchType: 'FARGATE', subnet: 'subnet-a' }],
    },
    {
      name: 'big',
      tasks: [{ taskDefinition: 'padded', count: 20, launchType: 'FARGATE', subnet: 'subnet-a' }],
    },
  ],
} as FleetSpec;

/** Fits the 1m file of `small` (3 targets), not the 15s file of `big` (20 targets of over 1,000 characters each). */
const MAX_OUTPUT_LENGTH = 15_000;

interface Running {
  daemon: Runtime;
  metrics: Metrics;
  url: string;
  httpSdFailures: string[];
  stop(): Promise<void>;
}

async function startDaemon(config: Config, maxOutputLength?: number): Promise<Running> {
  const metrics = createMetrics({ defaultMetrics: false });
  const daemon = createRuntime(config, {
    log: silentLogger(),
    metrics,
    ...(maxOutputLength === undefined ? {} : { maxOutputLength }),
  });
  const httpSdFailures: string[] = [];
  const server: Server = createServer(
    buildApp({
      view: daemon.state,
      registry: metrics.registry,
      refreshIntervalSeconds: 60,
      onHttpSdFailure: (reason) => httpSdFailures.push(reason),
      ...(maxOutputLength === undefined ? {} : { maxOutputLength }),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  daemon.start();
  return {
    daemon,
    metrics,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    httpSdFailures,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await daemon.stop();
    },
  };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** The addresses of a file_sd JSON file, or undefined while it is missing or unreadable. */
async function addressesIn(file: string): Promise<string[] | undefined> {
  try {
    const groups = JSON.parse(await readFile(file, 'utf8')) as { targets: string[] }[];
    return groups.flatMap((group) => group.targets).sort();
  } catch {
    return undefined;
  }
}

describe('outputs that cannot be written', () => {
  let sim: Sim;
  let dir: string;
  let n = 0;
  const fresh = () => join(dir, `case-${++n}`);
  /** Addresses of the running tasks of a cluster, from ecs-sim's ground truth. */
  const truth = (cluster: string) =>
    sim
      .groundTruth()
      .tasks.filter((task) => task.cluster === cluster && task.lastStatus === 'RUNNING')
      .map((task) => `${task.containers[0]!.address}:9100`)
      .sort();

  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-outputs-'));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('an unwritable output directory at first start: http_sd serves, /-/ready is 503 naming each file until a write succeeds', async () => {
    const base = fresh();
    await mkdir(base, { recursive: true });
    // A regular file where a directory of the path should be: ENOTDIR, whoever runs the test (root too).
    const blocker = join(base, 'blocker');
    await writeFile(blocker, 'not a directory');
    const directory = join(blocker, 'sd');
    const files = INTERVALS.map((interval) => join(directory, intervalFileName(interval)));
    const running = await startDaemon(
      simConfig(sim.endpoint, `output: { directory: ${JSON.stringify(directory)} }`),
    );
    try {
      const served = await waitUntil('http_sd serving after the first complete refresh', async () => {
        const sd = await get(`${running.url}/http-sd`);
        return sd.status === 200 ? sd.body : undefined;
      });
      const addresses = (JSON.parse(served) as { targets: string[] }[])
        .flatMap((group) => group.targets)
        .sort();
      assert.deepEqual(addresses, [...truth('small'), ...truth('big')].sort());

      const ready = await get(`${running.url}/-/ready`);
      assert.equal(ready.status, 503);
      assert.match(ready.body, /^ecs-sd is not ready: 4 file_sd file\(s\) not written/);
      for (const file of files) {
        assert.ok(ready.body.includes(`file_sd file "${file}" not written since `), `${file} named`);
        assert.ok(
          (await metricValue(running.metrics, 'ecs_sd_file_write_failures_total', {
            file,
            reason: 'bad-path',
          })) >= 1,
        );
        assert.equal(await metricValue(running.metrics, 'ecs_sd_file_last_write_successful', { file }), 0);
      }
      assert.match(ready.body, /\(bad-path\): creating file_sd directory ".*" for ".*" failed: ENOTDIR/);

      await rm(blocker);
      await running.daemon.refresh();
      assert.equal((await get(`${running.url}/-/ready`)).status, 200);
      assert.deepEqual(await addressesIn(files[2]!), truth('small'));
      assert.deepEqual(await addressesIn(files[0]!), truth('big'));
      for (const file of files)
        assert.equal(await metricValue(running.metrics, 'ecs_sd_file_last_write_successful', { file }), 1);
    } finally {
      await running.stop();
    }
  });

  test('an output directory replaced by a file: /-/ready goes 503 naming the files, and 200 once the directory is back', async () => {
    const directory = fresh();
    const file = join(directory, '1m-tasks.json');
    const running = await startDaemon(
      simConfig(sim.endpoint, `output: { directory: ${JSON.stringify(directory)} }`),
    );
    try {
      await waitUntil('ready', async () => (await get(`${running.url}/-/ready`)).status === 200);
      await rm(directory, { recursive: true });
      await writeFile(directory, 'a file where the directory was');
      await running.daemon.refresh();
      const ready = await get(`${running.url}/-/ready`);
      assert.equal(ready.status, 503);
      assert.ok(ready.body.includes(`file_sd file "${file}" not written since `));
      assert.equal((await get(`${running.url}/http-sd`)).status, 200, 'http_sd serves meanwhile');
      assert.ok(
        (await metricValue(running.metrics, 'ecs_sd_file_write_failures_total', {
          file,
          reason: 'bad-path',
        })) >= 1,
      );

      await rm(directory);
      await running.daemon.refresh();
      assert.equal((await get(`${running.url}/-/ready`)).status, 200);
      assert.deepEqual(await addressesIn(file), truth('small'));
    } finally {
      await running.stop();
    }
  });

  test('a file too large to render fails only itself: the other files keep updating, and http_sd serves what fits', async () => {
    const directory = fresh();
    const [file15s, , file1m] = INTERVALS.map((interval) => join(directory, intervalFileName(interval)));
    const running = await startDaemon(
      simConfig(sim.endpoint, `output: { directory: ${JSON.stringify(directory)} }`),
      MAX_OUTPUT_LENGTH,
    );
    const started: string[] = [];
    try {
      await waitUntil(
        'discovery complete',
        async () => (await get(`${running.url}/http-sd?interval=1m`)).status === 200,
      );
      assert.deepEqual(await addressesIn(file1m!), truth('small'));
      // The cold start may have written the 15s file before it read `big` (empty then); it keeps that.
      assert.deepEqual((await addressesIn(file15s!)) ?? [], [], 'the 15s file never holds the big targets');
      const ready = await get(`${running.url}/-/ready`);
      assert.equal(ready.status, 503);
      assert.match(
        ready.body,
        /file_sd file ".*15s-tasks.json" not written since .* \(too-large\): file_sd file ".*15s-tasks.json" not rendered: 20 targets in 20 groups render to more than 15000 characters/,
      );
      assert.ok(!ready.body.includes('1m-tasks.json'), 'only the 15s file fails');
      assert.ok(
        (await metricValue(running.metrics, 'ecs_sd_file_write_failures_total', {
          file: file15s!,
          reason: 'too-large',
        })) >= 1,
      );

      // The ordinary cluster keeps updating: a stopped task leaves the 1m file, a new one joins it.
      const [stopped] = sim
        .groundTruth()
        .tasks.filter((task) => task.cluster === 'small' && task.lastStatus === 'RUNNING');
      sim.stopTask(stopped!.taskArn);
      started.push(
        ...sim
          .runTask({ cluster: 'small', taskDefinition: 'web', lastStatus: 'RUNNING' })
          .map((task) => task.arn),
      );
      await running.daemon.refresh();
      assert.deepEqual(await addressesIn(file1m!), truth('small'));
      assert.equal(truth('small').length, 3);
      assert.ok(!(await addressesIn(file1m!))!.includes(`${stopped!.containers[0]!.address}:9100`));

      // http_sd: the whole list is too large for this one request; a narrower one is served.
      const all = await get(`${running.url}/http-sd`);
      assert.equal(all.status, 500);
      assert.match(all.body, /\(too-large\)/);
      const narrow = await get(`${running.url}/http-sd?cluster=small`);
      assert.equal(narrow.status, 200);
      assert.equal((JSON.parse(narrow.body) as unknown[]).length, 3);
      assert.deepEqual(running.httpSdFailures, ['too-large']);

      // Once the big tasks are gone the 15s file is written and the daemon is ready again.
      for (const task of sim
        .groundTruth()
        .tasks.filter((t) => t.cluster === 'big' && t.lastStatus === 'RUNNING'))
        sim.stopTask(task.taskArn);
      await running.daemon.refresh();
      assert.deepEqual(await addressesIn(file15s!), []);
      assert.equal((await get(`${running.url}/-/ready`)).status, 200);
    } finally {
      await running.stop();
    }
  });

  test('on start the daemon removes the temporary files a killed writer left, and nothing else', async () => {
    const directory = fresh();
    await mkdir(directory, { recursive: true });
    const left = await leaveTemporaryOfKilledWriter(join(directory, '1m-tasks.json'));
    const decoys = [
      '.1m-tasks.json.keep',
      'notes.tmp',
      '.other.json.1.0123456789ab.tmp',
      '.1m-tasks.yml.1.0123456789ab.tmp',
    ];
    for (const name of decoys) await writeFile(join(directory, name), 'keep me');
    const running = await startDaemon(
      simConfig(sim.endpoint, `output: { directory: ${JSON.stringify(directory)} }`),
    );
    try {
      // Every file of the first write, not only the first file: the others may still be in their temporaries.
      await waitUntil('the first write of every file', async () => {
        const files = INTERVALS.map((interval) => addressesIn(join(directory, intervalFileName(interval))));
        return (await Promise.all(files)).every((addresses) => addresses !== undefined);
      });
      // A later write of this run may hold its own temporary for a moment: wait for the listing to settle.
      const expected = [...decoys, ...INTERVALS.map((interval) => intervalFileName(interval))].sort();
      let names: string[] = [];
      await waitUntil(
        'only the outputs and the decoys are left',
        async () => {
          names = (await readdir(directory)).sort();
          return names.join('\n') === expected.join('\n');
        },
        { timeoutMs: 10_000 },
      ).catch(() => {});
      assert.ok(!names.includes(left.slice(directory.length + 1)), 'the temporary file is removed');
      assert.deepEqual(names, expected);
    } finally {
      await running.stop();
    }
  });

  test('--once exits 1 and names each file_sd file it could not write', async () => {
    const base = fresh();
    await mkdir(base, { recursive: true });
    await writeFile(join(base, 'blocker'), 'not a directory');
    const file = join(base, 'blocker', 'ecs.json');
    let stderr = '';
    const code = await main(
      [
        '--once',
        '--aws.region=us-east-1',
        `--aws.endpoint=${sim.endpoint}`,
        '--log.level=error',
        `--output.file=${file}`,
      ],
      childEnv(),
      {
        stdout: () => {},
        stderr: (text) => {
          stderr += text;
        },
      },
    );
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`^file_sd file "${file}" not written since .* \\(bad-path\\): `, 'm'));
  });
});

/** Paths that broke a whole YAML file for Prometheus: a line separator, NEL (read as a space), DEL. */
const ODD_PATHS = ['/met\u2028rics', '/met\u0085rics', '/met\u007frics'];

describe('YAML output of label values Prometheus reads exactly', () => {
  let sim: Sim;
  let dir: string;

  before(async () => {
    useTestCredentials();
    const fleet = {
      region: 'us-east-1',
      accountId: '123456789012',
      seed: 3,
      subnets: [{ id: 'subnet-a', cidr: '127.13.0.0/16', availabilityZone: 'us-east-1a' }],
      taskDefinitions: [
        ...ODD_PATHS.map((path, i) => ({
          family: `odd${i}`,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          containerDefinitions: [
            {
              name: 'app',
              image: 'example/odd:1',
              portMappings: [{ containerPort: 9100 }],
              environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100', PROMETHEUS_ENDPOINT: path },
            },
          ],
        })),
        {
          family: 'plain',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          containerDefinitions: [
            {
              name: 'app',
              image: 'example/plain:1',
              portMappings: [{ containerPort: 9100 }],
              environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' },
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'prod',
          tasks: [
            ...ODD_PATHS.map((_, i) => ({
              taskDefinition: `odd${i}`,
              count: 1,
              launchType: 'FARGATE',
              subnet: 'subnet-a',
            })),
            { taskDefinition: 'plain', count: 3, launchType: 'FARGATE', subnet: 'subnet-a' },
          ],
        },
      ],
    };
    sim = await startSim({ port: 0, fleet: fleet as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-yaml-'));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('promtool reads every target of the 1m bucket from YAML with the same labels as from JSON', {
    skip: promtool.skip,
  }, async () => {
    for (const format of ['yaml', 'json']) {
      const config = simConfig(
        sim.endpoint,
        `output: { directory: ${JSON.stringify(join(dir, format))}, format: ${format} }`,
      );
      const metrics = createMetrics({ defaultMetrics: false });
      const daemon = createRuntime(config, { log: silentLogger(), metrics });
      try {
        const summary = await daemon.refresh();
        assert.equal(summary.complete, true, summary.failures.join('\n'));
        assert.equal(summary.targets, 6);
      } finally {
        await daemon.stop();
      }
    }
    const { targets, log } = await promtoolRead([
      join(dir, 'yaml', '1m-tasks.yml'),
      join(dir, 'json', '1m-tasks.json'),
    ]);
    const of = (file: string) =>
      targets
        .filter((target) => target.file === file)
        .map(({ address, labels }) => ({ address, labels }))
        .sort((a, b) => (a.address < b.address ? -1 : 1));
    const yaml = of(join(dir, 'yaml', '1m-tasks.yml'));
    assert.equal(yaml.length, 6, log);
    assert.deepEqual(yaml, of(join(dir, 'json', '1m-tasks.json')));
    assert.deepEqual(
      yaml.map(({ labels }) => labels['metrics_path']).sort(),
      [...ODD_PATHS, '/metrics', '/metrics', '/metrics'].sort(),
    );
  });
});
