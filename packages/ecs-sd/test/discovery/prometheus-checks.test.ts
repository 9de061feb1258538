import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverCluster, type Skip, scrapeProblem, type Target } from '../../src/discovery/index.ts';
import { INTERVALS, type Interval } from '../../src/lib/intervals.ts';
import { renderTargetGroups } from '../../src/output/target-groups.ts';
import { fleet, HOSTS, options, type TaskSpec } from './fixtures.ts';
import { keptByPrometheus, promtool } from './promtool.ts';

interface Case {
  name: string;
  address: string;
  labels: Record<string, string>;
  bucket: Interval;
  /** undefined: Prometheus keeps the target. */
  skip?: Skip;
}

const ok = (
  name: string,
  labels: Record<string, string>,
  bucket: Interval = '1m',
  address = '10.0.0.1:9100',
): Case => ({
  name,
  address,
  labels,
  bucket,
});

/** The checks of Prometheus's PopulateLabels, each on both sides of its edge. */
const cases: Case[] = [
  ok('a plain target', {}),
  ok('an IPv6 address', {}, '1m', '[2001:db8::1]:9100'),
  {
    name: 'an address with a scheme',
    address: 'http://metrics.internal:9100',
    labels: {},
    bucket: '1m',
    skip: {
      reason: 'invalid-address',
      message:
        'address "http://metrics.internal:9100" contains "/", expected host:port (prometheus drops an address with a scheme or path)',
    },
  },
  {
    name: 'an address with a path',
    address: '10.0.0.1:9100/metrics',
    labels: {},
    bucket: '1m',
    skip: {
      reason: 'invalid-address',
      message:
        'address "10.0.0.1:9100/metrics" contains "/", expected host:port (prometheus drops an address with a scheme or path)',
    },
  },
  ok('a timeout equal to the bucket interval', { __scrape_timeout__: '1m' }),
  {
    name: 'a timeout above the bucket interval without an interval',
    address: '10.0.0.1:9100',
    labels: { __scrape_timeout__: '90s' },
    bucket: '1m',
    skip: {
      reason: 'invalid-endpoint',
      message:
        '__scrape_timeout__="90s" is longer than the scrape interval 1m of the 1m bucket it lands in (no interval is declared), expected a timeout at most as long as the interval (prometheus drops the target otherwise)',
    },
  },
  ok('a timeout above the bucket interval but within the declared interval', {
    __scrape_interval__: '2m',
    __scrape_timeout__: '90s',
  }),
  {
    name: 'a timeout above the declared interval',
    address: '10.0.0.1:9100',
    labels: { __scrape_interval__: '10s', __scrape_timeout__: '11s' },
    bucket: '15s',
    skip: {
      reason: 'invalid-endpoint',
      message:
        '__scrape_timeout__="11s" is longer than __scrape_interval__="10s", expected a timeout at most as long as the interval (prometheus drops the target otherwise)',
    },
  },
  ok('the longest interval prometheus holds', { __scrape_interval__: '292y' }, '5m'),
  {
    name: 'an interval past int64 nanoseconds',
    address: '10.0.0.1:9100',
    labels: { __scrape_interval__: '293y' },
    bucket: '5m',
    skip: {
      reason: 'invalid-endpoint',
      message: '__scrape_interval__="293y" is out of range (prometheus holds durations up to 292y)',
    },
  },
  {
    name: 'an interval of 300000 years',
    address: '10.0.0.1:9100',
    labels: { __scrape_interval__: '300000y' },
    bucket: '5m',
    skip: {
      reason: 'invalid-endpoint',
      message: '__scrape_interval__="300000y" is out of range (prometheus holds durations up to 292y)',
    },
  },
  {
    name: 'units that add up past int64 nanoseconds',
    address: '10.0.0.1:9100',
    labels: { __scrape_interval__: '292y52w' },
    bucket: '5m',
    skip: {
      reason: 'invalid-endpoint',
      message: '__scrape_interval__="292y52w" is out of range (prometheus holds durations up to 292y)',
    },
  },
  {
    name: 'an interval of zero',
    address: '10.0.0.1:9100',
    labels: { __scrape_interval__: '0s' },
    bucket: '15s',
    skip: {
      reason: 'invalid-endpoint',
      message: '__scrape_interval__="0s" is zero, expected a duration above 0',
    },
  },
  {
    name: 'an interval that is not a duration',
    address: '10.0.0.1:9100',
    labels: { __scrape_interval__: '1.5m' },
    bucket: '1m',
    skip: {
      reason: 'invalid-endpoint',
      message: '__scrape_interval__="1.5m" is not a duration, expected a duration such as 30s or 1m',
    },
  },
  {
    name: 'a timeout of zero',
    address: '10.0.0.1:9100',
    labels: { __scrape_timeout__: '0ms' },
    bucket: '1m',
    skip: {
      reason: 'invalid-endpoint',
      message: '__scrape_timeout__="0ms" is zero, expected a duration above 0',
    },
  },
  ok('leading zeros', { __scrape_interval__: '0000000000000000000030s', __scrape_timeout__: '010s' }, '30s'),
  ok('a compound duration', { __scrape_interval__: '1m30s', __scrape_timeout__: '1m29s999ms' }, '1m'),
];

