/**
 * The publisher of the file_sd outputs, against a temporary directory and a state filled by hand
 * (no AWS): nothing before ready but a cold start's clusters, writes in order, an unchanged state
 * not rendered again, and a file that cannot be written recorded, kept and tried again.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PUBLISH_AFTER_UPDATE_MS, Publisher, publishSoonDelayMs } from '../../src/daemon/publisher.ts';
import { DiscoveryState } from '../../src/daemon/state.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { target } from '../output/fixtures.ts';
import { FakeTimer } from '../support/fake-timer.ts';

const CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';

function withTargets(state: DiscoveryState, ips: string[], cluster = 'prod'): void {
  state.update({
    source: 'main',
    clusterArn: CLUSTER_ARN.replace('prod', cluster),
    clusterName: cluster,
    targets: ips.map((ip, index) => target({ cluster, taskId: `t${index}`, ip })),
    decisions: [],
    lastSuccessMs: 0,
  });
}

async function addresses(file: string): Promise<string[]> {
  const groups = JSON.parse(await readFile(file, 'utf8')) as { targets: string[] }[];
  return groups.flatMap((group) => group.targets).sort();
}

describe('Publisher', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-publisher-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  function publisher(name: string, state = new DiscoveryState()) {
    const file = join(dir, `${name}.json`);
    const metrics = createMetrics({ defaultMetrics: false });
    const timer = new FakeTimer();
    const published = new Publisher({
      timer,
      output: { file, format: 'json' },
      defaultInterval: '1m',
      state,
      metrics,
      log: silentLogger(),
      now: () => 0,
    });
    const writes = async () => (await metrics.fileWrites.get()).values.reduce((sum, v) => sum + v.value, 0);
    return { file, state, published, writes, timer };
  }

  test('before ready nothing is written, except a cold start’s clusters read so far', async () => {
    const { file, state, published } = publisher('cold');
    assert.equal(published.hasPreviousOutput(), false);
    assert.deepEqual(await published.publish('progressive'), [], 'no cluster read yet: nothing');
    withTargets(state, ['10.0.0.1']);
    assert.deepEqual(await published.publish('ready'), [], 'not ready: nothing');
    assert.deepEqual(await published.publish('progressive'), [file]);
    assert.deepEqual(await addresses(file), ['10.0.0.1:9100']);
    assert.equal(published.hasPreviousOutput(), true);
  });

  test('the first complete refresh writes; an unchanged state is not rendered or written again', async () => {
    const { file, state, published, writes } = publisher('steady');
    withTargets(state, ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(await published.publish('complete'), [file]);
    state.markReady();
    assert.deepEqual(await published.publish(), []);
    assert.equal(await writes(), 1);
    withTargets(state, ['10.0.0.3']);
    assert.deepEqual(await published.publish(), [file]);
    assert.deepEqual(await addresses(file), ['10.0.0.3:9100']);
  });

  test('writes land in the order they were asked for', async () => {
    const { file, state, published } = publisher('order');
    state.markReady();
    withTargets(state, ['10.0.0.1']);
    const first = published.publish();
    withTargets(state, ['10.0.0.2']);
    const second = published.publish();
    await Promise.all([first, second]);
    assert.deepEqual(await addresses(file), ['10.0.0.2:9100'], 'the newer state is what stays');
  });

  test('publishes asked for while one waits join it, so a cold start writes a few times, not once per cluster', async () => {
    const { file, state, published, writes } = publisher('joined');
    withTargets(state, ['10.0.0.1'], 'a');
    const first = published.publish('progressive');
    withTargets(state, ['10.0.0.2'], 'b');
    const second = published.publish('progressive');
    withTargets(state, ['10.0.0.3'], 'c');
    const third = published.publish('progressive');
    assert.equal(second, first, 'one queued write for every progressive publish asked before it starts');
    assert.equal(third, first);
    const complete = published.publish('complete');
    assert.notEqual(complete, first, 'another kind is queued on its own');
    assert.deepEqual(await first, [file]);
    assert.deepEqual(await complete, [], 'the state did not change since');
    assert.deepEqual(await addresses(file), ['10.0.0.1:9100', '10.0.0.2:9100', '10.0.0.3:9100']);
    assert.equal(await writes(), 1);
    assert.notEqual(published.publish('progressive'), first, 'a publish after the write is a new one');
  });

  test('a cold start writes a cluster at once when the targets doubled since the last write, else within 5 s', async () => {
    const { file, state, published, writes, timer } = publisher('progressive');
    const read = async (cluster: string, ips: string[]) => {
      withTargets(state, ips, cluster);
      published.publishProgressive();
      // Chained after the progressive publish it queued, if any; writes nothing itself (not ready).
      assert.deepEqual(await published.publish('ready'), []);
    };
    await read('a', ['10.0.0.1', '10.0.0.2']);
    assert.equal(await writes(), 1, 'the first cluster at once');
    await read('b', ['10.0.1.1', '10.0.1.2']);
    assert.equal(await writes(), 2, 'doubled: at once');
    await read('c', ['10.0.2.1', '10.0.2.2']);
    assert.equal(await writes(), 2, '6 of 4 targets: not yet');
    assert.deepEqual(timer.pending(), [5000]);
    await read('d', ['10.0.3.1', '10.0.3.2']);
    assert.equal(await writes(), 3, 'doubled again: at once, with the cluster that waited');
    assert.deepEqual(timer.pending(), [], 'the waiting publish is dropped');
    assert.equal((await addresses(file)).length, 8);
    withTargets(state, ['10.0.4.1'], 'e');
    published.publishProgressive();
    published.publishProgressive();
    assert.deepEqual(timer.pending(), [5000], 'one waiting publish for many clusters');
    await timer.advance(4999);
    assert.equal(await writes(), 3);
    await timer.advance(1);
    await published.publish('ready');
    assert.equal(await writes(), 4, 'written when the 5 s passed');
    assert.equal((await addresses(file)).length, 9);
    withTargets(state, ['10.0.5.1'], 'f');
    published.publishProgressive();
    published.cancelSoon();
    assert.deepEqual(
      timer.pending(),
      [5000],
      "a refresh's own publish writes nothing before ready: the wait stays",
    );
    published.cancelProgressive();
    assert.deepEqual(timer.pending(), [], 'the first complete publish drops it');
  });

  test('a file that cannot be written keeps its content, is recorded for readiness, and is written once it can', async () => {
    const blocked = join(dir, 'blocked');
    await mkdir(blocked);
    const file = join(blocked, 'all.json');
    await writeFile(file, '[]');
    const state = new DiscoveryState();
    const metrics = createMetrics({ defaultMetrics: false });
    const published = new Publisher({
      output: { file, format: 'json' },
      defaultInterval: '1m',
      state,
      metrics,
      log: silentLogger(),
      now: () => 42_000,
    });
    state.markReady();
    withTargets(state, ['10.0.0.1']);
    // The file's directory replaced by a file: the write fails.
    await rm(blocked, { recursive: true });
    await writeFile(blocked, 'not a directory');
    assert.deepEqual(await published.publish(), []);
    assert.equal(state.file(file)?.ok, false);
    assert.equal(state.outputProblems().length, 1);
    assert.match(state.outputProblems()[0]!, /not written since 1970-01-01T00:00:42\.000Z/);
    await rm(blocked);
    await mkdir(blocked);
    assert.deepEqual(await published.publish(), [file], 'tried again although the state did not change');
    assert.equal(state.file(file)?.ok, true);
    assert.deepEqual(await addresses(file), ['10.0.0.1:9100']);
  });

  test('publishSoon writes within a second unless a publish comes first; stop waits for a write and schedules none', async () => {
    const { file, state, published, writes, timer } = publisher('soon');
    state.markReady();
    withTargets(state, ['10.0.0.1']);
    published.publishSoon();
    published.publishSoon();
    assert.deepEqual(timer.pending(), [1000], 'one publish for many updates');
    published.cancelSoon();
    assert.deepEqual(timer.pending(), []);
    published.publishSoon();
    await timer.advance(999);
    assert.equal(await writes(), 0);
    await timer.advance(1);
    await published.publish();
    assert.equal(await writes(), 1, 'written once, when the second passed');
    assert.deepEqual(await addresses(file), ['10.0.0.1:9100']);
    published.publishSoon(7_500);
    assert.deepEqual(timer.pending(), [7_500], 'the delay the runtime asks for');
    published.cancelSoon();
    withTargets(state, ['10.0.0.2']);
    published.publishSoon();
    await published.stop();
    assert.deepEqual(timer.pending(), [], 'stop dropped the scheduled publish');
    published.publishSoon();
    assert.deepEqual(timer.pending(), [], 'nothing is scheduled after stop');
  });
});

test('clusters read during a refresh are written when it runs past 1.5 times the last complete one, at least a second after', () => {
  assert.equal(publishSoonDelayMs(0, 200, undefined), PUBLISH_AFTER_UPDATE_MS, 'no complete refresh yet');
  // A throttled refresh of the 10,000-task fleet takes about 5 s: a cluster read 0.6 s in waits for the rest.
  assert.equal(publishSoonDelayMs(10_000, 10_600, 5_000), 6_900);
  assert.equal(publishSoonDelayMs(10_000, 17_000, 5_000), PUBLISH_AFTER_UPDATE_MS, 'already late: soon');
  assert.equal(publishSoonDelayMs(10_000, 10_050, 100), PUBLISH_AFTER_UPDATE_MS, 'fast refreshes: a second');
});
