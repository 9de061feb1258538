import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { needsServices } from '../../src/config/types.ts';
import { ConfigError } from '../../src/errors.ts';

function problems(input: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail('expected the config to be rejected');
}

describe('loadConfig', () => {
  test('an empty config gives documented defaults and one default source', () => {
    const config = loadConfig();
    assert.equal(config.refreshIntervalMs, 60_000);
    assert.deepEqual(config.sources, [{ name: 'default' }]);
    assert.equal(config.web.listenAddress, ':9888');
    assert.deepEqual(config.log, { level: 'info', format: 'logfmt' });
    assert.deepEqual(config.output, { format: 'json' });
    assert.deepEqual(config.discovery.conventions, {
      prometheusEcsSd: true,
      prometheusEcsDiscovery: true,
      ecsSdLabels: true,
      rules: true,
    });
    assert.equal(config.discovery.defaultInterval, '1m');
    assert.equal(config.discovery.defaultPath, '/metrics');
    assert.equal(config.discovery.dockerLabelAllowlist, null);
    assert.equal(needsServices(config), false);
  });

  test('the config is frozen all the way down', () => {
    const config = loadConfig({ fileText: 'sources: [{ region: eu-west-1, clusters: [a] }]' });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.sources));
    assert.ok(Object.isFrozen(config.sources[0]!.clusters));
    assert.throws(() => {
      (config.log as { level: string }).level = 'debug';
    }, TypeError);
  });

  test('reports every problem at once, one line per problem naming key, value and expectation', () => {
    const lines = problems({
      fileName: 'bad.yaml',
      fileText: [
        'refresh_interval: 10x',
        'sourcez: []',
        'sources:',
        '  - region: US',
        '    external_id: abc',
        '    color: red',
        'discovery:',
        '  default_interval: 2m',
        '  docker_label_allowlist: "(["',
        'log: { level: verbose }',
        'output: { format: xml }',
      ].join('\n'),
    });
    assert.deepEqual(lines.sort(), [
      'discovery.default_interval: got "2m", expected one of "15s", "30s", "1m", "5m"',
      'discovery.docker_label_allowlist: "([" is not a regular expression RE2 accepts (missing closing ] in "["), expected RE2 syntax as in Prometheus',
      'log.level: got "verbose", expected one of "debug", "info", "warn", "error"',
      'output.format: got "xml", expected one of "json", "yaml"',
      'refresh_interval: "10x" is not a duration, expected e.g. 30s, 1m, 1h30m or a number of seconds',
      'sources[0].color: unknown key, expected one of name, region, role_arn, external_id, endpoint, clusters, cluster_include, cluster_exclude, events',
      'sources[0].external_id: external_id is set without role_arn, expected role_arn too',
      'sources[0].region: got "US", expected an AWS Region such as us-east-1',
      'sourcez: unknown key, expected one of refresh_interval, sources, discovery, labels, output, web, log, rate_budget, timeouts, ha, pools',
    ]);
  });

  test('cross-field rules: external_id needs role_arn, source names are unique, a rule needs a matcher', () => {
    const lines = problems({
      fileText: [
        'sources:',
        '  - { region: eu-west-1, external_id: abc }',
        '  - { region: eu-west-1 }',
        'discovery:',
        '  rules: [{ name: everything, ports: [9100] }]',
      ].join('\n'),
    });
    assert.deepEqual(lines.sort(), [
      'discovery.rules[0]: rule "everything" has no matcher, expected at least one of cluster, service, family, task_definition_arn, container, docker_label',
      'sources[0].external_id: external_id is set without role_arn, expected role_arn too',
      'sources[1].name: source name "eu-west-1" is also used by sources[0], expected unique names (set name:)',
    ]);
  });

  test('rejects YAML syntax errors with their line', () => {
    const lines = problems({ fileName: 'x.yaml', fileText: 'log:\n  level: [info\n' });
    assert.equal(lines.length >= 1, true);
    assert.match(lines[0]!, /^x\.yaml: invalid YAML at line \d+ column \d+: /);
  });

  test('rejects a document that is not a mapping', () => {
    assert.deepEqual(problems({ fileText: '- a\n- b\n' }), [
      '(root): got ["a","b"], expected a mapping of config keys',
    ]);
  });

  test('flag and environment overrides win over the file and are named in problems', () => {
    const config = loadConfig({
      fileText: 'log: { level: warn }\nrefresh_interval: 2m',
      overrides: [{ path: ['log', 'level'], value: 'debug', origin: '--log.level' }],
    });
    assert.equal(config.log.level, 'debug');
    assert.equal(config.refreshIntervalMs, 120_000);
    assert.deepEqual(
      problems({ overrides: [{ path: ['log', 'format'], value: 'xml', origin: 'ECS_SD_LOG_FORMAT' }] }),
      ['ECS_SD_LOG_FORMAT (log.format): got "xml", expected one of "logfmt", "json"'],
    );
  });

  test('--aws.* flags build the default source, and conflict with sources in the file', () => {
    const config = loadConfig({
      sourceOverrides: [
        { path: ['region'], value: 'eu-central-1', origin: '--aws.region' },
        { path: ['clusters'], value: ['a', 'b'], origin: '--aws.clusters' },
        { path: ['endpoint'], value: 'http://127.0.0.1:4566', origin: '--aws.endpoint' },
      ],
    });
    assert.deepEqual(config.sources, [
      {
        name: 'eu-central-1',
        region: 'eu-central-1',
        endpoint: 'http://127.0.0.1:4566',
        clusters: ['a', 'b'],
      },
    ]);
    assert.deepEqual(
      problems({
        fileText: 'sources: [{ region: eu-west-1 }]',
        sourceOverrides: [{ path: ['region'], value: 'eu-central-1', origin: '--aws.region' }],
      }),
      ['--aws.region: applies only when the config file has no sources, expected it in sources[] instead'],
    );
  });

  test('AWS_DEFAULT_REGION fills sources without a region', () => {
    const config = loadConfig({
      defaultRegion: 'ap-south-1',
      fileText: 'sources: [{ name: a }, { name: b, region: eu-west-1 }]',
    });
    assert.deepEqual(
      config.sources.map((source) => source.region),
      ['ap-south-1', 'eu-west-1'],
    );
  });

  test('regexes are compiled once and anchored', () => {
    const config = loadConfig({
      fileText: [
        'sources: [{ region: eu-west-1, cluster_include: "prod-.*", cluster_exclude: ".*-batch" }]',
        'labels: { service_details: false }',
        'discovery:',
        '  docker_label_allowlist: "team|app"',
        '  default_path: /m',
        '  rules:',
        '    - { name: r, service: "api", docker_label: { name: scrape, value: "yes" }, ports: [9100] }',
      ].join('\n'),
    });
    const source = config.sources[0]!;
    assert.equal(source.clusterInclude?.test('prod-eu'), true);
    assert.equal(source.clusterInclude?.test('preprod-eu'), false);
    assert.equal(source.clusterExclude?.test('prod-batch'), true);
    const allow = config.discovery.dockerLabelAllowlist!;
    assert.equal(allow.test('team'), true);
    assert.equal(allow.test('teams'), false);
    const rule = config.discovery.rules[0]!;
    assert.equal(rule.service?.test('api'), true);
    assert.equal(rule.service?.test('api2'), false);
    assert.equal(rule.dockerLabel?.name, 'scrape');
    assert.equal(rule.dockerLabel?.value?.test('yes'), true);
    assert.equal(rule.path, '/m', 'a rule without path takes discovery.default_path');
    assert.equal(rule.scheme, 'http');
    assert.equal(needsServices(config), true, 'a service matcher needs services read');
  });

  test('a single output file must carry the extension of its format', () => {
    assert.deepEqual(problems({ fileText: 'output: { file: /tmp/targets.json, format: yaml }' }), [
      'output.file: file_sd file "/tmp/targets.json" does not end in .yml or .yaml, expected for format yaml',
    ]);
    assert.equal(
      loadConfig({ fileText: 'output: { file: /tmp/t.yml, format: yaml }' }).output.file,
      '/tmp/t.yml',
    );
  });

  test('refresh_interval accepts Prometheus durations and bare seconds, at least 1s', () => {
    assert.equal(loadConfig({ fileText: 'refresh_interval: 1m30s' }).refreshIntervalMs, 90_000);
    assert.equal(loadConfig({ fileText: 'refresh_interval: 45' }).refreshIntervalMs, 45_000);
    assert.deepEqual(problems({ fileText: 'refresh_interval: 500ms' }), [
      'refresh_interval: "500ms" is too short, expected at least 1s',
    ]);
  });
});

