/**
 * Errors that say what to do (issue 14): every problem of the flags, the environment, the config
 * file and the web config file in one run, in ecs-sd's words (never the validation library's);
 * a source without a Region and an SDK without credentials each named in words; a rate budget
 * above AWS's own rate warned about.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** Environment with no AWS settings at all: no Region, no credentials, no profile, no instance metadata. */
function bareEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

/** Phrases of zod's own messages; none may reach a user. */
const LIBRARY_PHRASES = [
  /Invalid input/i,
  /too big/i,
  /too small/i,
  /Unrecognized key/i,
  /expected number to be/i,
  /expected int\b/,
  /Invalid (URL|option|key|string)/i,
];

/** One of each kind of mistake a config file can hold. */
const EVERY_MISTAKE = `refresh_interval: 5x
unknown_key: 1
sources:
  - name: a
    region: eu-west-1
    external_id: x
  - name: a
    region: 12
    endpoint: not a url
    clusters: []
discovery:
  rules:
    - name: r
      ports: [99999, "80", 1.5]
      path: metrics
      scheme: ftp
      labels: { "bad-name": "x" }
    - ports: [80]
  default_interval: 2m
  docker_label_allowlist: "(a"
  conventions: { rules: "yes" }
output:
  file: /tmp/targets.txt
log: { level: verbose }
rate_budget: { scale: -1, ecs_cluster_read: { burst: 0 } }
web: { listen_address: "1.2.3.4:99999" }
timeouts: { aws_request: 1ms }
`;

