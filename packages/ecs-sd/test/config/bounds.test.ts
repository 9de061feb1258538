/**
 * Values that pass a naive check and then stall or crash the daemon: a regex that backtracks
 * catastrophically, a duration Node's timers cannot hold, a port that does not exist. Each is
 * refused at load, one line per problem, all at once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { clusterSelected } from '../../src/config/types.ts';
import { ruleMatches } from '../../src/discovery/conventions.ts';
import { ConfigError } from '../../src/errors.ts';
import {
  durationProblem,
  MAX_TIMER_MS,
  parseConfigDuration as parseDuration,
} from '../../src/lib/duration.ts';

function problems(input: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail('expected the config to be rejected');
}

const QUEUE = 'queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q"';
const HOSTILE = `${'a'.repeat(35)}-x`;

describe('regexes in the config', () => {
  test('a catastrophic cluster_include, docker_label.value and allowlist decide at once on names any team picks', () => {
    const config = loadConfig({
      fileText: [
        'sources: [{ region: us-east-1, cluster_include: "(a+)+|prod", cluster_exclude: "(a|aa)+-batch" }]',
        'discovery:',
        '  docker_label_allowlist: "(a+)+|team"',
        '  rules: [{ name: r, docker_label: { name: team, value: "(a+)+|orders" }, ports: [9100] }]',
      ].join('\n'),
    });
    const source = config.sources[0]!;
    assert.equal(clusterSelected(source, HOSTILE), false);
    assert.equal(clusterSelected(source, 'prod'), true);
    assert.equal(clusterSelected(source, `${'a'.repeat(50_000)}-batch`), false);
    assert.equal(config.discovery.dockerLabelAllowlist?.test(HOSTILE), false);
    assert.equal(config.discovery.dockerLabelAllowlist?.test('team'), true);
    const subject = {
      clusterName: 'prod',
      containerName: 'app',
      dockerLabels: { team: HOSTILE },
      mappedPorts: [9100],
    };
    assert.equal(ruleMatches(config.discovery.rules[0]!, subject), false);
    assert.equal(
      ruleMatches(config.discovery.rules[0]!, { ...subject, dockerLabels: { team: 'orders' } }),
      true,
    );
  });

  test('Go/RE2 syntax Prometheus users write works in every regex key', () => {
    const config = loadConfig({
      fileText: [
        'sources: [{ region: us-east-1, cluster_include: "(?i)prod-\\\\d+", cluster_exclude: "[[:alpha:]]+-batch" }]',
        'discovery:',
        '  docker_label_allowlist: "\\\\pL+"',
        '  rules: [{ name: r, family: "(?P<app>web|api)", ports: [9100] }]',
      ].join('\n'),
    });
    const source = config.sources[0]!;
    assert.equal(source.clusterInclude?.source, '(?i)prod-\\d+');
    assert.equal(clusterSelected(source, 'PROD-12'), true);
    assert.equal(clusterSelected(source, 'prod-x'), false);
    assert.equal(source.clusterExclude?.test('nightly-batch'), true);
    assert.equal(config.discovery.dockerLabelAllowlist?.test('équipe'), true);
    assert.equal(config.discovery.dockerLabelAllowlist?.test('team_1'), false);
    assert.equal(config.discovery.rules[0]!.family?.test('api'), true);
  });

  test('syntax RE2 refuses is a problem at load, one line per key, every regex key at once', () => {
    const lines = problems({
      fileText: [
        'sources:',
        '  - { region: us-east-1, cluster_include: "(?=x)", cluster_exclude: "(?<!x)y" }',
        'discovery:',
        '  docker_label_allowlist: "(a)\\\\1"',
        '  rules:',
        '    - name: r',
        '      cluster: "a++"',
        '      service: "(?>s)"',
        '      family: "(?#c)f"',
        '      task_definition_arn: "[z-a]"',
        '      container: "(?P<n>c)(?P=n)"',
        '      docker_label: { name: team, value: "(?!x)" }',
        '      ports: [9100]',
      ].join('\n'),
    });
    const tail = 'expected RE2 syntax as in Prometheus';
    assert.deepEqual(lines.sort(), [
      `discovery.docker_label_allowlist: "(a)\\\\1" is not a regular expression RE2 accepts (backreferences are not supported), ${tail}`,
      `discovery.rules[0].cluster: "a++" is not a regular expression RE2 accepts (possessive quantifiers are not supported), ${tail}`,
      `discovery.rules[0].container: "(?P<n>c)(?P=n)" is not a regular expression RE2 accepts (backreferences are not supported), ${tail}`,
      `discovery.rules[0].docker_label.value: "(?!x)" is not a regular expression RE2 accepts (lookahead is not supported), ${tail}`,
      `discovery.rules[0].family: "(?#c)f" is not a regular expression RE2 accepts (comments are not supported), ${tail}`,
      `discovery.rules[0].service: "(?>s)" is not a regular expression RE2 accepts (atomic groups are not supported), ${tail}`,
      `discovery.rules[0].task_definition_arn: "[z-a]" is not a regular expression RE2 accepts (invalid character class range in "z-a"), ${tail}`,
      `sources[0].cluster_exclude: "(?<!x)y" is not a regular expression RE2 accepts (lookbehind is not supported), ${tail}`,
      `sources[0].cluster_include: "(?=x)" is not a regular expression RE2 accepts (lookahead is not supported), ${tail}`,
    ]);
  });
});

describe('durations in the config', () => {
  test('every duration key has a maximum, named in one line', () => {
    const lines = problems({
      fileText: [
        'refresh_interval: 600h',
        'sources:',
        `  - { region: us-east-1, events: { ${QUEUE}, reconcile_interval: 25h, wait_time: 21s, publish_delay: 1001ms } }`,
      ].join('\n'),
    });
    assert.deepEqual(lines.sort(), [
      'refresh_interval: "600h" is too long, expected at most 24h',
      'sources[0].events.publish_delay: "1001ms" is too long, expected at most 1s',
      'sources[0].events.reconcile_interval: "25h" is too long, expected at most 24h',
      'sources[0].events.wait_time: "21s" is too long, expected at most 20s',
    ]);
  });

  test('numbers too large for a timer or for a double are too long, never wrapped to a short delay', () => {
    const cases: [string, string][] = [
      ['99999999999999999999h', '"99999999999999999999h" is too long, expected at most 24h'],
      [
        '9999999999999999999999999999999999s',
        '"9999999999999999999999999999999999s" is too long, expected at most 24h',
      ],
      [`${'9'.repeat(400)}ms`, `"${'9'.repeat(400)}ms" is too long, expected at most 24h`],
      ['"596h31m24s"', '"596h31m24s" is too long, expected at most 24h'],
      ['100000', '100000 is too long, expected at most 24h'],
      ['1e400', 'Infinity is too long, expected at most 24h'],
    ];
    for (const [yaml, message] of cases) {
      assert.deepEqual(
        problems({ fileText: `refresh_interval: ${yaml}` }),
        [`refresh_interval: ${message}`],
        yaml,
      );
    }
  });

  test('the bounds themselves are accepted', () => {
    assert.equal(loadConfig({ fileText: 'refresh_interval: 24h' }).refreshIntervalMs, 86_400_000);
    assert.equal(loadConfig({ fileText: 'refresh_interval: 86400' }).refreshIntervalMs, 86_400_000);
    assert.equal(loadConfig({ fileText: 'refresh_interval: 1s' }).refreshIntervalMs, 1000);
    const events = loadConfig({
      fileText: `sources: [{ region: us-east-1, events: { ${QUEUE}, reconcile_interval: 24h, wait_time: 1s, publish_delay: 1s } }]`,
    }).sources[0]!.events!;
    assert.deepEqual(
      [events.reconcileIntervalMs, events.waitTimeSeconds, events.publishDelayMs],
      [86_400_000, 1, 1000],
    );
  });

  test('flags and environment variables are bounded as the file is', () => {
    assert.deepEqual(
      problems({ overrides: [{ path: ['refresh_interval'], value: '600h', origin: '--refresh-interval' }] }),
      ['--refresh-interval (refresh_interval): "600h" is too long, expected at most 24h'],
    );
    assert.deepEqual(
      problems({ overrides: [{ path: ['refresh_interval'], value: '2592000', origin: '--interval' }] }),
      ['--interval (refresh_interval): "2592000" is too long, expected at most 24h'],
    );
  });

  test('no bound is above the longest delay Node timers keep', () => {
    assert.equal(MAX_TIMER_MS, 2_147_483_647);
    assert.equal(durationProblem('596h31m23s647ms', { max: Number.POSITIVE_INFINITY }), undefined);
    assert.equal(
      durationProblem('596h31m23s648ms', { max: Number.POSITIVE_INFINITY }),
      '"596h31m23s648ms" is too long, expected at most 596h31m23s647ms',
    );
    assert.equal(parseDuration('99999999999999999999h')! > MAX_TIMER_MS, true);
  });

  test('a rate budget refill too slow for a timer is refused', () => {
    assert.deepEqual(problems({ fileText: 'rate_budget: { sts: { refill_per_second: 0.0000001 } }' }), [
      'rate_budget.sts.refill_per_second: got 1e-7, expected at least 0.001 (a token every 1000 s at most)',
    ]);
  });
});

describe('web.listen_address', () => {
  test('a port out of range is a config error naming the key, the value and the range', () => {
    assert.deepEqual(problems({ fileText: 'web: { listen_address: ":99999" }' }), [
      'web.listen_address: ":99999" has port 99999, expected 1-65535 (or 0 for any free port)',
    ]);
    assert.deepEqual(
      problems({
        overrides: [
          { path: ['web', 'listen_address'], value: '[::1]:70000', origin: '--web.listen-address' },
        ],
      }),
      [
        '--web.listen-address (web.listen_address): "[::1]:70000" has port 70000, expected 1-65535 (or 0 for any free port)',
      ],
    );
  });

  test('port 0 (any free port, as tests use), IPv6 literals and host names are accepted', () => {
    for (const address of ['127.0.0.1:0', '[::1]:9888', 'localhost:9888', ':9888']) {
      assert.equal(
        loadConfig({ fileText: `web: { listen_address: "${address}" }` }).web.listenAddress,
        address,
      );
    }
  });
});

test('a bad regex, a too long duration and a bad port are reported together', () => {
  const lines = problems({
    fileText: [
      'refresh_interval: 600h',
      'sources: [{ region: us-east-1, cluster_include: "(?=x)" }]',
      'web: { listen_address: ":99999" }',
    ].join('\n'),
  });
  assert.deepEqual(lines.sort(), [
    'refresh_interval: "600h" is too long, expected at most 24h',
    'sources[0].cluster_include: "(?=x)" is not a regular expression RE2 accepts (lookahead is not supported), expected RE2 syntax as in Prometheus',
    'web.listen_address: ":99999" has port 99999, expected 1-65535 (or 0 for any free port)',
  ]);
});
