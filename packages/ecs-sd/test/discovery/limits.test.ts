import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DiscoveryState } from '../../src/daemon/state.ts';
import {
  type ContainerDecision,
  discoverCluster,
  formatDecision,
  jsonBytes,
  LIMITS,
  type Target,
} from '../../src/discovery/index.ts';
import { createMetrics } from '../../src/metrics.ts';
import { renderTargetGroups } from '../../src/output/target-groups.ts';
import { CLUSTER, CLUSTER_ARN, type ContainerSpec, fleet, options, rule, type TaskSpec } from './fixtures.ts';
import { decisionOf } from './helpers.ts';

const scrape = (labels: Record<string, string>, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'app',
  labels: { 'ecs-sd.scrape': 'true', 'ecs-sd.port': '9100', ...labels },
  ...extra,
});
const fargate = (...containers: ContainerSpec[]): TaskSpec => ({
  id: 't',
  launchType: 'FARGATE',
  containers,
});

/** `ecs-sd.endpoints.eN.port` for N in [from, from + count). */
function endpoints(count: number, from = 0): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = from; i < from + count; i++) labels[`ecs-sd.endpoints.e${i}.port`] = String(1000 + i);
  return labels;
}

/** `ecs-sd.label.<prefix>N` = value for N < count. */
function userLabels(count: number, value: string, prefix = 'l'): Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < count; i++) labels[`ecs-sd.label.${prefix}${String(i).padStart(4, '0')}`] = value;
  return labels;
}

function labelBytes(t: Target): number {
  return Object.entries(t.labels).reduce((n, [k, v]) => n + jsonBytes(k) + jsonBytes(v), 0);
}

function only(cd: ContainerDecision | undefined): ContainerDecision {
  assert.ok(cd, 'a container decision');
  return cd;
}

/**
 * The most one task can write into a file_sd JSON file (renderTargetGroups 'file'): per target 64 bytes of
 * group syntax, its address, and 14 bytes of syntax per label around the label bytes (docs/conventions.md).
 */
const FILE_BYTES_PER_TARGET =
  64 + LIMITS.labelValueBytes + LIMITS.labelBytesPerTarget + 14 * LIMITS.labelsPerTarget;
const FILE_BYTES_PER_TASK = LIMITS.targetsPerTask * FILE_BYTES_PER_TARGET;
/** The same for http_sd's compact JSON: 28 bytes per group, 6 per label. */
const COMPACT_BYTES_PER_TASK =
  LIMITS.targetsPerTask *
  (28 + LIMITS.labelValueBytes + LIMITS.labelBytesPerTarget + 6 * LIMITS.labelsPerTarget);

describe('jsonBytes', () => {
  const cases: [string, string][] = [
    ['plain ASCII', 'api-7'],
    ['quotes and backslashes', 'a"b\\c'],
    ['short escapes', '\b\f\n\r\t'],
    ['other control characters', '\u0000\u0001\u001f'],
    ['DEL and C1 controls', '\u007f\u0085\u009f'],
    ['two- and three-byte characters', 'ünïcødé €'],
    ['line and paragraph separators', '\u2028\u2029'],
    ['an astral character', '😀'],
    ['lone surrogates', '\ud800x\udc00'],
    ['empty', ''],
  ];
  for (const [name, text] of cases) {
    it(`counts ${name} as JSON.stringify writes them in UTF-8`, () =>
      assert.equal(jsonBytes(text), Buffer.byteLength(JSON.stringify(text)) - 2));
  }
});

