/**
 * The README's Reliability table and chaos matrix stay true: every bound it lists has the value the code
 * enforces (config bounds are probed through loadConfig, so the behaviour is checked, not a constant),
 * every test the matrix names exists, and every case of the chaos suite is in the matrix.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLUSTER_CACHE_MAX } from '../src/aws/cluster-cache.ts';
import { TASK_DEFINITION_CACHE_MAX } from '../src/aws/task-definitions.ts';
import { STOP_TIMEOUT_MS } from '../src/cli.ts';
import { loadConfig } from '../src/config/load.ts';
import { LIMITS } from '../src/discovery/limits.ts';
import { MAX_RECEIVES } from '../src/events/consumer.ts';
import {
  MAX_BODY_BYTES,
  MAX_CONTAINERS,
  MAX_DEPTH,
  MAX_EVENT_BYTES,
  MAX_KEPT_CHARS,
  MAX_KEPT_ITEMS,
  MAX_LIST_ITEMS,
  MAX_STRING_LENGTH,
} from '../src/events/event-limits.ts';
import { PREVIEW_CHARS } from '../src/events/parse.ts';
import { DEFAULT_BUDGET_SCALE, SQS_MAX_WAIT_SECONDS } from '../src/lib/aws-limits.ts';
import { formatDuration, MAX_TIMER_MS } from '../src/lib/duration.ts';
import {
  AWS_CONNECTION_TIMEOUT_MS,
  AWS_REQUEST_TIMEOUT_MS,
  AWS_REQUEST_TIMEOUT_RANGE_MS,
  CLUSTER_REFRESH_TIMEOUT_MS,
  CLUSTER_REFRESH_TIMEOUT_RANGE_MS,
} from '../src/lib/timeouts.ts';
import { MAX_SHARDS } from '../src/output/target-filter.ts';
import { MAX_OUTPUT_LENGTH } from '../src/output/target-groups.ts';
import { DEFAULT_AUTH_LIMITS } from '../src/server/basic-auth.ts';
import { STALL_MS } from '../src/server/json-stream.ts';
import { MAX_FILTER_LENGTH, PAGE_SIZE } from '../src/server/status/query.ts';
import { DEFAULT_TASKS_PAGE_SIZE, MAX_TASKS_PAGE_SIZE } from '../src/server/task-pages.ts';
import { HOSTILE_RSS_BOUND_MIB } from './support/hostile-fleet.ts';

const PACKAGE = new URL('../', import.meta.url);
const README = readFileSync(new URL('README.md', PACKAGE), 'utf8');
const ROOT_README = readFileSync(new URL('../../README.md', PACKAGE), 'utf8');

/** The text of a `## ` or `### ` section, up to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const level = heading.indexOf(' ');
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has a section "${heading}"`);
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  return next === -1 ? rest : rest.slice(0, next);
}

/** The rows of the tables of a section, by their first cell. */
function rows(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| ---')) continue;
    const cells = line
      .slice(2, -2)
      .split(' | ')
      .map((cell) => cell.trim());
    out.set(cells[0]!, cells);
  }
  return out;
}

const n = (x: number) => x.toLocaleString('en-US');

/** True when loadConfig accepts the config file text. */
function accepts(fileText: string): boolean {
  try {
    loadConfig({ fileText });
    return true;
  } catch {
    return false;
  }
}

/** A config with one source in event mode and these `events` keys. */
function events(keys: string): string {
  return `sources: [{ region: eu-west-1, events: { queue_url: "https://sqs.eu-west-1.amazonaws.com/123456789012/q", ${keys} } }]`;
}