describe('sources[].events', () => {
  test('the queue Region is the SQS client Region; counts are checked every minute and each cluster swept every 6h', () => {
    const config = loadConfig({
      fileText: [
        'sources:',
        '  - region: us-east-1',
        '    events: { queue_url: "https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-events" }',
      ].join('\n'),
    });
    assert.deepEqual(config.sources[0]?.events, {
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-events',
      region: 'eu-west-1',
      reconcileIntervalMs: 6 * 3_600_000,
      consistencyCheckIntervalMs: 60_000,
      pendingRecheckAfterMs: 90_000,
      waitTimeSeconds: 20,
      unhealthyAfter: 3,
      publishDelayMs: 100,
      describeNewTasks: false,
    });
  });

  test('a queue URL without a Region (an endpoint such as ecs-sim) takes the source Region', () => {
    const config = loadConfig({
      fileText: [
        'sources:',
        '  - region: us-east-2',
        '    events: { queue_url: "http://127.0.0.1:4566/123456789012/q", reconcile_interval: 5m }',
      ].join('\n'),
    });
    assert.deepEqual(config.sources[0]?.events, {
      queueUrl: 'http://127.0.0.1:4566/123456789012/q',
      region: 'us-east-2',
      reconcileIntervalMs: 300_000,
      consistencyCheckIntervalMs: 60_000,
      pendingRecheckAfterMs: 90_000,
      waitTimeSeconds: 20,
      unhealthyAfter: 3,
      publishDelayMs: 100,
      describeNewTasks: false,
    });
  });

  test('full_sweep_interval (reconcile_interval is its older name) and consistency_check_interval', () => {
    const events = (keys: string) =>
      loadConfig({
        fileText: [
          'sources:',
          `  - events: { queue_url: "http://127.0.0.1:4566/123456789012/q", ${keys} }`,
        ].join('\n'),
      }).sources[0]?.events;
    assert.equal(events('full_sweep_interval: 2h')?.reconcileIntervalMs, 7_200_000);
    assert.equal(events('pending_recheck_after: 2m')?.pendingRecheckAfterMs, 120_000);
    assert.equal(events('full_sweep_interval: 2h, reconcile_interval: 5m')?.reconcileIntervalMs, 7_200_000);
    assert.equal(events('consistency_check_interval: 30s')?.consistencyCheckIntervalMs, 30_000);
    const lines = problems({
      fileText: [
        'sources:',
        '  - events: { queue_url: "http://127.0.0.1:4566/123456789012/q", consistency_check_interval: 500ms, full_sweep_interval: 25h }',
      ].join('\n'),
    });
    assert.deepEqual(lines.sort(), [
      'sources[0].events.consistency_check_interval: "500ms" is too short, expected at least 1s',
      'sources[0].events.full_sweep_interval: "25h" is too long, expected at most 24h',
    ]);
  });

  test('rejects a bad queue URL, a too short reconcile_interval and unknown keys', () => {
    const lines = problems({
      fileText: [
        'sources:',
        '  - events: { queue_url: "https://sqs.us-east-1.amazonaws.com/12/q" }',
        '  - name: b',
        '    events: { queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q", reconcile_interval: 0s }',
        '  - name: c',
        '    events: { queue: x }',
      ].join('\n'),
    });
    assert.deepEqual(lines.sort(), [
      'sources[0].events.queue_url: "https://sqs.us-east-1.amazonaws.com/12/q" has account id "12", expected 12 digits',
      'sources[1].events.reconcile_interval: "0s" is too short, expected at least 1s',
      'sources[2].events.queue: unknown key, expected one of queue_url, consistency_check_interval, pending_recheck_after, full_sweep_interval, reconcile_interval, wait_time, unhealthy_after, publish_delay, describe_new_tasks',
      'sources[2].events.queue_url: missing, expected a string',
    ]);
  });

  test('takes the long poll, the failures before falling back, the publish delay and describe_new_tasks', () => {
    const config = loadConfig({
      fileText: [
        'sources:',
        '  - region: us-east-1',
        '    events:',
        '      queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q"',
        '      wait_time: 5s',
        '      unhealthy_after: 1',
        '      publish_delay: 250ms',
        '      describe_new_tasks: true',
      ].join('\n'),
    });
    const events = config.sources[0]?.events;
    assert.deepEqual(
      [events?.waitTimeSeconds, events?.unhealthyAfter, events?.publishDelayMs, events?.describeNewTasks],
      [5, 1, 250, true],
    );
  });

  test('rejects a long poll SQS does not accept, a publish delay over 1s and a zero failure count', () => {
    const queue = 'queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q"';
    const lines = problems({
      fileText: [
        'sources:',
        `  - events: { ${queue}, wait_time: 30s, unhealthy_after: 0 }`,
        '  - name: b',
        `    events: { ${queue}, wait_time: 1500ms, publish_delay: 2s, describe_new_tasks: "yes" }`,
      ].join('\n'),
    });
    assert.deepEqual(lines.sort(), [
      'sources[0].events.unhealthy_after: got 0, expected at least 1',
      'sources[0].events.wait_time: "30s" is too long, expected at most 20s',
      'sources[1].events.describe_new_tasks: got "yes", expected true or false',
      'sources[1].events.publish_delay: "2s" is too long, expected at most 1s',
      'sources[1].events.wait_time: "1500ms" is not whole seconds, expected whole seconds from 1s to 20s',
    ]);
  });
});

test('output.meta_labels: all by default (nothing passed to discovery), minimal or none, anything else one problem line', () => {
  assert.equal(loadConfig().discovery.metaLabels, undefined);
  assert.equal(loadConfig({ fileText: 'output: { meta_labels: minimal }' }).discovery.metaLabels, 'minimal');
  assert.equal(loadConfig({ fileText: 'output: { meta_labels: none }' }).discovery.metaLabels, 'none');
  assert.deepEqual(problems({ fileText: 'output: { meta_labels: some }' }), [
    'output.meta_labels: got "some", expected one of "all", "minimal", "none"',
  ]);
});
