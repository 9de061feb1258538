import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fleet, rule, taskArn } from './fixtures.ts';
import { decisionOf, targetsOf, visible } from './helpers.ts';

describe('prometheus-ecs-sd environment convention', () => {
  it('writes the labels prometheus-ecs-sd writes on EC2 bridge, with the first binding as port', () => {
    const [t, ...rest] = targetsOf({
      id: 'task1',
      family: 'billing',
      revision: 42,
      containers: [{ name: 'app', env: { PROMETHEUS: 'true' }, ports: [8080] }],
    });
    assert.equal(rest.length, 0);
    assert.equal(t!.address, '10.0.1.10:32768');
    assert.equal(t!.convention, 'prometheus-ecs-sd');
    assert.equal(t!.interval, '1m');
    assert.deepEqual(visible(t!), {
      job: 'billing',
      metrics_path: '/metrics',
      instance: '10.0.1.10:32768',
      ecs_task_id: 'task1',
      ecs_task_version: '42',
      ecs_cluster: 'prod',
      ecs_container_id: 'c0-uuid',
      instance_id: 'i-0123456789abcdef0',
    });
    assert.equal(t!.labels['__metrics_path__'], '/metrics');
    assert.equal(t!.labels['__scheme__'], undefined);
    assert.equal(t!.labels['__scrape_interval__'], undefined);
  });

  it('omits ecs_container_id and instance_id on Fargate', () => {
    const [t] = targetsOf({
      id: 'f1',
      launchType: 'FARGATE',
      containers: [{ name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' } }],
    });
    assert.deepEqual(visible(t!), {
      job: 'api',
      metrics_path: '/metrics',
      instance: '10.0.2.20:9100',
      ecs_task_id: 'f1',
      ecs_task_version: '7',
      ecs_cluster: 'prod',
    });
  });

  it('makes one target per PROMETHEUS_ENDPOINT entry, in the interval bucket it names', () => {
    const targets = targetsOf({
      id: 't',
      launchType: 'FARGATE',
      containers: [
        {
          name: 'app',
          env: {
            PROMETHEUS: 'true',
            PROMETHEUS_PORT: '9100',
            PROMETHEUS_ENDPOINT: '5m:/slow,30s:/fast,/plain',
          },
        },
      ],
    });
    const byPath = Object.fromEntries(targets.map((t) => [t.labels['__metrics_path__'], t]));
    assert.deepEqual(Object.keys(byPath).sort(), ['/fast', '/plain', '/slow']);
    assert.equal(byPath['/slow']!.interval, '5m');
    assert.equal(byPath['/slow']!.labels['__scrape_interval__'], '5m');
    assert.equal(byPath['/fast']!.interval, '30s');
    assert.equal(byPath['/plain']!.interval, '1m');
    assert.equal(byPath['/plain']!.labels['__scrape_interval__'], undefined);
    assert.equal(byPath['/fast']!.labels['metrics_path'], '/fast');
  });

  it('keeps the last interval of a repeated PROMETHEUS_ENDPOINT path, as the tool does', () => {
    const targets = targetsOf({
      id: 't',
      launchType: 'FARGATE',
      containers: [{ name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_ENDPOINT: '15s:/m,5m:/m' } }],
    });
    assert.equal(targets.length, 1);
    assert.equal(targets[0]!.interval, '5m');
  });

  it('uses the bridge binding of PROMETHEUS_CONTAINER_PORT', () => {
    const [t] = targetsOf({
      id: 't',
      containers: [
        { name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_CONTAINER_PORT: '9100' }, ports: [8080, 9100] },
      ],
    });
    assert.equal(t!.address, '10.0.1.10:32769');
  });

  it('dials PROMETHEUS_PORT as a host port in bridge mode', () => {
    const [t] = targetsOf({
      id: 't',
      containers: [
        { name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '19100' }, staticPorts: [[9100, 19100]] },
      ],
    });
    assert.equal(t!.address, '10.0.1.10:19100');
    assert.equal(t!.labels['__meta_ecs_container_port'], '9100');
  });

  it('maps a PROMETHEUS_PORT that is a dynamically mapped container port to its host port (deviation)', () => {
    const [t] = targetsOf({
      id: 't',
      containers: [{ name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' }, ports: [9100] }],
    });
    assert.equal(t!.address, '10.0.1.10:32768');
  });

  it('takes the first port mapping in awsvpc and port 80 when there is none, as the tool does', () => {
    const mapped = targetsOf({
      id: 't1',
      launchType: 'FARGATE',
      containers: [{ name: 'app', env: { PROMETHEUS: 'true' }, ports: [8080, 9100] }],
    });
    assert.equal(mapped[0]!.address, '10.0.2.20:8080');
    const unmapped = targetsOf({
      id: 't2',
      launchType: 'FARGATE',
      containers: [{ name: 'app', env: { PROMETHEUS: 'true' } }],
    });
    assert.equal(unmapped[0]!.address, '10.0.2.20:80');
  });

  it('drops the ECS labels with PROMETHEUS_NOLABELS=true and sets instance to the family', () => {
    const [t] = targetsOf({
      id: 't',
      family: 'pushgateway',
      containers: [{ name: 'pgw', env: { PROMETHEUS: 'true', PROMETHEUS_NOLABELS: 'true' }, ports: [9091] }],
    });
    assert.deepEqual(visible(t!), { job: 'pushgateway', metrics_path: '/metrics', instance: 'pushgateway' });
    assert.equal(t!.labels['__meta_ecs_task_id'], 't', 'meta labels stay for relabelling');
  });

  it('treats PROMETHEUS=false as not opted in', () => {
    const d = decisionOf({
      id: 't',
      containers: [{ name: 'app', env: { PROMETHEUS: 'false' }, ports: [9100] }],
    });
    assert.deepEqual(d.skip, { reason: 'no-container-opted-in', message: 'no container opted in' });
    assert.deepEqual(d.containers[0]!.notes, ['PROMETHEUS="false": not opted in']);
  });

  it('reads the environment overrides of the task over the task definition', () => {
    const on = targetsOf({
      id: 't1',
      launchType: 'FARGATE',
      containers: [{ name: 'app', env: { PROMETHEUS_PORT: '9100' } }],
      envOverrides: { app: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9200' } },
    });
    assert.deepEqual(
      on.map((t) => t.address),
      ['10.0.2.20:9200'],
    );
    const off = decisionOf({
      id: 't2',
      launchType: 'FARGATE',
      containers: [{ name: 'app', env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' } }],
      envOverrides: { app: { PROMETHEUS: 'false' } },
    });
    assert.equal(off.skip?.reason, 'no-container-opted-in');
  });
});

describe('prometheus-ecs-discovery docker labels', () => {
  it('scrapes PROMETHEUS_EXPORTER_PORT as a container port with path, scheme and job', () => {
    const [t] = targetsOf({
      id: 'tx',
      family: 'web',
      revision: 3,
      containers: [
        {
          name: 'nginx',
          image: 'nginx:1.27',
          ports: [80, 9113],
          labels: {
            PROMETHEUS_EXPORTER_PORT: '9113',
            PROMETHEUS_EXPORTER_PATH: '/stats',
            PROMETHEUS_EXPORTER_SCHEME: 'https',
            PROMETHEUS_EXPORTER_JOB_NAME: 'nginx',
          },
        },
      ],
    });
    assert.equal(t!.address, '10.0.1.10:32769');
    assert.equal(t!.job, 'nginx');
    assert.equal(t!.convention, 'prometheus-ecs-discovery');
    assert.equal(t!.labels['__metrics_path__'], '/stats');
    assert.equal(t!.labels['__scheme__'], 'https');
    assert.deepEqual(visible(t!), {
      job: 'nginx',
      task_arn: taskArn('tx'),
      task_name: 'web',
      task_revision: '3',
      task_group: 'service:web',
      cluster_arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
      container_name: 'nginx',
      container_arn: 'arn:aws:ecs:eu-west-1:123456789012:container/prod/tx/c0-uuid',
      docker_image: 'nginx:1.27',
      ecs_task_id: 'tx',
      ecs_task_version: '3',
      ecs_cluster: 'prod',
      ecs_container_id: 'c0-uuid',
      instance_id: 'i-0123456789abcdef0',
    });
  });

  it('uses PROMETHEUS_EXPORTER_SERVER_NAME as the host of the address', () => {
    const [t] = targetsOf({
      id: 't',
      launchType: 'FARGATE',
      containers: [
        {
          name: 'app',
          labels: {
            PROMETHEUS_EXPORTER_PORT: '9100',
            PROMETHEUS_EXPORTER_SERVER_NAME: 'metrics.example.com/',
          },
        },
      ],
    });
    assert.equal(t!.address, 'metrics.example.com:9100');
    assert.equal(t!.job, 'api', 'job defaults to the family');
  });
});

describe('ecs-sd docker labels', () => {
  it('declares several endpoints with their own port, path, scheme, interval, timeout, job and labels', () => {
    const targets = targetsOf({
      id: 't',
      launchType: 'FARGATE',
      containers: [
        {
          name: 'app',
          labels: {
            'ecs-sd.scrape': 'true',
            'ecs-sd.label.team': 'payments',
            'ecs-sd.scheme': 'https',
            'ecs-sd.endpoints.app.port': '8080',
            'ecs-sd.endpoints.app.path': '/actuator/prometheus',
            'ecs-sd.endpoints.app.interval': '15s',
            'ecs-sd.endpoints.app.timeout': '5s',
            'ecs-sd.endpoints.jvm.port': '9404',
            'ecs-sd.endpoints.jvm.scheme': 'http',
            'ecs-sd.endpoints.jvm.job': 'jvm',
            'ecs-sd.endpoints.jvm.interval': '45s',
            'ecs-sd.endpoints.jvm.label.team': 'platform',
            'ecs-sd.endpoints.jvm.label.tier': 'backend',
          },
        },
      ],
    });
    assert.equal(targets.length, 2);
    const [app, jvm] = targets;
    assert.equal(app!.address, '10.0.2.20:8080');
    assert.equal(app!.job, 'api');
    assert.equal(app!.interval, '15s');
    assert.equal(app!.labels['__scheme__'], 'https');
    assert.equal(app!.labels['__metrics_path__'], '/actuator/prometheus');
    assert.equal(app!.labels['__scrape_interval__'], '15s');
    assert.equal(app!.labels['__scrape_timeout__'], '5s');
    assert.equal(app!.labels['__meta_ecs_endpoint'], 'app');
    assert.deepEqual(visible(app!), {
      job: 'api',
      team: 'payments',
      ecs_task_id: 't',
      ecs_task_version: '7',
      ecs_cluster: 'prod',
      ecs_container: 'app',
    });
    assert.equal(jvm!.address, '10.0.2.20:9404');
    assert.equal(jvm!.job, 'jvm');
    assert.equal(jvm!.interval, '30s', '45s lands in the longest bucket not longer than it');
    assert.equal(jvm!.labels['__scrape_interval__'], '45s');
    assert.equal(jvm!.labels['__scheme__'], 'http');
    assert.equal(jvm!.labels['team'], 'platform');
    assert.equal(jvm!.labels['tier'], 'backend');
  });

  it('takes the only port mapping when ecs-sd.port is not set', () => {
    const [t] = targetsOf({
      id: 't',
      containers: [{ name: 'app', labels: { 'ecs-sd.scrape': 'true' }, ports: [9100] }],
    });
    assert.equal(t!.address, '10.0.1.10:32768');
    assert.equal(t!.labels['__meta_ecs_container_port'], '9100');
  });

  it('sets a scrape timeout equal to an interval shorter than the 15s bucket', () => {
    const [t] = targetsOf({
      id: 't',
      launchType: 'FARGATE',
      containers: [
        { name: 'app', labels: { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.interval': '5s' } },
      ],
    });
    assert.equal(t!.interval, '15s');
    assert.equal(t!.labels['__scrape_interval__'], '5s');
    assert.equal(t!.labels['__scrape_timeout__'], '5s');
  });

  it('ignores ecs-sd labels without ecs-sd.scrape=true and says so', () => {
    const none = decisionOf({
      id: 't1',
      containers: [{ name: 'app', labels: { 'ecs-sd.port': '9100' }, ports: [9100] }],
    });
    assert.equal(none.skip?.reason, 'no-container-opted-in');
    assert.deepEqual(none.containers[0]!.notes, [
      'ecs-sd.* labels are present but ecs-sd.scrape is not set: not opted in',
    ]);
    const off = decisionOf({
      id: 't2',
      containers: [
        { name: 'app', labels: { 'ecs-sd.scrape': 'false', 'ecs-sd.port': '9100' }, ports: [9100] },
      ],
    });
    assert.deepEqual(off.containers[0]!.notes, ['ecs-sd.scrape="false": not opted in']);
  });

  it('notes unknown ecs-sd labels instead of failing', () => {
    const d = decisionOf({
      id: 't',
      containers: [
        { name: 'app', labels: { 'ecs-sd.scrape': 'true', 'ecs-sd.prot': '9100' }, ports: [9100] },
      ],
    });
    assert.equal(d.containers[0]!.targets.length, 1);
    assert.deepEqual(d.containers[0]!.notes, ['unknown docker label ecs-sd.prot ignored']);
  });
});

describe('config rules', () => {
  const spec = {
    id: 'r1',
    family: 'orders',
    containers: [
      { name: 'app', ports: [8080, 9100], labels: { team: 'orders' } },
      { name: 'envoy', ports: [9901] },
    ],
  };

  it('matches on family and scrapes only containers that map the port', () => {
    const targets = targetsOf(spec, {
      rules: [
        rule({
          name: 'jvm',
          family: /^orders$/,
          ports: [9100],
          job: 'orders-jvm',
          interval: '30s',
          labels: { env: 'prod' },
        }),
      ],
    });
    assert.equal(targets.length, 1);
    const t = targets[0]!;
    assert.equal(t.address, '10.0.1.10:32769');
    assert.equal(t.job, 'orders-jvm');
    assert.equal(t.interval, '30s');
    assert.equal(t.convention, 'rule');
    assert.equal(t.labels['env'], 'prod');
    assert.equal(t.labels['__meta_ecs_rule'], 'jvm');
    assert.equal(t.labels['__scheme__'], 'http');
  });

  it('matches on container name, docker label, cluster, service and task definition ARN', () => {
    const cases: [string, Parameters<typeof rule>[0], number][] = [
      ['container regex', { name: 'x', container: /^envoy$/, ports: [9901] }, 1],
      [
        'docker label with value',
        { name: 'x', dockerLabel: { name: 'team', value: /^ord.*$/ }, ports: [9100] },
        1,
      ],
      [
        'docker label wrong value',
        { name: 'x', dockerLabel: { name: 'team', value: /^billing$/ }, ports: [9100] },
        0,
      ],
      ['cluster', { name: 'x', cluster: /^prod$/, ports: [9100, 9901] }, 2],
      ['other cluster', { name: 'x', cluster: /^staging$/, ports: [9100] }, 0],
      ['service', { name: 'x', service: /^orders$/, ports: [9100] }, 1],
      [
        'task definition ARN',
        { name: 'x', taskDefinitionArn: /.*:task-definition\/orders:7$/, ports: [9100] },
        1,
      ],
    ];
    for (const [name, r, count] of cases) {
      assert.equal(targetsOf(spec, { rules: [rule(r)] }).length, count, name);
    }
  });

  it('works with frozen rules and global regexes, call after call', () => {
    const frozen = Object.freeze(rule({ name: 'x', container: /^app$/g, ports: [9100] }));
    for (let i = 0; i < 3; i++) assert.equal(targetsOf(spec, { rules: [frozen] }).length, 1, `call ${i}`);
  });

  it('never matches a service rule on a standalone task', () => {
    const targets = targetsOf(
      { ...spec, group: 'family:orders' },
      { rules: [rule({ name: 'x', service: /.*/, ports: [9100] })] },
    );
    assert.equal(targets.length, 0);
  });

  it('does nothing when rules are switched off', () => {
    const d = decisionOf(spec, {
      rules: [rule({ name: 'x', ports: [9100] })],
      conventions: { prometheusEcsSd: true, prometheusEcsDiscovery: true, ecsSdLabels: true, rules: false },
    });
    assert.equal(d.skip?.reason, 'no-container-opted-in');
  });
});

describe('fixtures', () => {
  it('refuse two different task definitions under one ARN', () => {
    assert.throws(
      () =>
        fleet([
          { id: 'a', containers: [{ name: 'x' }] },
          { id: 'b', containers: [{ name: 'y' }] },
        ]),
      /define .*api:7 differently/,
    );
  });
});