describe('errors that say what to do', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecs-sd-errors-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a config with one of each kind of mistake: one line per problem, each in our words', async () => {
    const file = join(dir, 'every-mistake.yaml');
    await writeFile(file, EVERY_MISTAKE);
    const result = await run(['check-config', file], bareEnv(dir));
    assert.equal(result.code, 2);
    const lines = result.stderr.trimEnd().split('\n');
    for (const line of lines) {
      assert.match(line, /^[a-z_]+[\w.[\]-]*: \S/, `starts with the key: ${line}`);
      for (const phrase of LIBRARY_PHRASES) assert.doesNotMatch(line, phrase, line);
    }
    for (const expected of [
      'discovery.rules[0].ports[0]: 99999 is not a port, expected 1-65535',
      'discovery.rules[0].ports[1]: "80" is not a port, expected 1-65535',
      'sources[0].external_id: got "x", expected at least 2 characters',
      'sources[1].region: got 12, expected a string',
      'sources[1].endpoint: got "not a url", expected a URL such as https://ecs.us-east-1.amazonaws.com',
      'sources[1].clusters: got [], expected at least 1 item',
      'discovery.rules[1].name: missing, expected a string',
      'discovery.rules[0].labels: key "bad-name" is not allowed, expected a label name [a-zA-Z_][a-zA-Z0-9_]*',
      'discovery.conventions.rules: got "yes", expected true or false',
      'rate_budget.scale: got -1, expected more than 0',
      'rate_budget.ecs_cluster_read.burst: got 0, expected at least 1',
      'unknown_key: unknown key, expected one of refresh_interval, sources, discovery, labels, output, web, log, rate_budget, timeouts, ha, pools',
      // Checks across keys come in the same run as everything else.
      'sources[1].name: source name "a" is also used by sources[0], expected unique names (set name:)',
    ])
      assert.ok(lines.includes(expected), `missing: ${expected}\n${result.stderr}`);
    assert.ok(
      lines.some((line) => line.startsWith('output.file: ')),
      `output.file's extension is reported with the rest\n${result.stderr}`,
    );
    assert.equal(new Set(lines).size, lines.length, 'no line twice');
  });

  test('YAML errors: one line per position, the position said once', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'a: 1\na: 2\nb: [\n');
    const result = await run(['check-config', file], bareEnv(dir));
    assert.equal(result.code, 2);
    const lines = result.stderr.trimEnd().split('\n');
    assert.deepEqual(lines, [
      `${file}: invalid YAML at line 2 column 1: map keys must be unique`,
      `${file}: invalid YAML at line 4 column 1: flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  test('an unknown flag, a bad environment value, the config file and the web config file: every problem in one run', async () => {
    const file = join(dir, 'two-sources.yaml');
    await writeFile(file, 'sources:\n  - region: eu-west-1\n  - region: eu-west-1\n');
    const web = join(dir, 'web.yml');
    await writeFile(web, 'basic_auth_users:\n  prometheus: plain-text-password\n');
    const result = await run(
      [
        '--web.listen-adress=:1',
        `--config.file=${file}`,
        `--web.config.file=${web}`,
        '--output.file=/tmp/targets.txt',
      ],
      bareEnv(dir, { ECS_SD_LOG_LEVEL: 'loud' }),
    );
    assert.equal(result.code, 2);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 5, result.stderr);
    const has = (pattern: RegExp) =>
      assert.ok(
        lines.some((line) => pattern.test(line)),
        `${pattern}\n${result.stderr}`,
      );
    has(/^--web\.listen-adress: unknown flag, expected one of /);
    has(/^ECS_SD_LOG_LEVEL \(log\.level\): got "loud", expected one of "debug", "info", "warn", "error"$/);
    has(/^--output\.file \(output\.file\): file_sd file ".*targets\.txt" does not end in \.json/);
    has(
      /^sources\[1\]\.name: source name "eu-west-1" is also used by sources\[0\], expected unique names \(set name:\)$/,
    );
    has(/web\.yml: basic_auth_users\.prometheus: is not a bcrypt hash, .*\(the value is not shown\)$/);
    assert.doesNotMatch(result.stderr, /plain-text-password/, 'a password pasted by mistake is never shown');
  });

  test('no Region: exit 2 naming the source and where to set one, before listening', async () => {
    const result = await run(
      ['--aws.endpoint=http://127.0.0.1:9', '--web.listen-address=127.0.0.1:0', '--log.format=json'],
      bareEnv(dir, { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }),
    );
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^sources\[0\] \(source "default"\): no AWS Region found, expected region: in the source, --aws\.region or ECS_SD_AWS_REGION \(single source\), AWS_REGION, AWS_DEFAULT_REGION, or region in the AWS profile \(AWS_PROFILE, ~\/\.aws\/config\)$/m,
    );
    assert.doesNotMatch(result.stderr, /"msg":"listening"/);
    const once = await run(['--once', '--aws.endpoint=http://127.0.0.1:9'], bareEnv(dir));
    assert.equal(once.code, 2);
    assert.match(once.stderr, /no AWS Region found/);
  });

  test('no credentials: says so and where the SDK looked, instead of a failed cluster selection', async () => {
    const result = await run(
      ['--once', '--aws.region=eu-west-1', '--aws.endpoint=http://127.0.0.1:9'],
      bareEnv(dir),
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^no AWS credentials found for source "eu-west-1": the AWS SDK looked in the environment \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\), .* against ecs-sim any keys do, e\.g\. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test$/m,
    );
    assert.match(
      result.stderr,
      /level=warn component=daemon msg="no AWS credentials found" source=eu-west-1 hint=/,
    );
    assert.doesNotMatch(result.stderr, /selecting clusters failed|CredentialsProviderError/);
  });

  test('rate_budget.scale above 1 is accepted with a warning that it exceeds AWS own rate', async () => {
    const file = join(dir, 'greedy.yaml');
    await writeFile(file, 'rate_budget: { scale: 2, sts: { refill_per_second: 50 } }\n');
    const result = await run(
      ['--once', `--config.file=${file}`, '--aws.region=eu-west-1', '--aws.endpoint=http://127.0.0.1:9'],
      bareEnv(dir, { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' }),
    );
    assert.equal(result.code, 1, 'the endpoint answers nothing');
    assert.match(
      result.stderr,
      /level=warn component=main msg="config setting exceeds what AWS allows" setting="rate_budget\.scale: 2 exceeds AWS's own rate/,
    );
    assert.match(
      result.stderr,
      /setting="rate_budget\.sts\.refill_per_second: 50 exceeds AWS's own 5 per second/,
    );
  });
});
