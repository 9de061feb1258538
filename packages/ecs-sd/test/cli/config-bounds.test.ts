/**
 * The CLI with values that once passed check-config and then stalled or crashed the daemon: a
 * catastrophic regex, a duration above Node's timer limit, a port that does not exist. They are
 * config errors (exit 2, one line each, all at once) in check-config and at daemon start alike,
 * and a catastrophic regex that RE2 does accept decides at once on names any team picks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Sim, startSim } from 'ecs-sim';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** A name on which `^(?:(a+)+|prod)$` backtracks 2^35 times in JavaScript's engine. */
const HOSTILE = `${'a'.repeat(35)}-x`;
const LOOKAHEAD =
  'sources[0].cluster_include: "(?=x)" is not a regular expression RE2 accepts (lookahead is not supported), expected RE2 syntax as in Prometheus';

/** Runs the CLI as a child process (a hang ends in the timeout, not in a stuck test run). */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          AWS_ACCESS_KEY_ID: 'AKIDECSSDTEST',
          AWS_SECRET_ACCESS_KEY: 'ecs-sd-test-secret',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

const sorted = (stderr: string) => stderr.trimEnd().split('\n').sort();

describe('config values that would stall or crash the daemon', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-cli-bounds-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('check-config exits 2 with a line each for an RE2-refused regex, a too long duration and a missing port', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        'refresh_interval: 600h',
        'sources: [{ region: us-east-1, cluster_include: "(?=x)" }]',
        'web: { listen_address: ":99999" }',
      ].join('\n'),
    );
    const result = await run(['check-config', file]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.deepEqual(sorted(result.stderr), [
      'refresh_interval: "600h" is too long, expected at most 24h',
      LOOKAHEAD,
      'web.listen_address: ":99999" has port 99999, expected 1-65535 (or 0 for any free port)',
    ]);
  });

  test('check-config accepts a catastrophic-looking regex RE2 runs in linear time', async () => {
    const file = join(dir, 'nested.yaml');
    await writeFile(file, 'sources: [{ region: us-east-1, cluster_include: "(a+)+|prod" }]\n');
    assert.deepEqual(await run(['check-config', file]), { code: 0, stdout: `${file}: ok\n`, stderr: '' });
  });

  test('the daemon refuses the same from the file, flags and environment with exit 2, before listening', async () => {
    const file = join(dir, 'daemon.yaml');
    await writeFile(file, 'sources: [{ region: us-east-1, cluster_include: "(?=x)" }]\n');
    const result = await run([`--config.file=${file}`, '--web.listen-address=:99999', '--log.level=debug'], {
      ECS_SD_REFRESH_INTERVAL: '99999999999999999999h',
    });
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.deepEqual(sorted(result.stderr), [
      '--web.listen-address (web.listen_address): ":99999" has port 99999, expected 1-65535 (or 0 for any free port)',
      'ECS_SD_REFRESH_INTERVAL (refresh_interval): "99999999999999999999h" is too long, expected at most 24h',
      LOOKAHEAD,
    ]);
    const dropIn = await run(['--once', '--interval=2592000', '--aws.region=us-east-1']);
    assert.equal(dropIn.code, 2);
    assert.equal(
      dropIn.stderr,
      '--interval (refresh_interval): "2592000" is too long, expected at most 24h\n',
    );
  });
});

describe('catastrophic regexes against ecs-sim', () => {
  let sim: Sim;
  let dir: string;

  before(async () => {
    const container = (name: string, dockerLabels: Record<string, string>) => ({
      name,
      image: `example/${name}:1`,
      portMappings: [{ containerPort: 9100 }],
      dockerLabels,
    });
    const task = (taskDefinition: string) => ({
      taskDefinition,
      count: 1,
      launchType: 'FARGATE',
      subnet: 'subnet-a',
    });
    const fleet = {
      region: 'us-east-1',
      accountId: '123456789012',
      seed: 7,
      subnets: [{ id: 'subnet-a', cidr: '127.1.0.0/16', availabilityZone: 'us-east-1a' }],
      taskDefinitions: [
        // Labels any team controls: a hostile value on the rule's label, a hostile label name for the allowlist.
        {
          family: 'orders',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          containerDefinitions: [container('orders', { team: 'orders', [HOSTILE]: 'x' })],
        },
        {
          family: 'web',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          containerDefinitions: [container('web', { team: HOSTILE })],
        },
      ],
      clusters: [
        { name: 'prod', tasks: [task('orders'), task('web')] },
        { name: HOSTILE, tasks: [task('orders')] },
      ],
    };
    sim = await startSim({ port: 0, fleet: fleet as never, throttling: false });
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-cli-redos-'));
  });

  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('--once with (a+)+ in cluster_include, docker_label.value and the allowlist discovers exactly the right targets', async () => {
    const config = join(dir, 'ecs-sd.yaml');
    await writeFile(
      config,
      [
        'sources:',
        `  - { region: us-east-1, endpoint: "${sim.endpoint}", cluster_include: "(a+)+|prod" }`,
        'discovery:',
        '  conventions: { prometheus_ecs_sd: false, prometheus_ecs_discovery: false, ecs_sd_labels: false }',
        '  docker_label_allowlist: "(a+)+|team"',
        '  rules: [{ name: by-team, docker_label: { name: team, value: "(a+)+|orders" }, ports: [9100] }]',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const result = await run([
      '--once',
      `--config.file=${config}`,
      `--output.directory=${out}`,
      '--log.level=warn',
    ]);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.equal(result.stdout, '1 clusters, 2 tasks, 1 targets, skipped: no-container-opted-in=1\n');
    const groups = JSON.parse(await readFile(join(out, '1m-tasks.json'), 'utf8')) as {
      labels: Record<string, string>;
    }[];
    assert.equal(groups.length, 1);
    const labels = groups[0]!.labels;
    assert.equal(labels['__meta_ecs_cluster'], 'prod');
    assert.equal(labels['__meta_ecs_container_name'], 'orders');
    assert.equal(labels['__meta_ecs_container_label_team'], 'orders');
    assert.deepEqual(
      Object.keys(labels).filter((name) => name.startsWith('__meta_ecs_container_label_')),
      ['__meta_ecs_container_label_team'],
      'the hostile label name is not allowlisted',
    );
  });
});