describe('limits on what one label, container and task contribute', () => {
  it('leaves a label value over the limit out and says so in explain', () => {
    const d = decisionOf(
      fargate(scrape({ 'ecs-sd.label.pad': 'x'.repeat(32_000), 'ecs-sd.label.team': 'a' })),
    );
    const cd = only(d.containers[0]);
    assert.equal(cd.targets.length, 1, 'the target is kept');
    assert.equal(cd.targets[0]!.labels['pad'], undefined);
    assert.equal(cd.targets[0]!.labels['team'], 'a');
    assert.deepEqual(cd.bounded, [
      {
        reason: 'label-too-long',
        message:
          'labels over 256 bytes of name or 1024 bytes of value left out of 1 target: pad (a value of 32000 characters)',
      },
    ]);
    assert.ok(formatDecision(d).includes(`    bounded (label-too-long): ${cd.bounded![0]!.message}`));
  });

  it('keeps a value of exactly the limit and counts escapes as JSON writes them', () => {
    const exact = 'x'.repeat(LIMITS.labelValueBytes);
    const escaped = '\u0001'.repeat(Math.floor(LIMITS.labelValueBytes / 6) + 1); // 6 bytes each in JSON
    const t = decisionOf(fargate(scrape({ 'ecs-sd.label.exact': exact, 'ecs-sd.label.ctl': escaped })))
      .containers[0]!.targets[0]!;
    assert.equal(t.labels['exact'], exact);
    assert.equal(
      t.labels['ctl'],
      undefined,
      `${escaped.length} control characters are ${jsonBytes(escaped)} bytes`,
    );
  });

  it('leaves a label name over the limit out', () => {
    const name = `n${'x'.repeat(LIMITS.labelNameBytes)}`;
    const cd = only(decisionOf(fargate(scrape({ [`ecs-sd.label.${name}`]: 'v' }))).containers[0]);
    assert.equal(cd.targets[0]!.labels[name], undefined);
    assert.equal(cd.bounded?.[0]?.reason, 'label-too-long');
    assert.match(cd.bounded![0]!.message, /\(a name of 257 characters\)$/);
  });

  it(`keeps at most ${LIMITS.labelsPerTarget} labels on a target, built-in labels first`, () => {
    const t = fleet([fargate(scrape(userLabels(600, 'v')))]);
    const cd = only(discoverCluster(t, options()).decisions[0]!.containers[0]);
    const labels = cd.targets[0]!.labels;
    assert.equal(Object.keys(labels).length, LIMITS.labelsPerTarget);
    for (const name of ['job', '__metrics_path__', 'ecs_cluster', 'ecs_task_id', '__meta_ecs_task_arn'])
      assert.ok(labels[name] !== undefined, `${name} is kept`);
    assert.equal(labels['l0000'], 'v', 'user labels fill up in name order');
    assert.equal(labels['l0599'], undefined);
    assert.equal(cd.bounded?.[0]?.reason, 'too-many-labels');
    assert.match(
      cd.bounded![0]!.message,
      /^labels past the limit of 512 per target left out of 1 target: l\d{4}, /,
    );
    assert.match(cd.bounded![0]!.message, /, and \d+ more$/);
  });

  it(`keeps at most ${LIMITS.labelBytesPerTarget} bytes of labels on a target`, () => {
    const cd = only(decisionOf(fargate(scrape(userLabels(60, 'v'.repeat(1000))))).containers[0]);
    const t = cd.targets[0]!;
    assert.ok(labelBytes(t) <= LIMITS.labelBytesPerTarget, `${labelBytes(t)} bytes`);
    assert.ok(labelBytes(t) > LIMITS.labelBytesPerTarget - 1010, 'fills the budget');
    assert.ok(t.labels['l0000'] !== undefined && t.labels['l0059'] === undefined);
    assert.equal(cd.bounded?.[0]?.reason, 'labels-too-large');
  });

  it('leaves allowlisted docker labels out before user labels, and user labels before tags', () => {
    const docker: Record<string, string> = {};
    for (let i = 0; i < 40; i++) docker[`com.example.d${i}`] = 'd'.repeat(1000);
    const tags: Record<string, string> = {};
    for (let i = 0; i < 10; i++) tags[`t${i}`] = 't'.repeat(250);
    const snapshot = fleet([
      { ...fargate(scrape({ ...userLabels(10, 'u'.repeat(1000)), ...docker })), tags },
    ]);
    const t = discoverCluster(snapshot, options({ dockerLabelAllowlist: /^com\.example\./ })).targets[0]!;
    const kept = (prefix: string) => Object.keys(t.labels).filter((n) => n.startsWith(prefix)).length;
    assert.equal(kept('__meta_ecs_tag_task_'), 10, 'every tag kept');
    assert.equal(kept('l0'), 10, 'every user label kept');
    assert.ok(kept('__meta_ecs_container_label_com_example_d') < 40, 'docker labels cut');
  });

  it(`keeps at most ${LIMITS.endpointsPerContainer} ecs-sd endpoints of a container`, () => {
    const cd = only(
      decisionOf(fargate({ name: 'app', labels: { 'ecs-sd.scrape': 'true', ...endpoints(40) } }))
        .containers[0],
    );
    assert.equal(cd.targets.length, 32);
    assert.deepEqual(cd.skips, [
      {
        reason: 'too-many-endpoints',
        message:
          'ecs-sd labels declare 40 endpoints, over the limit of 32 per container: 8 left out (e38, e39, e4, e5, e6, and 3 more)',
      },
    ]);
  });

  it(`keeps at most ${LIMITS.endpointsPerContainer} PROMETHEUS_ENDPOINT entries`, () => {
    const paths = Array.from({ length: 40 }, (_, i) => `/m${i}`).join(',');
    const cd = only(
      decisionOf(
        fargate({
          name: 'app',
          env: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9100', PROMETHEUS_ENDPOINT: paths },
        }),
      ).containers[0],
    );
    assert.equal(cd.targets.length, 32);
    assert.deepEqual(cd.skips, [
      {
        reason: 'too-many-endpoints',
        message:
          'PROMETHEUS_ENDPOINT has 40 entries, over the limit of 32 per container: the last 8 left out',
      },
    ]);
  });

  it('keeps the highest-precedence endpoints when conventions together declare too many', () => {
    const cd = only(
      decisionOf(fargate({ name: 'app', labels: { 'ecs-sd.scrape': 'true', ...endpoints(30) } }), {
        rules: [rule({ name: 'many', container: /^app$/, ports: [1, 2, 3, 4, 5] })],
      }).containers[0],
    );
    assert.equal(cd.targets.length, 32);
    assert.equal(cd.targets.filter((t) => t.convention === 'rule').length, 2);
    assert.deepEqual(cd.skips, [
      {
        reason: 'too-many-endpoints',
        message:
          'the container declares 35 endpoints, over the limit of 32 per container: 3 of lowest precedence left out (rule "many", rule "many", rule "many")',
      },
    ]);
  });

  it(`keeps at most ${LIMITS.targetsPerTask} targets of a task`, () => {
    const containers = ['a', 'b', 'c'].map((name) => ({
      name,
      labels: { 'ecs-sd.scrape': 'true', ...endpoints(30) },
    }));
    const d = decisionOf(fargate(...containers));
    assert.deepEqual(
      d.containers.map((c) => c.targets.length),
      [30, 30, 4],
    );
    assert.deepEqual(d.containers[2]!.skips, [
      {
        reason: 'too-many-targets',
        message:
          'the task reached the limit of 64 targets per task: 26 more of this container left out (ecs-sd endpoint "e12", ecs-sd endpoint "e13", ecs-sd endpoint "e14", ecs-sd endpoint "e15", ecs-sd endpoint "e16", and 21 more)',
      },
    ]);
  });

  it('skips a target whose job or address alone is over the value limit', () => {
    const long = 'j'.repeat(2000);
    const job = only(decisionOf(fargate(scrape({ 'ecs-sd.job': long }))).containers[0]);
    assert.equal(job.targets.length, 0);
    assert.equal(job.skips[0]?.reason, 'target-too-large');
    assert.equal(
      job.skips[0]?.message,
      `job="${'j'.repeat(64)}…" (2000 characters) is over the limit of 1024 bytes for a label value, and a target cannot go without it`,
    );
    const server = only(
      decisionOf(
        fargate({
          name: 'app',
          labels: { PROMETHEUS_EXPORTER_PORT: '9100', PROMETHEUS_EXPORTER_SERVER_NAME: long },
        }),
      ).containers[0],
    );
    assert.deepEqual(
      server.skips.map((s) => s.reason),
      ['target-too-large'],
    );
  });

  it('lists at most 32 skips and 32 notes of a container, and says how many more', () => {
    // 30 endpoints with two label names Prometheus would reject each (one their own, one shared): 60 skips.
    const labels: Record<string, string> = {
      'ecs-sd.scrape': 'true',
      'ecs-sd.label.__shared': 'v',
      ...endpoints(30),
    };
    for (let i = 0; i < 30; i++) labels[`ecs-sd.endpoints.e${i}.label.__own`] = 'v';
    for (let i = 0; i < 50; i++) labels[`ecs-sd.typo${i}`] = 'v';
    const cd = only(decisionOf(fargate({ name: 'app', labels })).containers[0]);
    assert.equal(cd.skips.length, LIMITS.messagesPerContainer);
    assert.equal(cd.notes?.length, LIMITS.messagesPerContainer + 1);
    assert.equal(cd.notes?.at(-2), '19 more notes left out (limit 32 per container)');
    assert.equal(cd.notes?.at(-1), '28 more skips left out of this list (limit 32 per container)');
  });

  it('cuts a long value quoted in a message', () => {
    const cd = only(decisionOf(fargate(scrape({ 'ecs-sd.port': '9'.repeat(40_000) }))).containers[0]);
    assert.deepEqual(cd.skips, [
      {
        reason: 'port-not-a-number',
        message: `ecs-sd.port="${'9'.repeat(64)}…" (40000 characters) is not a port number`,
      },
    ]);
  });
});

