/**
 * A hostile cluster: task definitions that are valid to ECS (and so can be registered by any team of a
 * shared account) but built to hurt a discovery daemon, each with what ecs-sd must make of one of its
 * tasks: how many targets, and which skips and bounds, by reason. They are registered and run through
 * the real ECS client against ecs-sim, so the daemon reads them exactly as it would read AWS.
 */
import {
  type ContainerDefinition,
  CreateClusterCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Tag,
  type TaskOverride,
} from '@aws-sdk/client-ecs';
import type { BoundReason, SkipReason } from '../../src/discovery/types.ts';

/**
 * Resident memory the daemon may reach while it discovers the hostile fleet beside ordinary clusters
 * (VmHWM of the `ecs-sd` process). Measured 319–346 MiB (about 225 MiB without the hostile cluster);
 * with the label limits of `src/discovery/limits.ts` lifted the same fleet took 827–953 MiB, and with
 * every limit lifted the daemon was not ready within a minute. Documented in the README's Reliability section.
 */
export const HOSTILE_RSS_BOUND_MIB = 450;

/** The `docker_label_allowlist` of the hostile test: it matches every huge docker label name below. */
export const HOSTILE_ALLOWLIST = 'hostile\\..*';

/** What ecs-sd must make of one task of a shape. */
export interface Expected {
  targets: number;
  /** The reason the task counts under in `ecs_sd_skipped_tasks` (a task skip, or its first container skip when it has no target). */
  skippedTask?: SkipReason;
  /** Skips in `ecs_sd_skipped_containers`, by reason. */
  containerSkips?: Partial<Record<SkipReason, number>>;
  /** Containers in `ecs_sd_bounded_containers`, by reason. */
  bounded?: Partial<Record<BoundReason, number>>;
}

/** One hostile task definition, how many of its tasks run, and what each must give. */
export interface HostileShape {
  family: string;
  /** What it is, for messages. */
  what: string;
  containers: ContainerDefinition[];
  count: number;
  overrides?: TaskOverride;
  tags?: Tag[];
  /** Fields ecs-sim leaves out of DescribeTasks for these tasks (`sim.setTaskChaos`). */
  missing?: string[];
  expect: Expected;
}

type Env = Record<string, string>;

function container(
  name: string,
  options: { env?: Env; labels?: Env; ports?: number[] } = {},
): ContainerDefinition {
  return {
    name,
    image: `example/${name}:1`,
    portMappings: (options.ports ?? [9100]).map((containerPort) => ({ containerPort })),
    environment: Object.entries(options.env ?? {}).map(([n, value]) => ({ name: n, value })),
    dockerLabels: options.labels ?? {},
  };
}

