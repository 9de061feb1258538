import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { RegisterContainerInstanceCommand } from '@aws-sdk/client-ecs';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { waitUntil } from '@ecs-sd/testkit';
import { parseCliArgs } from '../src/cli-args.ts';
import { type Sim, type SimOptions, startSim } from '../src/index.ts';
import { clients, rejects } from './helpers.ts';

const CLI = new URL('../src/cli.ts', import.meta.url).pathname;

interface Envelope {
  id: string;
  'detail-type': string;
  resources: string[];
  detail: { lastStatus: string; version: number; tags?: unknown };
}

const sims: Sim[] = [];
after(async () => {
  for (const s of sims) await s.close();
});

/** A sim whose tasks walk the whole lifecycle at once (no lifecycle delays), publishing to `ecs-events`. */
async function eventSim(options: SimOptions = {}): Promise<{ sim: Sim; sqs: SQSClient; queueUrl: string }> {
  const sim = await startSim({
    throttling: false,
    seed: 7,
    eventsQueue: 'ecs-events',
    lifecycle: {
      provisioningMs: 0,
      pendingMs: 0,
      activatingMs: 0,
      deactivatingMs: 0,
      stoppingMs: 0,
      deprovisioningMs: 0,
    },
    fleet: {
      taskDefinitions: [
        {
          family: 'web',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          containerDefinitions: [{ name: 'c', image: 'i', portMappings: [{ containerPort: 80 }] }],
        },
      ],
      clusters: [{ name: 'ev', tags: { env: 'test' } }],
    },
    ...options,
  });
  sims.push(sim);
  return { sim, sqs: clients(sim).sqs, queueUrl: `${sim.endpoint}/${sim.accountId}/ecs-events` };
}

/** Receives and deletes every visible message, in queue order. */
async function drain(sqs: SQSClient, queueUrl: string): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (!r.Messages?.length) return out;
    for (const m of r.Messages) {
      out.push(JSON.parse(m.Body!) as Envelope);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}

/** Runs `count` tasks through their whole lifecycle (RUNNING, then stopped); returns their ARNs. */
function runAndStop(sim: Sim, count: number): string[] {
  const arns = sim.runTask({ cluster: 'ev', taskDefinition: 'web', count }).map((t) => t.arn);
  for (const arn of arns) sim.stopTask(arn);
  return arns;
}

const truthOf = (sim: Sim, arn: string) => sim.groundTruth().tasks.find((t) => t.taskArn === arn);