describe('a task definition built to blow up the output (issue 12)', () => {
  // Under ECS's 64 KiB task definition limit: one 32,000-character label and 800 endpoints.
  const hostile: Record<string, string> = {
    'ecs-sd.scrape': 'true',
    'ecs-sd.label.pad': 'x'.repeat(32_000),
    ...endpoints(800),
  };
  const tasks = Array.from({ length: 30 }, (_, i) => ({
    id: `hostile-${i}`,
    family: 'hostile',
    launchType: 'FARGATE' as const,
    containers: [{ name: 'app', labels: hostile }],
  }));

  it('is bounded: 32 targets without the pad label, each task under the documented ceiling', () => {
    const result = discoverCluster(fleet(tasks), options());
    assert.equal(result.targets.length, 30 * LIMITS.endpointsPerContainer);
    const cd = only(result.decisions[0]!.containers[0]);
    assert.deepEqual(
      cd.skips.map((s) => s.reason),
      ['too-many-endpoints'],
    );
    assert.deepEqual(
      cd.bounded?.map((b) => b.message),
      [
        'labels over 256 bytes of name or 1024 bytes of value left out of 32 targets: pad (a value of 32000 characters)',
      ],
    );
    const file = Buffer.byteLength(renderTargetGroups(result.targets, 'file'));
    assert.ok(file < 30 * FILE_BYTES_PER_TASK, `${file} bytes`);
    assert.ok(file < 30 * 64 * 1024, `${file} bytes: about 54 KB per task`);
  });

  it('keeps the worst case one task can reach under the ceiling documented in conventions.md', () => {
    // Every limit reached at once: 64 targets, each with a 1 KiB address and its label budget spent on
    // values JSON writes six bytes per character of (control characters), in as many labels as allowed.
    // The ceiling adds the maxima up, so no task reaches it exactly.
    const server = `h${'\u0001'.repeat(Math.floor((LIMITS.labelValueBytes - 8) / 6))}`;
    const labels: Record<string, string> = {
      'ecs-sd.scrape': 'true',
      PROMETHEUS_EXPORTER_PORT: '9100',
      PROMETHEUS_EXPORTER_SERVER_NAME: server,
    };
    // Labels of 65 bytes (a 5-byte name, 10 control characters): both the count and the byte budget run out.
    for (let i = 0; i < 600; i++) labels[`ecs-sd.label.c${String(i).padStart(4, '0')}`] = '\u0001'.repeat(10);
    const containers = Array.from({ length: 3 }, (_, c) => ({
      name: `c${c}`,
      labels: { ...labels, ...endpoints(32) },
    }));
    const result = discoverCluster(fleet([fargate(...containers)]), options());
    assert.equal(result.targets.length, LIMITS.targetsPerTask);
    for (const t of result.targets) assert.ok(labelBytes(t) <= LIMITS.labelBytesPerTarget);
    const file = Buffer.byteLength(renderTargetGroups(result.targets, 'file'));
    const compact = Buffer.byteLength(renderTargetGroups(result.targets, 'compact'));
    assert.ok(file <= FILE_BYTES_PER_TASK, `file_sd: ${file} > ${FILE_BYTES_PER_TASK}`);
    assert.ok(compact <= COMPACT_BYTES_PER_TASK, `http_sd: ${compact} > ${COMPACT_BYTES_PER_TASK}`);
    assert.ok(file > FILE_BYTES_PER_TASK * 0.9, `the case is near the ceiling (${file} bytes)`);
  });

  it('documents the limits and the ceilings with these numbers', () => {
    const doc = readFileSync(new URL('../../docs/conventions.md', import.meta.url), 'utf8');
    const n = (x: number) => x.toLocaleString('en-US');
    const rows: [string, string][] = [
      ['label value', `${n(LIMITS.labelValueBytes)} bytes`],
      ['label name', `${n(LIMITS.labelNameBytes)} bytes`],
      ['labels per target', n(LIMITS.labelsPerTarget)],
      ['label bytes per target', `${n(LIMITS.labelBytesPerTarget)} bytes`],
      ['endpoints per container', n(LIMITS.endpointsPerContainer)],
      ['targets per task', n(LIMITS.targetsPerTask)],
      ['skips and notes per container', n(LIMITS.messagesPerContainer)],
    ];
    for (const [limit, value] of rows)
      assert.match(
        doc,
        new RegExp(`^\\| ${limit} +\\| ${value} +\\|`, 'm'),
        `the ${limit} row says ${value}`,
      );
    for (const bytes of [FILE_BYTES_PER_TARGET, FILE_BYTES_PER_TASK, COMPACT_BYTES_PER_TASK])
      assert.ok(doc.includes(`**${n(bytes)} bytes**`), `conventions.md has the ceiling ${n(bytes)} bytes`);
  });
});

