/**
 * The compiled daemon sends DescribeInstances through dist/vendor/client-ec2.cjs, client-ec2 cut
 * down by scripts/bundle-ec2.ts. Against ecs-sim over HTTP, that bundle must answer exactly as the
 * package does: the same instances, pages and errors, so a host's address never depends on which
 * of the two was loaded.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as packaged from '@aws-sdk/client-ec2';
import { type Sim, startSim } from 'ecs-sim';
import { bundleEc2 } from '../../scripts/bundle-ec2.ts';
import { EC2_EXPORTS, type Ec2Sdk } from '../../src/lib/sdk.ts';
import { useTestCredentials } from '../integration/helpers.ts';

// Under dist/ (ignored by git): the bundle's requires must resolve from inside the package.
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** What a caller sees of one DescribeInstances call: its instances by reservation, its token, or its error. */
async function outcome(sdk: Ec2Sdk, endpoint: string, input: packaged.DescribeInstancesCommandInput) {
  const client = new sdk.EC2Client({ region: 'us-east-1', endpoint, maxAttempts: 1 });
  try {
    const { Reservations, NextToken } = await client.send(new sdk.DescribeInstancesCommand(input));
    return { Reservations, NextToken };
  } catch (error) {
    const { name, message } = error as Error;
    return { name, message };
  } finally {
    client.destroy();
  }
}

describe('dist/vendor/client-ec2.cjs against ecs-sim', () => {
  let sim: Sim;
  let dir: string;
  let bundled: Ec2Sdk;
  let instanceIds: string[];
  before(async () => {
    useTestCredentials();
    sim = await startSim({
      port: 0,
      throttling: false,
      generate: {
        clusters: 2,
        tasks: 60,
        services: 4,
        taskDefinitions: 4,
        networkModes: 'bridge:1',
        seed: 7,
      },
    });
    instanceIds = [...new Set(sim.groundTruth().tasks.flatMap((task) => task.ec2InstanceId ?? []))].sort();
    await mkdir(DIST, { recursive: true });
    dir = await mkdtemp(join(DIST, '.bundle-test-'));
    const outfile = join(dir, 'client-ec2.cjs');
    const { external } = await bundleEc2(outfile);
    assert.ok(external.includes('@smithy/core'), 'the SDK runtime stays the one in node_modules');
    bundled = createRequire(import.meta.url)(outfile) as Ec2Sdk;
  });
  after(async () => {
    await sim?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('exports exactly what ecs-sd uses of client-ec2', () => {
    assert.deepEqual(Object.keys(bundled).sort(), [...EC2_EXPORTS].sort());
  });

  test('answers DescribeInstances as the package does: by id, by filter, page by page, and on errors', async () => {
    assert.ok(instanceIds.length >= 2, `the fleet has EC2 hosts (got ${instanceIds.length})`);
    const inputs: packaged.DescribeInstancesCommandInput[] = [
      { InstanceIds: instanceIds },
      { InstanceIds: [instanceIds[0]!] },
      { Filters: [{ Name: 'instance-state-name', Values: ['running'] }], MaxResults: 5 },
      { InstanceIds: [instanceIds[0]!, 'i-0000000000000dead'] },
      { InstanceIds: ['not-an-instance'] },
    ];
    for (const input of inputs) {
      const expected = await outcome(packaged, sim.endpoint, input);
      const actual = await outcome(bundled, sim.endpoint, input);
      assert.deepEqual(actual, expected, JSON.stringify(input));
    }
    const all = await outcome(bundled, sim.endpoint, inputs[0]!);
    const seen = ('Reservations' in all ? (all.Reservations ?? []) : [])
      .flatMap((reservation) => reservation.Instances ?? [])
      .map((instance) => instance.InstanceId);
    assert.deepEqual(seen.sort(), instanceIds, 'every host, each once');
    const missing = await outcome(bundled, sim.endpoint, inputs[3]!);
    assert.equal('name' in missing && missing.name, 'InvalidInstanceID.NotFound');
  });
});