/** ecs-sd labels of one scraped port plus `extra`. */
function scraped(extra: Env = {}): Env {
  return { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', ...extra };
}

function numbered(count: number, name: (i: number) => string, value: (i: number) => string): Env {
  const out: Env = {};
  for (let i = 0; i < count; i++) out[name(i)] = value(i);
  return out;
}

const pad4 = (i: number) => String(i).padStart(4, '0');

/**
 * Paths Prometheus's YAML parser refuses or changes when written raw (issue 12, item 3), and other odd
 * characters: each is one target of the `hostile-odd-paths` task. Two hold lone surrogates, which every
 * output writes as U+FFFD and counts (`ecs_sd_file_invalid_unicode_targets`).
 */
export const ODD_PATHS = [
  '/met\u2028rics',
  '/para\u2029graph',
  '/nel\u0085',
  '/del\u007f',
  '/c1\u0080\u0090\u009f',
  '/nonchar\ufffe',
  '/nonchar\uffff',
  '/bom\ufeff',
  '/lone\ud800',
  '/low\udc00x',
  '/c0\u0001\u0008\u001b\u001f',
  '/tab\tand\rreturn\nnewline',
  '/quote"back\\slash\'apos',
  '/emoji\u{1f4c8}',
  '/astral\u{10ffff}',
  '/yaml #not-a-comment',
  '/- [a] {b} &c *d !e |f >g %h @i `j',
  '/?q=1&r=%2F%00',
  '/true',
  '/~',
] as const;

/** Targets among ODD_PATHS that hold a lone surrogate. */
export const LONE_SURROGATE_PATHS = 2;

/** The shapes of issue 12 and more of the same kind. */
export function hostileShapes(): HostileShape[] {
  return [
    {
      family: 'hostile-blowup',
      what: 'the issue’s task definition: 800 endpoints and a 32,000-character label, run 30 times',
      containers: [
        container('app', {
          labels: {
            'ecs-sd.scrape': 'true',
            'ecs-sd.label.pad': 'x'.repeat(32_000),
            ...numbered(
              800,
              (i) => `ecs-sd.endpoints.e${i}.port`,
              (i) => String(1000 + i),
            ),
          },
        }),
      ],
      count: 30,
      expect: {
        targets: 32,
        containerSkips: { 'too-many-endpoints': 1 },
        bounded: { 'label-too-long': 1 },
      },
    },
    {
      family: 'hostile-odd-paths',
      what: 'PROMETHEUS_ENDPOINT paths with U+2028, NEL, DEL, C1, U+FFFE, lone surrogates and other odd characters',
      containers: [
        container('app', {
          env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100', PROMETHEUS_ENDPOINT: ODD_PATHS.join(',') },
        }),
      ],
      count: 2,
      expect: { targets: ODD_PATHS.length },
    },
    {
      family: 'hostile-timeout',
      what: 'ecs-sd.timeout=90s without an interval (longer than its 1m bucket)',
      containers: [container('app', { labels: scraped({ 'ecs-sd.timeout': '90s' }) })],
      count: 1,
      expect: { targets: 0, skippedTask: 'invalid-endpoint', containerSkips: { 'invalid-endpoint': 1 } },
    },
    {
      family: 'hostile-server-name',
      what: 'PROMETHEUS_EXPORTER_SERVER_NAME=http://metrics.internal',
      containers: [
        container('app', {
          labels: {
            PROMETHEUS_EXPORTER_PORT: '9100',
            PROMETHEUS_EXPORTER_SERVER_NAME: 'http://metrics.internal',
          },
        }),
      ],
      count: 1,
      expect: { targets: 0, skippedTask: 'invalid-address', containerSkips: { 'invalid-address': 1 } },
    },
    {
      family: 'hostile-interval',
      what: 'ecs-sd.interval=300000y (past what Prometheus holds)',
      containers: [container('app', { labels: scraped({ 'ecs-sd.interval': '300000y' }) })],
      count: 1,
      expect: { targets: 0, skippedTask: 'invalid-endpoint', containerSkips: { 'invalid-endpoint': 1 } },
    },
    {
      family: 'hostile-big-docker-labels',
      what: 'an allowlisted docker label with a 5,000-character name and one with a 30,000-character value',
      containers: [
        container('app', {
          labels: scraped({
            [`hostile.${'n'.repeat(5000)}`]: 'v',
            'hostile.value': 'v'.repeat(30_000),
            'hostile.ok': 'kept',
          }),
        }),
      ],
      count: 2,
      expect: { targets: 1, bounded: { 'label-too-long': 1 } },
    },
    {
      family: 'hostile-many-user-labels',
      what: '3,000 ecs-sd.label.* labels',
      containers: [
        container('app', {
          labels: scraped(
            numbered(
              3000,
              (i) => `ecs-sd.label.l${pad4(i)}`,
              () => 'v',
            ),
          ),
        }),
      ],
      count: 1,
      expect: { targets: 1, bounded: { 'too-many-labels': 1 } },
    },
    {
      family: 'hostile-many-docker-labels',
      what: '4,000 allowlisted docker labels of 100 characters',
      containers: [
        container('app', {
          labels: scraped(
            numbered(
              4000,
              (i) => `hostile.l${pad4(i)}`,
              () => 'd'.repeat(100),
            ),
          ),
        }),
      ],
      count: 1,
      expect: { targets: 1, bounded: { 'labels-too-large': 1 } },
    },
    {
      family: 'hostile-odd-env',
      what: 'odd but valid environment values: " TRUE ", " 09100 ", every bucket and odd intervals, empty and repeated entries, an overridden port, a 50,000-character unrelated variable',
      containers: [
        container('app', {
          ports: [9100, 9101],
          env: {
            PROMETHEUS: ' TRUE ',
            PROMETHEUS_PORT: ' 09100 ',
            PROMETHEUS_ENDPOINT: '15s:/a,30s:/b,1m:/c,5m:/d,45s:/e,2m:/f,1h:/g,1m30s:/h,10ms:/i,/j,,  ,/a',
            PROMETHEUS_NOLABELS: 'false',
            SECRET_BLOB: 's'.repeat(50_000),
            'ÜNICODE_ÑAME\u2028': '\u0000\ud800',
            EMPTY: '',
          },
        }),
      ],
      overrides: {
        containerOverrides: [{ name: 'app', environment: [{ name: 'PROMETHEUS_PORT', value: '9101' }] }],
      },
      count: 2,
      expect: { targets: 10 },
    },
    {
      family: 'hostile-tags',
      what: '50 task tags with 128-character keys and 256-character values',
      containers: [container('app', { labels: scraped() })],
      tags: Array.from({ length: 50 }, (_, i) => ({
        key: `${pad4(i)}${'k'.repeat(124)}`,
        value: 'v'.repeat(256),
      })),
      count: 1,
      expect: { targets: 1 },
    },
    {
      family: 'hostile-endpoint-list',
      what: 'PROMETHEUS_ENDPOINT with 40 entries',
      containers: [
        container('app', {
          env: {
            PROMETHEUS: 'true',
            PROMETHEUS_PORT: '9100',
            PROMETHEUS_ENDPOINT: Array.from({ length: 40 }, (_, i) => `/m${i}`).join(','),
          },
        }),
      ],
      count: 1,
      expect: { targets: 32, containerSkips: { 'too-many-endpoints': 1 } },
    },
    {
      family: 'hostile-ten-containers',
      what: '10 containers of 10 endpoints each (100 targets, over 64 per task)',
      containers: Array.from({ length: 10 }, (_, c) =>
        container(`c${c}`, {
          ports: [],
          labels: {
            'ecs-sd.scrape': 'true',
            ...numbered(
              10,
              (j) => `ecs-sd.endpoints.p${j}.port`,
              (j) => String(2000 + 10 * c + j),
            ),
          },
        }),
      ),
      count: 1,
      expect: { targets: 64, containerSkips: { 'too-many-targets': 4 } },
    },
    {
      family: 'hostile-long-job',
      what: 'ecs-sd.job of 2,000 characters',
      containers: [container('app', { labels: scraped({ 'ecs-sd.job': 'j'.repeat(2000) }) })],
      count: 1,
      expect: { targets: 0, skippedTask: 'target-too-large', containerSkips: { 'target-too-large': 1 } },
    },
    {
      family: 'hostile-long-server-name',
      what: 'PROMETHEUS_EXPORTER_SERVER_NAME of 2,000 characters',
      containers: [
        container('app', {
          labels: { PROMETHEUS_EXPORTER_PORT: '9100', PROMETHEUS_EXPORTER_SERVER_NAME: 'h'.repeat(2000) },
        }),
      ],
      count: 1,
      expect: { targets: 0, skippedTask: 'target-too-large', containerSkips: { 'target-too-large': 1 } },
    },
    {
      family: 'hostile-scrape-maybe',
      what: 'ecs-sd.scrape=maybe',
      containers: [container('app', { labels: { 'ecs-sd.scrape': 'maybe', 'ecs-sd.port': '9100' } })],
      count: 1,
      expect: {
        targets: 0,
        skippedTask: 'invalid-label-value',
        containerSkips: { 'invalid-label-value': 1 },
      },
    },
    {
      family: 'hostile-label-name',
      what: 'ecs-sd.label.__address__',
      containers: [container('app', { labels: scraped({ 'ecs-sd.label.__address__': 'evil:1' }) })],
      count: 1,
      expect: {
        targets: 0,
        skippedTask: 'invalid-label-value',
        containerSkips: { 'invalid-label-value': 1 },
      },
    },
    {
      family: 'hostile-zero-interval',
      what: 'ecs-sd.interval=0s',
      containers: [container('app', { labels: scraped({ 'ecs-sd.interval': '0s' }) })],
      count: 1,
      expect: { targets: 0, skippedTask: 'invalid-endpoint', containerSkips: { 'invalid-endpoint': 1 } },
    },
    {
      family: 'hostile-timeout-over-interval',
      what: 'ecs-sd.timeout=20s with ecs-sd.interval=10s',
      containers: [
        container('app', { labels: scraped({ 'ecs-sd.interval': '10s', 'ecs-sd.timeout': '20s' }) }),
      ],
      count: 1,
      expect: { targets: 0, skippedTask: 'invalid-endpoint', containerSkips: { 'invalid-endpoint': 1 } },
    },
    {
      family: 'hostile-port-range',
      what: 'PROMETHEUS_PORT=99999',
      containers: [container('app', { env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '99999' } })],
      count: 1,
      expect: { targets: 0, skippedTask: 'port-not-a-number', containerSkips: { 'port-not-a-number': 1 } },
    },
    {
      family: 'hostile-enabled',
      what: 'PROMETHEUS=enabled',
      containers: [container('app', { env: { PROMETHEUS: 'enabled', PROMETHEUS_PORT: '9100' } })],
      count: 1,
      expect: { targets: 0, skippedTask: 'invalid-env-value', containerSkips: { 'invalid-env-value': 1 } },
    },
    ...(
      [
        ['containers', ['containers']],
        ['attachments', ['attachments']],
        ['status', ['lastStatus', 'taskDefinitionArn']],
      ] as const
    ).map(
      ([name, missing]): HostileShape => ({
        family: `hostile-missing-${name}`,
        what: `a task described without ${missing.join(' and ')}`,
        containers: [container('app', { env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100' } })],
        count: 1,
        missing: [...missing],
        expect: { targets: 0, skippedTask: 'task-missing-fields' },
      }),
    ),
  ];
}

/** The totals a set of shapes must give: targets, and the skip and bound gauges by reason. */
export interface ExpectedTotals {
  targets: number;
  skippedTasks: Record<string, number>;
  skippedContainers: Record<string, number>;
  boundedContainers: Record<string, number>;
}

/** Sums what every task of the shapes must give. */
export function expectedTotals(shapes: readonly HostileShape[]): ExpectedTotals {
  const totals: ExpectedTotals = {
    targets: 0,
    skippedTasks: {},
    skippedContainers: {},
    boundedContainers: {},
  };
  const add = (into: Record<string, number>, reason: string, n: number) => {
    into[reason] = (into[reason] ?? 0) + n;
  };
  for (const { count, expect } of shapes) {
    totals.targets += count * expect.targets;
    if (expect.skippedTask !== undefined) add(totals.skippedTasks, expect.skippedTask, count);
    for (const [reason, n] of Object.entries(expect.containerSkips ?? {}))
      add(totals.skippedContainers, reason, count * n);
    for (const [reason, n] of Object.entries(expect.bounded ?? {}))
      add(totals.boundedContainers, reason, count * n);
  }
  return totals;
}

/** Where and how to run the hostile tasks. */
export interface HostileTarget {
  ecs: ECSClient;
  cluster: string;
  /** Create the cluster first (CreateCluster). @default true */
  create?: boolean;
  /** A subnet of ecs-sim for the awsvpc tasks. */
  subnet: string;
  /** Hides fields of a task in DescribeTasks (ecs-sim's `setTaskChaos`). */
  setMissing(taskArn: string, missing: string[]): void;
}

/** RunTask starts at most 10 tasks per call. */
const RUN_TASK_MAX = 10;

/**
 * Creates the cluster, registers every shape's task definition and runs its tasks through the ECS API
 * (call `sim.settle()` afterwards for them to be RUNNING at once);
 * returns the task ARNs by family. The tasks are FARGATE (awsvpc), so no host is needed.
 */
export async function runHostileFleet(
  to: HostileTarget,
  shapes: readonly HostileShape[],
): Promise<Map<string, string[]>> {
  if (to.create !== false) await to.ecs.send(new CreateClusterCommand({ clusterName: to.cluster }));
  const arns = new Map<string, string[]>();
  for (const shape of shapes) {
    await to.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: shape.family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: shape.containers,
      }),
    );
    const started: string[] = [];
    for (let left = shape.count; left > 0; left -= RUN_TASK_MAX) {
      const { tasks = [], failures = [] } = await to.ecs.send(
        new RunTaskCommand({
          cluster: to.cluster,
          taskDefinition: shape.family,
          count: Math.min(left, RUN_TASK_MAX),
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: [to.subnet] } },
          ...(shape.overrides ? { overrides: shape.overrides } : {}),
          ...(shape.tags ? { tags: shape.tags } : {}),
        }),
      );
      if (failures.length > 0)
        throw new Error(`run task ${shape.family}: ${JSON.stringify(failures)}, expected no failures`);
      started.push(...tasks.map((task) => task.taskArn!));
    }
    if (shape.missing) for (const arn of started) to.setMissing(arn, shape.missing);
    arns.set(shape.family, started);
  }
  return arns;
}
