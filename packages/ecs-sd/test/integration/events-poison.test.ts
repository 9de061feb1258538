/**
 * The poison-message test of issue 12: anyone with sqs:SendMessage can put any body on the events
 * queue. Deep nesting, huge strings and lists, wrong types, prototype pollution keys and lone
 * surrogates, raw and inside SNS notifications, are sent through the real SQS client to ecs-sim's
 * queue while the daemon runs in event mode with ordinary events flowing. Discovery must go on,
 * each poison message must be counted by reason and deleted, and the process must not die: in
 * process, and as the real CLI, which SIGTERM still ends within 5 s with exit 0.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startProcess, waitForOutput, waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { createRuntime } from '../../src/daemon/runtime.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { deepArrays, poisonBodies } from '../events/fixtures.ts';
import { FLEET, LIFECYCLE, queueDepth, sendAll, settled, simClients } from '../events/sim.ts';
import { childEnv, metricSum, metricValue, simConfig, useTestCredentials } from './helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

async function fileText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** Task ARNs in a file_sd output, sorted. */
async function fileTaskArns(file: string): Promise<string[]> {
  const groups = JSON.parse((await fileText(file)) || '[]') as { labels: Record<string, string> }[];
  return [...new Set(groups.map((group) => group.labels['__meta_ecs_task_arn'] ?? ''))].sort();
}

