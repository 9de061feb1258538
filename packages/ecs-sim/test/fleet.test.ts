import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  FleetError,
  generateFleet,
  loadFleetFile,
  parseGenerateSpec,
  startSim,
  validateFleet,
} from '../src/index.ts';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FleetError, String(err));
    return err.problems;
  }
  throw new Error('expected a FleetError');
}

describe('fleet', () => {
  it('loads the fixture fleet file', () => {
    const f = loadFleetFile(new URL('./fixtures/fleet.yaml', import.meta.url).pathname);
    assert.equal(f.clusters?.length, 3);
    assert.equal(f.clusters?.[0]?.arnFormat, 'long');
  });

  it('reports every problem as path: message naming the value and what was expected', () => {
    const problems = problemsOf(() =>
      validateFleet({
        clusters: [
          { name: 'ok', instances: [{ count: 1, launchType: 'EC3' }], tasks: [{ taskDefinition: 'ghost' }] },
          { name: 'bad name!', colour: 'red' },
        ],
        taskDefinitions: [{ family: 'f', networkMode: 'bridge', containerDefinitions: [] }],
        subnets: [{ id: 'subnet-x', cidr: '10.0.0.0/33' }],
      }),
    );
    const text = problems.join('\n');
    assert.match(text, /clusters\[0\]\.instances\[0\]\.launchType: got "EC3", expected one of EC2, EXTERNAL/);
    assert.match(
      text,
      /clusters\[1\]\.name: got "bad name!", expected letters, digits, hyphens and underscores/,
    );
    assert.match(text, /clusters\[1\]\.colour: unknown key "colour"/);
    assert.match(text, /taskDefinitions\[0\]\.containerDefinitions: got 0 items, expected at least 1 item/);
  });

  it('checks references after the shape: unknown families, subnets and missing hosts', () => {
    const problems = problemsOf(() =>
      validateFleet({
        subnets: [
          { id: 'subnet-a', cidr: '127.1.0.0/16' },
          { id: 'subnet-b', cidr: '127.1.128.0/17' },
        ],
        taskDefinitions: [
          { family: 'web', networkMode: 'bridge', containerDefinitions: [{ name: 'c', image: 'i' }] },
        ],
        clusters: [
          {
            name: 'c',
            services: [{ name: 's', taskDefinition: 'web', desiredCount: 1, subnet: 'subnet-z' }],
            tasks: [{ taskDefinition: 'web:2' }],
          },
        ],
      }),
    );
    const text = problems.join('\n');
    assert.match(
      text,
      /subnets\[1\]\.cidr: got "127\.1\.128\.0\/17", expected a range that does not overlap subnets\[0\]\.cidr/,
    );
    assert.match(
      text,
      /clusters\[0\]\.services\[0\]\.launchType: got "EC2", expected a cluster with EC2 instances/,
    );
    assert.match(
      text,
      /clusters\[0\]\.services\[0\]\.subnet: got "subnet-z", expected one of the subnet ids \(subnet-a, subnet-b\)/,
    );
    assert.match(text, /clusters\[0\]\.tasks\[0\]\.taskDefinition: got "web:2", expected a family/);
  });

  it('reports unreadable and unparsable files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecs-sim-fleet-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [unclosed');
    assert.match(problemsOf(() => loadFleetFile(bad))[0]!, /^\(root\): not valid YAML/);
    assert.match(
      problemsOf(() => loadFleetFile(join(dir, 'missing.yaml')))[0]!,
      /cannot read the fleet file \(ENOENT\)/,
    );
    const json = join(dir, 'f.json');
    writeFileSync(json, JSON.stringify({ clusters: [{ name: 'x', arnFormat: 'medium' }] }));
    assert.deepEqual(
      problemsOf(() => loadFleetFile(json)),
      ['clusters[0].arnFormat: got "medium", expected one of long, short'],
    );
  });

  it('parses generator specs and rejects bad keys one line each', () => {
    assert.deepEqual(parseGenerateSpec('clusters=2,tasks=50,networkModes=awsvpc:50/bridge:50,optedIn=0.5'), {
      clusters: 2,
      tasks: 50,
      networkModes: 'awsvpc:50/bridge:50',
      optedIn: 0.5,
    });
    assert.deepEqual(
      problemsOf(() => parseGenerateSpec('clusters=x,bogus=1,networkModes=wifi:3')),
      [
        'generate.clusters: got "x", expected a whole number >= 0',
        'generate.bogus: unknown key, expected one of clusters, tasks, services, taskDefinitions, hosts, optedIn, standalone, external, seed, networkModes, arnFormat',
        'generate.networkModes: got "wifi", expected one of awsvpc, bridge, host, none, fargate',
      ],
    );
  });

  it('generates exactly the requested tasks, deterministically, with addresses in 127.0.0.0/8', async () => {
    const spec = {
      clusters: 3,
      tasks: 203,
      services: 11,
      networkModes: 'awsvpc:40/bridge:30/host:10/fargate:20',
      seed: 5,
      arnFormat: 'mixed' as const,
    };
    assert.deepEqual(generateFleet(spec), generateFleet(spec));
    const a = await startSim({ generate: spec, throttling: false });
    const b = await startSim({ generate: spec, throttling: false });
    try {
      const ta = a.groundTruth().tasks;
      assert.equal(ta.length, 203);
      assert.deepEqual(
        ta.map((t) => t.taskArn),
        b.groundTruth().tasks.map((t) => t.taskArn),
      );
      assert.ok(ta.every((t) => t.lastStatus === 'RUNNING'));
      const modes = new Map<string, number>();
      for (const t of ta) modes.set(t.networkMode, (modes.get(t.networkMode) ?? 0) + 1);
      assert.equal(modes.get('host'), 21);
      assert.ok(ta.filter((t) => t.launchType === 'FARGATE').length >= 39);
      for (const t of ta)
        for (const c of t.containers) if (c.address) assert.match(c.address, /^127\.\d+\.\d+\.\d+$/);
      assert.ok(
        ta.some((t) => t.taskArn.split('/').length === 2),
        'mixed arn formats include the short one',
      );
      const opted = ta
        .flatMap((t) => t.containers.filter((c) => c.name === 'app'))
        .filter((c) => c.environment['PROMETHEUS'] === 'true');
      assert.ok(opted.length > 100 && opted.length < 203, `opted in ${opted.length}`);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