describe('the Reliability section', () => {
  const table = rows(section(README, '## Reliability'));
  const value = (bound: string): string => {
    const row = table.get(bound);
    assert.ok(row, `the Reliability table has a row "${bound}"`);
    return row[1]!;
  };
  const pastIt = (bound: string): string => table.get(bound)?.[2] ?? '';

  test('states every limit of what one task definition contributes', () => {
    const expected: [string, string][] = [
      ['label value', `${n(LIMITS.labelValueBytes)} bytes`],
      ['label name', `${n(LIMITS.labelNameBytes)} bytes`],
      ['labels per target', n(LIMITS.labelsPerTarget)],
      ['label bytes per target', `${n(LIMITS.labelBytesPerTarget)} bytes`],
      ['endpoints per container', n(LIMITS.endpointsPerContainer)],
      ['targets per task', n(LIMITS.targetsPerTask)],
      ['skips and notes per container', n(LIMITS.messagesPerContainer)],
      [
        'file_sd JSON of one task',
        // docs/conventions.md: 64 bytes of group syntax, the address, the label budget and 14 bytes of syntax per label.
        `${n((64 + LIMITS.labelValueBytes + LIMITS.labelBytesPerTarget + 14 * LIMITS.labelsPerTarget) * LIMITS.targetsPerTask)} bytes`,
      ],
    ];
    for (const [bound, text] of expected) assert.equal(value(bound), text, bound);
  });

  test('states the bounds of outputs, events and AWS calls', () => {
    const expected: [string, string][] = [
      [
        'one rendered list (a file_sd file, an http_sd answer)',
        `${MAX_OUTPUT_LENGTH / 2 ** 20} Mi characters`,
      ],
      ['http_sd `shards`', `1 to ${n(MAX_SHARDS)}`],
      ['SQS message body', `${MAX_BODY_BYTES / 2 ** 20} MiB`],
      ['one event (body, or SNS `Message`)', `${MAX_EVENT_BYTES / 2 ** 10} KiB`],
      ['nesting of an SQS message', `${MAX_DEPTH} levels`],
      ['one string of an event', `${n(MAX_STRING_LENGTH)} characters`],
      ['containers of a task event', n(MAX_CONTAINERS)],
      ['items of any other list of an event', n(MAX_LIST_ITEMS)],
      ['list items kept of one event', n(MAX_KEPT_ITEMS)],
      ['string characters kept of one event', n(MAX_KEPT_CHARS)],
      ['log preview of a rejected message', `${PREVIEW_CHARS} characters`],
      ['receives of a message whose handling throws', String(MAX_RECEIVES)],
      ['each attempt of an AWS call', formatDuration(AWS_REQUEST_TIMEOUT_MS)],
      ['connecting to AWS', formatDuration(AWS_CONNECTION_TIMEOUT_MS)],
      ["one cluster's read in a refresh", formatDuration(CLUSTER_REFRESH_TIMEOUT_MS)],
      ['cached task definitions', n(TASK_DEFINITION_CACHE_MAX)],
      ['cached tasks, container instances, hosts per cluster', `${n(CLUSTER_CACHE_MAX)} each`],
      ['shutdown after SIGTERM or SIGINT', formatDuration(STOP_TIMEOUT_MS)],
      ['daemon memory with the hostile fleet', `${HOSTILE_RSS_BOUND_MIB} MiB`],
      [
        'wrong passwords per client address',
        `${DEFAULT_AUTH_LIMITS.failureBurst}, then one every ${formatDuration(DEFAULT_AUTH_LIMITS.failureRefillMs)}`,
      ],
      ['bcrypt checks waiting', `${DEFAULT_AUTH_LIMITS.maxWaitingChecks} per lane`],
      ['cached password checks', `${DEFAULT_AUTH_LIMITS.cacheSize} each of successes and failures`],
      ['`/api/v1/tasks` page', `${DEFAULT_TASKS_PAGE_SIZE} by default, at most ${n(MAX_TASKS_PAGE_SIZE)}`],
      ['a client that stops reading a streamed page', formatDuration(STALL_MS)],
      ['a page of a status page list', `${PAGE_SIZE} rows`],
      ['a status page filter or search', `${n(MAX_FILTER_LENGTH)} characters`],
    ];
    for (const [bound, text] of expected) assert.equal(value(bound), text, bound);
    const range = ({ min, max }: { min: number; max: number }) =>
      `${formatDuration(min)} to ${formatDuration(max)}`;
    assert.ok(pastIt('each attempt of an AWS call').includes(range(AWS_REQUEST_TIMEOUT_RANGE_MS)));
    assert.ok(pastIt("one cluster's read in a refresh").includes(range(CLUSTER_REFRESH_TIMEOUT_RANGE_MS)));
    assert.equal(DEFAULT_BUDGET_SCALE, 0.5);
    assert.equal(value('AWS reads'), "half of AWS's token buckets");
  });

  test('states the config bounds the loader enforces', () => {
    assert.equal(value('`refresh_interval`, `events.reconcile_interval`'), '1s to 24h');
    for (const key of ['refresh_interval']) {
      assert.ok(accepts(`${key}: 1s`) && accepts(`${key}: 24h`), `${key} 1s and 24h`);
      assert.ok(!accepts(`${key}: 999ms`) && !accepts(`${key}: 24h1s`), `${key} below 1s or above 24h`);
    }
    assert.ok(accepts(events('reconcile_interval: 1s')) && accepts(events('reconcile_interval: 24h')));
    assert.ok(!accepts(events('reconcile_interval: 999ms')) && !accepts(events('reconcile_interval: 24h1s')));

    assert.equal(value('`events.wait_time`'), `1s to ${SQS_MAX_WAIT_SECONDS}s`);
    assert.ok(accepts(events('wait_time: 1s')) && accepts(events(`wait_time: ${SQS_MAX_WAIT_SECONDS}s`)));
    assert.ok(
      !accepts(events(`wait_time: ${SQS_MAX_WAIT_SECONDS + 1}s`)) && !accepts(events('wait_time: 1500ms')),
    );

    assert.equal(value('`events.publish_delay`'), 'at most 1s');
    assert.ok(accepts(events('publish_delay: 1s')) && !accepts(events('publish_delay: 1001ms')));

    assert.equal(value('`web.listen_address` port'), '0 to 65535');
    assert.ok(accepts('web: { listen_address: ":0" }') && accepts('web: { listen_address: ":65535" }'));
    assert.ok(!accepts('web: { listen_address: ":65536" }'));

    assert.equal(MAX_TIMER_MS, 2 ** 31 - 1);
    assert.equal(value('any duration'), 'under 2^31−1 ms (24.8 days)');
    for (const key of [
      'timeouts: { aws_request: 25d }',
      'timeouts: { cluster_refresh: 25d }',
      'refresh_interval: 600h',
    ])
      assert.ok(!accepts(key), `${key} is refused`);

    assert.equal(value('user regexes'), 'RE2, linear time');
    assert.ok(!accepts('discovery: { docker_label_allowlist: "(a)\\\\1" }'), 'a backreference is refused');
  });

  test('the root README summarises it and links to it', () => {
    const summary = section(ROOT_README, '## Reliability');
    assert.ok(summary.includes('packages/ecs-sd/README.md#reliability'));
    assert.ok(summary.includes('packages/ecs-sd/README.md#the-chaos-matrix'));
  });
});