describe('poison messages on the events queue', () => {
  let sim: Sim;
  let dir: string;
  let clients: ReturnType<typeof simClients>;

  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false, lifecycle: LIFECYCLE });
    clients = simClients(sim);
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-poison-'));
  });
  after(async () => {
    clients.destroy();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  const queueUrlOf = (name: string) => `${sim.endpoint}/${sim.accountId}/${name}`;
  const prodArn = () => `arn:aws:ecs:${sim.region}:${sim.accountId}:cluster/prod`;

  /** Task ARNs of prod that are RUNNING and meant to run: the tasks with targets in this fleet. */
  function runningProd(): string[] {
    return sim
      .groundTruth()
      .tasks.filter(
        (task) =>
          task.cluster === 'prod' && task.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING',
      )
      .map((task) => task.taskArn)
      .sort();
  }

  test('each poison message is counted by reason and deleted while discovery goes on, exactly right', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    sim.setEventsQueue('poison-daemon');
    const queueUrl = queueUrlOf('poison-daemon');
    const file = join(dir, 'poison.json');
    const config = simConfig(sim.endpoint, `refresh_interval: 60s\noutput:\n  file: ${file}\n`, {
      clusters: ['prod'],
      events: { queue_url: queueUrl, reconcile_interval: '10m' },
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const daemon = createRuntime(config, {
      log: silentLogger(),
      metrics,
      eventsOptions: { waitTimeSeconds: 1, backoffInitialMs: 20, backoffMaxMs: 100 },
    });
    try {
      daemon.start();
      await waitUntil('the first file_sd', async () => daemon.state.ready() && (await fileText(file)) !== '');
      const refreshes = await metricSum(metrics, 'ecs_sd_refreshes_total');

      const poison = poisonBodies(prodArn());
      const half = Math.ceil(poison.length / 2);
      const [before] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
      await sendAll(
        clients.sqs,
        queueUrl,
        poison.slice(0, half).map((p) => p.body),
      );
      const [between] = sim.runTask({ cluster: 'prod', taskDefinition: 'api', launchType: 'EC2' });
      await sendAll(
        clients.sqs,
        queueUrl,
        poison.slice(half).map((p) => p.body),
      );
      // Started after every poison message was sent: it becomes a target from its events.
      const [afterwards] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
      assert.ok(before?.arn && between?.arn && afterwards?.arn);

      await waitUntil(
        'every poison message counted',
        async () => (await metricSum(metrics, 'ecs_sd_events_malformed_total')) === poison.length,
        { timeoutMs: 15_000, describe: () => String(poison.length) },
      );
      await waitUntil(
        'file_sd equal to the RUNNING tasks of prod, the task started after the poison included',
        async () =>
          settled(sim, 'prod') &&
          JSON.stringify(await fileTaskArns(file)) === JSON.stringify(runningProd()) &&
          runningProd().includes(afterwards.arn),
        { timeoutMs: 15_000 },
      );
      assert.equal(
        await metricSum(metrics, 'ecs_sd_refreshes_total'),
        refreshes,
        'no poll ran: the events alone carried the tasks',
      );
      for (const arn of [before.arn, between.arn, afterwards.arn]) {
        assert.ok(
          daemon.state.targets().some((target) => target.labels['__meta_ecs_task_arn'] === arn),
          `${arn} is a target`,
        );
      }

      const expected: Record<string, number> = {};
      for (const p of poison) expected[p.reason] = (expected[p.reason] ?? 0) + 1;
      assert.ok(Object.keys(expected).length >= 3, 'several reasons are exercised');
      for (const [reason, count] of Object.entries(expected)) {
        assert.equal(
          await metricValue(metrics, 'ecs_sd_events_malformed_total', { source: 'sim', reason }),
          count,
          `ecs_sd_events_malformed_total{reason="${reason}"}`,
        );
      }
      assert.equal(await metricSum(metrics, 'ecs_sd_events_handler_failures_total'), 0);
      await waitUntil('the queue empty: every message deleted', async () => {
        return (await queueDepth(clients.sqs, queueUrl)) === 0;
      });
      assert.equal(
        await metricSum(metrics, 'ecs_sd_events_deleted_total'),
        await metricSum(metrics, 'ecs_sd_events_received_total'),
      );
      assert.equal(await metricValue(metrics, 'ecs_sd_events_healthy', { source: 'sim' }), 1);
      assert.deepEqual(unhandled, []);
    } finally {
      await daemon.stop();
      process.off('unhandledRejection', onUnhandled);
      sim.setEventsQueue(undefined);
    }
  });

  test('the CLI in event mode survives every poison message (deep nesting, huge strings, wrong types), counts each by reason, keeps discovering, and SIGTERM ends it within 5 s with exit 0', async () => {
    sim.setEventsQueue('poison-cli');
    const queueUrl = queueUrlOf('poison-cli');
    const configFile = join(dir, 'cli.yml');
    await writeFile(
      configFile,
      JSON.stringify({
        refresh_interval: '60s',
        sources: [
          {
            name: 'sim',
            region: sim.region,
            endpoint: sim.endpoint,
            clusters: ['prod'],
            events: { queue_url: queueUrl },
          },
        ],
      }),
    );
    const proc = startProcess(
      'ecs-sd',
      process.execPath,
      [CLI, `--config.file=${configFile}`, '--web.listen-address=127.0.0.1:0', '--log.format=json'],
      { env: childEnv(), keepChars: 200_000 },
    );
    try {
      const address = await waitForOutput(proc, 'ecs-sd to listen', (output) => {
        const line = output.split('\n').find((candidate) => candidate.includes('"msg":"listening"'));
        return line === undefined ? undefined : (JSON.parse(line) as { address: string }).address;
      });
      const url = `http://${address}`;
      /** Fails at once, with the output, when the process has died. */
      const alive = () => {
        const exited = proc.exited();
        if (exited !== undefined) assert.fail(`ecs-sd ${exited}:\n${proc.output().slice(-4000)}`);
      };
      /** The body at `path`, or undefined when the request fails (the next check's alive() says why). */
      const get = async (path: string): Promise<{ status: number; text: string } | undefined> => {
        alive();
        try {
          const response = await fetch(`${url}${path}`);
          return { status: response.status, text: await response.text() };
        } catch {
          return undefined;
        }
      };
      await waitUntil('ecs-sd ready', async () => (await get('/-/ready'))?.status === 200);

      const body = deepArrays(100_000);
      const poison = [...poisonBodies(prodArn()).map((p) => p.body), body, body];
      const expected = new Map<string, number>();
      for (const p of poisonBodies(prodArn())) expected.set(p.reason, (expected.get(p.reason) ?? 0) + 1);
      expected.set('too-deep', (expected.get('too-deep') ?? 0) + 2);
      await sendAll(clients.sqs, queueUrl, poison);
      /** `ecs_sd_events_malformed_total` by reason, as the daemon serves it. */
      const counted = async () => {
        const out = new Map<string, number>();
        for (const [, reason, value] of ((await get('/metrics'))?.text ?? '').matchAll(
          /^ecs_sd_events_malformed_total\{[^}]*reason="([^"]+)"[^}]*\} (\d+)$/gm,
        ))
          out.set(reason!, Number(value));
        return out;
      };
      let last = '';
      await waitUntil(
        `all ${poison.length} poison messages counted by reason`,
        async () => {
          last = JSON.stringify([...(await counted())].sort());
          return last === JSON.stringify([...expected].sort());
        },
        { timeoutMs: 15_000, describe: () => `${last}, expected ${JSON.stringify([...expected].sort())}` },
      );
      await waitUntil('the queue empty', async () => {
        alive();
        return (await queueDepth(clients.sqs, queueUrl)) === 0;
      });

      const [started] = sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE' });
      assert.ok(started?.arn);
      await waitUntil(
        'the task started after the poison message in http_sd',
        async () => (await get('/http-sd'))?.text.includes(started.arn) ?? false,
        { timeoutMs: 15_000 },
      );
      alive();

      const exited = new Promise<number | null>((resolve) => {
        if (proc.child.exitCode !== null) resolve(proc.child.exitCode);
        else proc.child.once('exit', (code) => resolve(code));
      });
      proc.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<'still running'>((resolve) => {
          timer = setTimeout(() => resolve('still running'), 5000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(code, 0, `after SIGTERM: ${code}\n${proc.output().slice(-4000)}`);
    } finally {
      await proc.stop();
      sim.setEventsQueue(undefined);
    }
  });
});