describe('the checks prometheus makes on a discovered target', () => {
  for (const c of cases) {
    it(`${c.skip === undefined ? 'keeps' : `skips as ${c.skip.reason}`} ${c.name}`, () =>
      assert.deepEqual(scrapeProblem(c.address, c.labels, c.bucket), c.skip));
  }

  it('names the docker label that set the timeout', () => {
    assert.equal(
      scrapeProblem('10.0.0.1:9100', { __scrape_timeout__: '90s' }, '30s', undefined, 'ecs-sd.timeout')
        ?.message,
      'ecs-sd.timeout="90s" is longer than the scrape interval 30s of the 30s bucket it lands in (no interval is declared), expected a timeout at most as long as the interval (prometheus drops the target otherwise)',
    );
  });

  it('skips a target whose host address from AWS contains "/"', () => {
    const snapshot = fleet([
      {
        id: 't',
        networkMode: 'host',
        containers: [{ name: 'app', ports: [9100], env: { PROMETHEUS: 'true' } }],
      },
    ]);
    const host = HOSTS['ci-ec2']!;
    const hosts = new Map(snapshot.hosts);
    hosts.set(host.ec2InstanceId, { ...host, privateIpAddress: '10.0.1.10/24' });
    const d = discoverCluster({ ...snapshot, hosts }, options()).decisions[0]!;
    assert.deepEqual(d.containers[0]!.targets, []);
    assert.deepEqual(d.containers[0]!.skips, [
      {
        reason: 'invalid-address',
        message:
          'address "10.0.1.10/24:9100" contains "/", expected host:port (prometheus drops an address with a scheme or path)',
      },
    ]);
  });

  it('agrees with promtool check service-discovery on every case', { skip: promtool.skip }, async () => {
    const binary = promtool.path;
    const files: Partial<Record<Interval, string>> = {};
    for (const bucket of INTERVALS) {
      const here = cases.filter((c) => c.bucket === bucket);
      // One group per case, told apart by a label, as file_sd would carry them.
      files[bucket] = JSON.stringify(
        here.map((c) => ({ targets: [c.address], labels: { ...c.labels, case: c.name } })),
      );
    }
    const kept = await keptByPrometheus(binary, files);
    const keptNames = new Set(INTERVALS.flatMap((b) => kept[b].map((l) => l['case'])));
    for (const c of cases) {
      assert.equal(
        keptNames.has(c.name),
        c.skip === undefined,
        `promtool ${keptNames.has(c.name) ? 'keeps' : 'drops'} ${c.name}`,
      );
    }
  });
});