describe('the chaos matrix', () => {
  const matrix = section(README, '### The chaos matrix');
  /** Every `` `file`: "name prefix…" `` reference of the matrix. */
  const references = [...matrix.matchAll(/`(test\/[^`]+\.test\.ts)`: "([^"]+)…"/g)].map(([, file, name]) => ({
    file: file!,
    name: name!,
  }));

  test('names tests that exist', () => {
    assert.ok(references.length >= 20, `${references.length} references`);
    for (const { file, name } of references) {
      const source = readFileSync(fileURLToPath(new URL(file, PACKAGE)), 'utf8');
      assert.ok(source.includes(name), `${file} has a test named "${name}…"`);
    }
  });

  test('has a row for every case of the chaos suite', () => {
    const source = readFileSync(fileURLToPath(new URL('test/chaos/faults.test.ts', PACKAGE)), 'utf8');
    const cases = [...source.matchAll(/^(?: {2}\{ | {4})name:\s+(?:'([^']*)'|"([^"]*)")/gm)].map(
      ([, single, double]) => single ?? double!,
    );
    assert.ok(cases.length >= 14, `${cases.length} chaos cases`);
    const prefixes = references
      .filter((ref) => ref.file === 'test/chaos/faults.test.ts')
      .map((ref) => ref.name);
    for (const name of cases)
      assert.ok(
        prefixes.some((prefix) => name.startsWith(prefix)),
        `the chaos case "${name}" is in the matrix`,
      );
  });
});