describe('event delivery', () => {
  it('publishes task events without tags, and records runningAt <= announcedAt and stoppedAt', async () => {
    const { sim, sqs, queueUrl } = await eventSim();
    const [task] = sim.runTask({ cluster: 'ev', taskDefinition: 'web' });
    task!.tags = [{ key: 'team', value: 'web' }];
    const arn = task!.arn;
    const running = truthOf(sim, arn)!;
    assert.equal(running.lastStatus, 'RUNNING');
    assert.ok(running.runningAt !== undefined && running.announcedAt !== undefined);
    assert.ok(running.announcedAt >= running.runningAt);
    assert.equal(running.stoppedAt, undefined);
    sim.stopTask(arn);
    const stopped = truthOf(sim, arn)!;
    assert.ok(stopped.stoppedAt !== undefined && stopped.stoppedAt >= running.runningAt);
    assert.equal(stopped.runningAt, running.runningAt, 'runningAt is the first time only');
    const events = await drain(sqs, queueUrl);
    assert.deepEqual(
      events.map((e) => e.detail.lastStatus),
      ['PROVISIONING', 'PENDING', 'RUNNING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'],
    );
    assert.ok(
      events.every((e) => !('tags' in e.detail)),
      'EventBridge task events carry no tags',
    );
    await clients(sim).ecs.send(
      new RegisterContainerInstanceCommand({ cluster: 'ev', tags: [{ key: 'role', value: 'app' }] }),
    );
    const [ci] = await drain(sqs, queueUrl);
    assert.equal(ci?.['detail-type'], 'ECS Container Instance State Change');
    assert.ok(!('tags' in ci.detail), 'nor do container instance events');
    const state = (await (await fetch(`${sim.endpoint}/_sim/state`)).json()) as ReturnType<
      Sim['groundTruth']
    >;
    assert.deepEqual(
      state.tasks.find((t) => t.taskArn === arn),
      JSON.parse(JSON.stringify(stopped)),
    );
  });

  it('leaves announcedAt undefined without an events queue, and runningAt undefined before RUNNING', async () => {
    const { sim } = await eventSim();
    sim.setEventsQueue(undefined);
    const [t] = sim.runTask({ cluster: 'ev', taskDefinition: 'web' });
    assert.ok(truthOf(sim, t!.arn)!.runningAt !== undefined);
    assert.equal(truthOf(sim, t!.arn)!.announcedAt, undefined);
    const [p] = sim.runTask({ cluster: 'ev', taskDefinition: 'web', lastStatus: 'PENDING', pinned: true });
    assert.equal(truthOf(sim, p!.arn)!.runningAt, undefined);
  });

  it('with drop rate 1 enqueues nothing and never announces the task', async () => {
    const { sim, sqs, queueUrl } = await eventSim({ eventDelivery: { dropRate: 1 } });
    const [arn] = runAndStop(sim, 1);
    assert.deepEqual(await drain(sqs, queueUrl), []);
    const counts = sim.eventDelivery().counts;
    assert.equal(counts.published, 6);
    assert.equal(counts.dropped, 6);
    assert.equal(counts.enqueued, 0);
    const truth = truthOf(sim, arn!)!;
    assert.ok(truth.runningAt !== undefined, 'the task did run');
    assert.equal(truth.announcedAt, undefined, 'its RUNNING event was dropped');
  });

  it('with duplicate rate 1 delivers each event twice with the same id and body', async () => {
    const { sim, sqs, queueUrl } = await eventSim({ eventDelivery: { duplicateRate: 1 } });
    runAndStop(sim, 2);
    const events = await drain(sqs, queueUrl);
    assert.equal(events.length, 24);
    const byId = new Map<string, string[]>();
    for (const e of events) byId.set(e.id, [...(byId.get(e.id) ?? []), JSON.stringify(e)]);
    assert.equal(byId.size, 12);
    for (const [id, bodies] of byId) {
      assert.equal(bodies.length, 2, `event ${id} delivered twice`);
      assert.equal(bodies[0], bodies[1]);
    }
    assert.deepEqual(sim.eventDelivery().counts, {
      published: 12,
      enqueued: 24,
      dropped: 0,
      duplicated: 12,
      delayed: 0,
      pending: 0,
    });
  });

  it('with delays reorders events of a task (deterministic for the seed) and announces after the delay', async () => {
    const { sim, sqs, queueUrl } = await eventSim({ eventDelivery: { delayRate: 1, maxDelayMs: 200 } });
    const arns = runAndStop(sim, 3);
    assert.equal(sim.eventDelivery().counts.pending, 18);
    assert.equal(truthOf(sim, arns[0]!)!.announcedAt, undefined, 'not receivable yet');
    await waitUntil('delayed events to be enqueued', () => sim.eventDelivery().counts.pending === 0);
    const events = await drain(sqs, queueUrl);
    assert.equal(events.length, 18);
    let inversions = 0;
    for (const arn of arns) {
      const versions = events.filter((e) => e.resources[0] === arn).map((e) => e.detail.version);
      assert.equal(versions.length, 6);
      for (let i = 1; i < versions.length; i++) if (versions[i]! < versions[i - 1]!) inversions++;
      const truth = truthOf(sim, arn)!;
      assert.ok(truth.announcedAt !== undefined && truth.runningAt !== undefined);
      assert.ok(truth.announcedAt >= truth.runningAt);
    }
    assert.ok(inversions > 0, 'at least one pair arrives out of detail.version order');
    const metrics = await (await fetch(`${sim.endpoint}/_sim/metrics`)).text();
    assert.match(metrics, /^ecs_sim_events_delayed_total 18$/m);
    assert.match(metrics, /^ecs_sim_events_enqueued_total 18$/m);
  });

  it('a closed sim enqueues no delayed event', async () => {
    const sim = await startSim({
      throttling: false,
      eventsQueue: 'ecs-events',
      eventDelivery: { delayRate: 1, maxDelayMs: 60_000 },
      fleet: { clusters: [{ name: 'c', instances: [{ count: 1 }] }] },
    });
    const { ecs } = clients(sim);
    await ecs.send(new RegisterContainerInstanceCommand({ cluster: 'c' }));
    assert.equal(sim.eventDelivery().counts.pending, 1);
    await sim.close();
    assert.equal(sim.eventDelivery().counts.pending, 0);
    assert.equal(sim.world.account(sim.accountId).queues.get('ecs-events')!.messages.length, 0);
  });

  it('an SQS outage is injected with faults on ReceiveMessage (http503, access-denied) by code and over HTTP', async () => {
    const { sim, sqs, queueUrl } = await eventSim();
    runAndStop(sim, 1);
    const id = sim.faults.add({ operation: 'ReceiveMessage', kind: 'http503' });
    const e503 = await rejects(() => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl })));
    assert.equal(e503.$metadata?.httpStatusCode, 503);
    assert.equal(e503.name, 'ServiceUnavailable');
    sim.faults.remove(id);
    const res = await fetch(`${sim.endpoint}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'ReceiveMessage', kind: 'access-denied' }),
    });
    assert.equal(res.status, 200);
    const denied = await rejects(() => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl })));
    assert.equal(denied.$metadata?.httpStatusCode, 403);
    assert.equal(denied.name, 'AccessDenied');
    assert.match(denied.message, /not authorized to perform: sqs:ReceiveMessage/);
    const { id: ruleId } = (await res.json()) as { id: string };
    assert.equal((await fetch(`${sim.endpoint}/_sim/faults/${ruleId}`, { method: 'DELETE' })).status, 200);
    assert.equal((await drain(sqs, queueUrl)).length, 6, 'events wait in the queue through the outage');
    const bad = await fetch(`${sim.endpoint}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'access-denied' }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /missing cluster or operation/);
  });

  it('admin POST /_sim/events/delivery validates and sets; GET returns settings and counts', async () => {
    const { sim } = await eventSim();
    const post = async (body: unknown) => {
      const r = await fetch(`${sim.endpoint}/_sim/events/delivery`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    const typo = await post({ dupRate: 0.1 });
    assert.equal(typo.status, 400);
    assert.match(String(typo.json['error']), /unknown key "dupRate", expected one of duplicateRate/);
    const range = await post({ dropRate: 2, maxDelayMs: -1 });
    assert.equal(range.status, 400);
    assert.equal(
      range.json['error'],
      'dropRate: got 2, expected a number from 0 to 1; maxDelayMs: got -1, expected milliseconds >= 0',
    );
    const noMax = await post({ delayRate: 0.5 });
    assert.equal(noMax.status, 400);
    assert.match(String(noMax.json['error']), /maxDelayMs: got 0, expected > 0 when delayRate is above 0/);
    assert.equal((await post([1])).status, 400);
    const ok = await post({ duplicateRate: 0.1, delayRate: 0.2, maxDelayMs: 3000, dropRate: 0.02 });
    assert.equal(ok.status, 200);
    const got = (await (await fetch(`${sim.endpoint}/_sim/events/delivery`)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(got, {
      duplicateRate: 0.1,
      delayRate: 0.2,
      maxDelayMs: 3000,
      dropRate: 0.02,
      counts: { published: 0, enqueued: 0, dropped: 0, duplicated: 0, delayed: 0, pending: 0 },
    });
    assert.throws(
      () => sim.setEventDelivery({ dropRate: -0.5 }),
      /dropRate: got -0.5, expected a number from 0 to 1/,
    );
  });

  it('the CLI flag --event-delivery parses, validates (exit 2) and applies', async () => {
    const ok = parseCliArgs(['--event-delivery', 'dup=0.1,delay=0.2,max-delay=3000,drop=0.02']);
    assert.ok(!('problems' in ok));
    assert.deepEqual(ok.eventDelivery, {
      duplicateRate: 0.1,
      delayRate: 0.2,
      maxDelayMs: 3000,
      dropRate: 0.02,
    });
    assert.deepEqual(parseCliArgs(['--event-delivery', 'dup=1.5,jitter=3,drop=x,delay=0.5']), {
      problems: [
        '--event-delivery: got key "jitter", expected one of dup, delay, max-delay, drop (as KEY=NUMBER)',
        '--event-delivery: got drop="x", expected a number',
        '--event-delivery: dup: got 1.5, expected a number from 0 to 1',
      ],
    });
    assert.deepEqual(parseCliArgs(['--event-delivery=delay=0.5']), {
      problems: ['--event-delivery: max-delay: got 0, expected > 0 when delayRate is above 0'],
    });

    const bad = spawn(process.execPath, [CLI, '--event-delivery', 'drop=2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    bad.stderr.on('data', (d) => (stderr += d));
    assert.equal(await new Promise((r) => bad.on('close', r)), 2);
    assert.equal(stderr.trim(), '--event-delivery: drop: got 2, expected a number from 0 to 1');

    const p = spawn(
      process.execPath,
      [CLI, '--listen', '127.0.0.1:0', '--event-delivery', 'dup=0.5,max-delay=10'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((r) => p.on('exit', r));
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let buf = '';
        p.stdout.on('data', (d) => {
          buf += d;
          const m = /^ecs-sim listening on (\S+)\n/.exec(buf);
          if (m) resolve(m[1]!);
        });
        p.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const got = (await (await fetch(`${endpoint}/_sim/events/delivery`)).json()) as Record<string, unknown>;
      assert.equal(got['duplicateRate'], 0.5);
      assert.equal(got['maxDelayMs'], 10);
    } finally {
      p.kill('SIGTERM');
      await exited;
    }
  });
});
