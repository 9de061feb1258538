import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { helpText, parseCommandLine } from '../../src/config/flags.ts';
import { UsageError } from '../../src/errors.ts';

function usageProblems(argv: string[], env: Record<string, string> = {}): string[] {
  try {
    parseCommandLine(argv, env);
  } catch (error) {
    assert.ok(error instanceof UsageError);
    return [...error.problems];
  }
  assert.fail('expected a usage error');
}

describe('parseCommandLine', () => {
  test('accepts --flag=value and --flag value, and maps flags to config keys', () => {
    const line = parseCommandLine(['--log.level=debug', '--web.listen-address', '127.0.0.1:0', '--once']);
    assert.equal(line.command, 'run');
    assert.equal(line.once, true);
    assert.deepEqual(line.overrides, [
      { path: ['log', 'level'], value: 'debug', origin: '--log.level' },
      { path: ['web', 'listen_address'], value: '127.0.0.1:0', origin: '--web.listen-address' },
    ]);
  });

  test('boolean flags take --no-flag and =true/=false', () => {
    assert.equal(parseCommandLine(['--once', '--no-once']).once, false);
    assert.equal(parseCommandLine(['--once=false']).once, false);
  });

  test('environment variables apply where no flag is given; flags win', () => {
    const line = parseCommandLine(['--log.level=warn'], {
      ECS_SD_LOG_LEVEL: 'debug',
      ECS_SD_LOG_FORMAT: 'json',
      ECS_SD_CONFIG_FILE: '/etc/ecs-sd.yaml',
      ECS_SD_AWS_CLUSTERS: 'a, b,,c',
    });
    assert.deepEqual(line.overrides, [
      { path: ['log', 'level'], value: 'warn', origin: '--log.level' },
      { path: ['log', 'format'], value: 'json', origin: 'ECS_SD_LOG_FORMAT' },
    ]);
    assert.equal(line.configFile, '/etc/ecs-sd.yaml');
    assert.deepEqual(line.sourceOverrides, [
      { path: ['clusters'], value: ['a', 'b', 'c'], origin: 'ECS_SD_AWS_CLUSTERS' },
    ]);
  });

  test('prometheus-ecs-sd drop-in: --directory, --interval and --default-scrape-interval', () => {
    const line = parseCommandLine([
      '--directory',
      '/opt/prometheus-ecs',
      '--interval',
      '30',
      '--default-scrape-interval=5m',
    ]);
    assert.deepEqual(line.overrides, [
      { path: ['output', 'directory'], value: '/opt/prometheus-ecs', origin: '--directory' },
      { path: ['refresh_interval'], value: '30', origin: '--interval' },
      { path: ['discovery', 'default_interval'], value: '5m', origin: '--default-scrape-interval' },
    ]);
  });

  test('AWS_DEFAULT_REGION is used only when AWS_REGION is unset (the SDK reads only AWS_REGION)', () => {
    assert.equal(parseCommandLine([], { AWS_DEFAULT_REGION: 'eu-west-1' }).defaultRegion, 'eu-west-1');
    assert.equal(
      parseCommandLine([], { AWS_DEFAULT_REGION: 'eu-west-1', AWS_REGION: 'us-east-1' }).defaultRegion,
      undefined,
    );
  });

  test('commands take their argument', () => {
    const check = parseCommandLine(['check-config', 'x.yaml']);
    assert.equal(check.command, 'check-config');
    assert.equal(check.configFile, 'x.yaml');
    const explain = parseCommandLine(['explain', 'abc123', '--url', 'http://127.0.0.1:9888']);
    assert.equal(explain.command, 'explain');
    assert.equal(explain.argument, 'abc123');
    assert.equal(explain.url, 'http://127.0.0.1:9888');
  });

  test('reports every usage problem at once', () => {
    assert.deepEqual(
      usageProblems([
        '--bogus',
        '--once=maybe',
        '--log.level',
        '--directory=a',
        '--output.directory=b',
        'serve',
        '-x',
      ]),
      [
        '--bogus: unknown flag, expected one of --config.file, --web.listen-address, --web.config.file, --web.enable-lifecycle, --log.level, --log.format, --once, --refresh-interval, --output.directory, --output.file, --output.format, --aws.region, --aws.clusters, --aws.role-arn, --aws.external-id, --aws.endpoint, --url, --url.username, --url.password-file, --url.ca-file, --directory, --interval, --default-scrape-interval, --help, --version',
        '--once: got "maybe", expected true or false',
        '--log.level: missing value, expected --log.level=LEVEL',
        '--output.directory: given more than once (also as --directory), expected it once',
        '-x: unknown flag, expected --flag or --flag=value (see --help)',
        '"serve": unknown command, expected one of check-config, explain, healthcheck or only flags (see --help)',
      ],
    );
    assert.deepEqual(usageProblems(['explain']), ['explain: missing argument, expected TASK (ARN or id)']);
  });

  test('help lists every flag with its environment variable', () => {
    const help = helpText('1.2.3');
    assert.match(help, /--config\.file=FILE +YAML config file \(env ECS_SD_CONFIG_FILE\)/);
    assert.match(help, /--directory=DIR +prometheus-ecs-sd drop-in/);
  });
});