describe('every target ecs-sd reports is a target prometheus keeps', () => {
  const hostile = (id: string, labels: Record<string, string>, more: Partial<TaskSpec> = {}): TaskSpec => ({
    id,
    family: id,
    launchType: 'FARGATE',
    containers: [{ name: 'app', labels }],
    ...more,
  });
  const specs: TaskSpec[] = [
    // The three shapes of issue 12, item 10.
    hostile('timeout-no-interval', {
      'ecs-sd.scrape': 'true',
      'ecs-sd.port': '9100',
      'ecs-sd.timeout': '90s',
    }),
    hostile('server-name-url', {
      PROMETHEUS_EXPORTER_PORT: '9100',
      PROMETHEUS_EXPORTER_SERVER_NAME: 'http://metrics.internal',
    }),
    hostile('interval-overflow', {
      'ecs-sd.scrape': 'true',
      'ecs-sd.port': '9100',
      'ecs-sd.interval': '300000y',
    }),
    // Their neighbours that are fine.
    hostile('timeout-with-interval', {
      'ecs-sd.scrape': 'true',
      'ecs-sd.port': '9100',
      'ecs-sd.interval': '2m',
      'ecs-sd.timeout': '90s',
    }),
    hostile('server-name', {
      PROMETHEUS_EXPORTER_PORT: '9100',
      PROMETHEUS_EXPORTER_SERVER_NAME: 'metrics.internal/',
    }),
    hostile('long-interval', { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.interval': '292y' }),
    hostile('short-interval', { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', 'ecs-sd.interval': '5s' }),
    // Values prometheus must read as they are: a lone surrogate arrives as U+FFFD, not as invalid UTF-8.
    hostile('odd-values', {
      'ecs-sd.scrape': 'true',
      'ecs-sd.port': '9100',
      'ecs-sd.label.odd': 'a\ud800b\u0000c"\\',
    }),
    // The output-size shape of item 1.
    hostile('huge', {
      'ecs-sd.scrape': 'true',
      'ecs-sd.label.pad': 'x'.repeat(32_000),
      ...Object.fromEntries(
        Array.from({ length: 800 }, (_, i) => [`ecs-sd.endpoints.e${i}.port`, String(1000 + i)]),
      ),
    }),
    // Ordinary tasks of every convention.
    {
      id: 'bridge',
      family: 'bridge',
      containers: [
        { name: 'app', ports: [9100], env: { PROMETHEUS: 'true', PROMETHEUS_ENDPOINT: '30s:/a,5m:/b' } },
      ],
    },
    {
      id: 'vpc',
      family: 'vpc',
      launchType: 'FARGATE',
      containers: [{ name: 'app', labels: { PROMETHEUS_EXPORTER_PORT: '8080' } }],
    },
  ];

  it('promtool keeps exactly the targets of the decisions, in each bucket', {
    skip: promtool.skip,
  }, async () => {
    const binary = promtool.path;
    const result = discoverCluster(fleet(specs, { clusterTags: { odd: '\ud800' } }), options());
    const decided = (family: string) =>
      result.decisions.find((d) => d.taskId === family)!.containers.flatMap((c) => c.targets).length;
    assert.deepEqual(
      ['timeout-no-interval', 'server-name-url', 'interval-overflow'].map(decided),
      [0, 0, 0],
      'the three targets prometheus drops are skipped',
    );
    assert.deepEqual(
      ['timeout-with-interval', 'server-name', 'long-interval', 'short-interval', 'odd-values', 'huge'].map(
        decided,
      ),
      [1, 1, 1, 1, 1, 32],
    );
    const byBucket = new Map<Interval, Target[]>(INTERVALS.map((b) => [b, []]));
    for (const target of result.targets) byBucket.get(target.interval)!.push(target);
    const files: Partial<Record<Interval, string>> = {};
    for (const [bucket, targets] of byBucket) files[bucket] = renderTargetGroups(targets, 'file');
    const kept = await keptByPrometheus(binary, files);
    for (const bucket of INTERVALS) {
      const ours = byBucket
        .get(bucket)!
        .map((target) => `${target.address}${target.labels['__metrics_path__']}`)
        .sort();
      const theirs = kept[bucket].map((l) => `${l['__address__']}${l['__metrics_path__']}`).sort();
      assert.deepEqual(theirs, ours, `bucket ${bucket}`);
    }
    const odd = kept['1m'].find((l) => l['odd'] !== undefined);
    assert.equal(odd?.['odd'], 'a\ufffdb\u0000c"\\', 'kept, with the lone surrogate as U+FFFD');
  });
});