describe('limits in metrics', () => {
  it('counts limit skips and bounded containers by reason', async () => {
    const snapshot = fleet([
      { ...fargate(scrape({ 'ecs-sd.label.pad': 'x'.repeat(2000) })), id: 'a', family: 'a' },
      {
        ...fargate(scrape({ 'ecs-sd.label.pad': 'x'.repeat(2000), ...userLabels(600, 'v') })),
        id: 'b',
        family: 'b',
      },
      {
        ...fargate({ name: 'app', labels: { 'ecs-sd.scrape': 'true', ...endpoints(40) } }),
        id: 'c',
        family: 'c',
      },
    ]);
    const result = discoverCluster(snapshot, options());
    const state = new DiscoveryState();
    state.update({
      source: 'main',
      clusterArn: CLUSTER_ARN,
      clusterName: CLUSTER,
      targets: result.targets,
      decisions: result.decisions,
      lastSuccessMs: 0,
    });
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.setStateProvider(() => state.metricsState(['main']));
    const text = await metrics.registry.metrics();
    for (const line of [
      'ecs_sd_bounded_containers{reason="label-too-long"} 2',
      'ecs_sd_bounded_containers{reason="too-many-labels"} 1',
      'ecs_sd_skipped_containers{reason="too-many-endpoints"} 1',
    ])
      assert.ok(text.includes(line), `${line} in\n${text}`);
  });
});
