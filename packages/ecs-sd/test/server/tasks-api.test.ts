import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { Registry } from 'prom-client';
import type { TaskDecision } from '../../src/discovery/types.ts';
import { buildApp } from '../../src/server/app.ts';
import { filterDecisions } from '../../src/server/decision-filter.ts';
import { jsonArrayChunks, writeChunks } from '../../src/server/json-stream.ts';
import {
  DEFAULT_TASKS_PAGE_SIZE,
  MAX_TASKS_PAGE_SIZE,
  type PageRequest,
  pageOf,
  parsePageRequest,
  sortByTaskArn,
  TaskPager,
} from '../../src/server/task-pages.ts';
import type { DiscoveryView } from '../../src/server/view.ts';
import { decision, target } from '../output/fixtures.ts';

const ARN = (cluster: string, id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/${id}`;

/** `count` decisions over three clusters, every seventh skipped, ids in a shuffled order. */
function fleet(count: number, prefix = 't'): TaskDecision[] {
  const clusters = ['prod', 'staging', 'batch'];
  return Array.from({ length: count }, (_, i) => {
    const n = (i * 7919) % count;
    const cluster = clusters[n % 3]!;
    const taskId = `${prefix}${String(n).padStart(5, '0')}`;
    return n % 7 === 0
      ? decision({ cluster, taskId, skipReason: n % 2 === 0 ? 'port-not-a-number' : 'no-container-opted-in' })
      : decision({
          cluster,
          taskId,
          targets: [target({ cluster, taskId, ip: `10.0.${n >> 8}.${n & 255}` })],
        });
  });
}

class MutableView implements DiscoveryView {
  all: TaskDecision[] = [];
  ready = () => true;
  targets = () => [];
  decision = (id: string) => this.all.find((d) => d.taskId === id || d.taskArn === id);
  decisions = () => this.all;
}

/** Walks every page of `query` through `select`, calling `between` after each page. */
function walk(
  select: (page: PageRequest) => { tasks: TaskDecision[]; total: number; nextAfter?: string },
  limit: number,
  between: (pageNumber: number) => void = () => {},
): { arns: string[]; pages: number; totals: number[] } {
  const arns: string[] = [];
  const totals: number[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = select({ limit, ...(after !== undefined && { after }) });
    pages++;
    assert.ok(page.tasks.length <= limit, `page ${pages} has ${page.tasks.length} decisions, limit ${limit}`);
    arns.push(...page.tasks.map((d) => d.taskArn));
    totals.push(page.total);
    after = page.nextAfter;
    between(pages);
    assert.ok(pages < 10_000, 'paging ends');
  } while (after !== undefined);
  return { arns, pages, totals };
}

test('paging returns every decision exactly once, in taskArn order, for every page size', () => {
  const all = fleet(1_003);
  const expected = sortByTaskArn(all).map((d) => d.taskArn);
  const pager = new TaskPager();
  for (const limit of [1, 7, 100, 1_002, 1_003, 5_000]) {
    const { arns, pages, totals } = walk((page) => pager.page(all, {}, page), limit);
    assert.deepEqual(arns, expected, `limit ${limit}`);
    assert.equal(pages, Math.max(1, Math.ceil(1_003 / limit)), `limit ${limit}`);
    assert.ok(
      totals.every((t) => t === 1_003),
      `limit ${limit}`,
    );
  }
});

test('filters work across pages: the pages of a filter hold exactly what the filter selects', () => {
  const all = fleet(1_003);
  const sorted = sortByTaskArn(all);
  const pager = new TaskPager();
  for (const filter of [
    { clusters: ['staging'] },
    { status: 'skipped' as const },
    { status: 'target' as const, clusters: ['prod', 'batch'] },
    { reasons: ['port-not-a-number'] },
    { clusters: ['nowhere'] },
  ]) {
    const expected = filterDecisions(sorted, filter).map((d) => d.taskArn);
    const { arns, totals } = walk((page) => pager.page(all, filter, page), 13);
    assert.deepEqual(arns, expected, JSON.stringify(filter));
    assert.ok(
      totals.every((t) => t === expected.length),
      JSON.stringify(filter),
    );
  }
});

test('paging is stable under concurrent updates: every task present throughout appears exactly once', () => {
  let current = fleet(600);
  const initial = new Set(filterDecisions(current, { status: 'target' }).map((d) => d.taskArn));
  const removed = new Set<string>();
  const pager = new TaskPager();
  const { arns } = walk(
    (page) => pager.page(current, { status: 'target' }, page),
    50,
    (pageNumber) => {
      // Between pages: a fifth of the remaining tasks stop, new tasks start on both sides of the cursor.
      const stopping = current.filter((_, i) => i % 5 === pageNumber % 5);
      for (const d of stopping) removed.add(d.taskArn);
      current = [
        ...current.filter((d) => !stopping.includes(d)),
        ...fleet(20, `n${pageNumber}-`),
        decision({ cluster: 'aaa', taskId: `early-${pageNumber}` }),
      ];
    },
  );
  assert.equal(new Set(arns).size, arns.length, 'no decision twice');
  for (const arn of initial) {
    if (!removed.has(arn)) assert.ok(arns.includes(arn), `${arn} present throughout but missing`);
  }
  const sorted = [...arns].sort();
  assert.deepEqual(arns, sorted, 'pages walk in taskArn order');
});

test('a task seen by two sources is never split across pages', () => {
  const one = decision({ cluster: 'prod', taskId: 'shared' });
  const decisions = [
    decision({ cluster: 'prod', taskId: 'a' }),
    { ...one, source: 'east' },
    { ...one, source: 'west' },
    decision({ cluster: 'prod', taskId: 'z' }),
  ];
  const sorted = sortByTaskArn(decisions);
  const first = pageOf(sorted, { limit: 2 });
  assert.deepEqual(
    first.tasks.map((d) => `${d.taskId}@${d.source}`),
    ['a@default', 'shared@east', 'shared@west'],
  );
  const second = pageOf(sorted, { limit: 2, after: first.nextAfter! });
  assert.deepEqual(
    second.tasks.map((d) => d.taskId),
    ['z'],
  );
  assert.equal(second.nextAfter, undefined);
});

test('limit and after are checked: each problem is one line naming the value', () => {
  const problem = (query: string) => {
    const parsed = parsePageRequest(new URLSearchParams(query));
    return parsed.ok ? undefined : parsed.error;
  };
  const limitProblem = (value: string) =>
    `limit "${value}" is not a page size, expected an integer from 1 to ${MAX_TASKS_PAGE_SIZE}`;
  for (const value of ['0', '-1', '5001', '1.5', 'ten', '', '1e3', '99999999']) {
    assert.equal(problem(`limit=${encodeURIComponent(value)}`), limitProblem(value), value);
  }
  assert.equal(problem('limit=5&limit=6'), 'limit is given 2 times, expected it once');
  const afterProblem = (value: string) =>
    `after "${value}" is not a task ARN, expected the nextAfter of the previous page (arn:aws:ecs:REGION:ACCOUNT:task/…)`;
  for (const value of ['web1', '', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod']) {
    assert.equal(problem(`after=${encodeURIComponent(value)}`), afterProblem(value), value);
  }
  assert.match(
    problem(`after=${ARN('prod', 'x'.repeat(2_000))}`) ?? '',
    /^after "arn:.{76}…" is not a task ARN/,
  );
  assert.equal(problem('after=a&after=b'), 'after is given 2 times, expected it once');
  assert.deepEqual(parsePageRequest(new URLSearchParams('')), {
    ok: true,
    page: { limit: DEFAULT_TASKS_PAGE_SIZE },
  });
  assert.deepEqual(parsePageRequest(new URLSearchParams(`limit=5000&after=${ARN('prod', 'a')}`)), {
    ok: true,
    page: { limit: 5_000, after: ARN('prod', 'a') },
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

interface PageBody {
  total: number;
  limit: number;
  nextAfter: string | null;
  tasks: TaskDecision[];
}

test('/api/v1/tasks pages over HTTP: nextAfter and the Link header lead through every page once', async () => {
  const view = new MutableView();
  view.all = fleet(103);
  const server = createServer(buildApp({ view, registry: new Registry() }));
  const base = await listen(server);
  try {
    const expected = sortByTaskArn(filterDecisions(view.all, { clusters: ['prod', 'batch'] })).map(
      (d) => d.taskArn,
    );
    const viaLink: string[] = [];
    let url: string | undefined = `${base}/api/v1/tasks?cluster=prod&cluster=batch&limit=10`;
    while (url !== undefined) {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), null, 'streamed');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const page = (await res.json()) as PageBody;
      assert.equal(page.total, expected.length);
      assert.equal(page.limit, 10);
      viaLink.push(...page.tasks.map((d) => d.taskArn));
      const link = res.headers.get('link');
      if (page.nextAfter === null) {
        assert.equal(link, null);
        url = undefined;
      } else {
        const next = new URLSearchParams({ cluster: 'prod', limit: '10', after: page.nextAfter });
        next.append('cluster', 'batch');
        assert.match(link ?? '', /^<\/api\/v1\/tasks\?[^>]+>; rel="next"$/);
        const target = new URL(/^<([^>]+)>/.exec(link!)![1]!, base);
        assert.deepEqual(target.searchParams.getAll('cluster'), ['prod', 'batch']);
        assert.equal(target.searchParams.get('after'), page.nextAfter);
        assert.equal(target.searchParams.get('limit'), '10');
        url = target.href;
      }
    }
    assert.deepEqual(viaLink, expected);

    // Without limit: the default page size; the whole fleet fits.
    const all = (await (await fetch(`${base}/api/v1/tasks`)).json()) as PageBody;
    assert.equal(all.limit, DEFAULT_TASKS_PAGE_SIZE);
    assert.equal(all.tasks.length, 103);

    const head = await fetch(`${base}/api/v1/tasks?limit=1`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('link') ?? '', /after=arn%3Aaws%3Aecs/);
    assert.equal(await head.text(), '');

    for (const [query, error] of [
      ['limit=0', `limit "0" is not a page size, expected an integer from 1 to ${MAX_TASKS_PAGE_SIZE}`],
      [
        'after=web1',
        'after "web1" is not a task ARN, expected the nextAfter of the previous page (arn:aws:ecs:REGION:ACCOUNT:task/…)',
      ],
    ] as const) {
      const res = await fetch(`${base}/api/v1/tasks?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.deepEqual(await res.json(), { error }, query);
    }
  } finally {
    await close(server);
  }
});

test('a large page is streamed: a client that does not read holds back serialisation, and health is answered meanwhile', async () => {
  const view = new MutableView();
  let serialised = 0;
  // 5,000 decisions with an 8 KB label each: about 40 MB of JSON in one page, far more than the
  // socket buffers hold. toJSON counts how many decisions the server has serialised so far.
  view.all = fleet(5_000).map((d) => {
    const padded = {
      ...d,
      containers: d.containers.map((c) => ({
        ...c,
        targets: c.targets.map((t) => ({ ...t, labels: { ...t.labels, pad: 'x'.repeat(8_000) } })),
      })),
    };
    Object.defineProperty(padded, 'toJSON', {
      value: () => {
        serialised++;
        return { ...padded };
      },
    });
    return padded;
  });
  const server = createServer(buildApp({ view, registry: new Registry() }));
  const base = await listen(server);
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${base}/api/v1/tasks?limit=5000`, { agent: false }, resolve).on('error', reject),
    );
    response.pause();
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['transfer-encoding'], 'chunked');
    assert.equal((await fetch(`${base}/-/healthy`)).status, 200);
    let seen = -1;
    const held = await waitUntil(
      'serialisation to wait for the client',
      () => {
        const stalled = serialised === seen;
        seen = serialised;
        return stalled && serialised;
      },
      { everyMs: 200 },
    );
    assert.ok(held < 5_000, `serialised ${held} of 5000 decisions for a client that read nothing`);

    const parts: Buffer[] = [];
    response.on('data', (chunk: Buffer) => parts.push(chunk));
    const ended = new Promise((resolve, reject) => {
      response.on('end', resolve);
      response.on('error', reject);
    });
    response.resume();
    await ended;
    const page = JSON.parse(Buffer.concat(parts).toString('utf8')) as PageBody;
    assert.equal(page.tasks.length, 5_000);
    assert.equal(page.nextAfter, null);
    assert.equal(serialised, 5_000);
  } finally {
    await close(server);
  }
});

test('a client that stops reading holds back the serialisation, and is cut off after the stall timeout', async () => {
  let pulled = 0;
  const items = function* () {
    for (let i = 0; i < 20_000; i++) {
      pulled++;
      yield { i, pad: 'y'.repeat(1_000) };
    }
  };
  let finished: Promise<void> | undefined;
  let response: ServerResponse | undefined;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    response = res;
    finished = writeChunks(res, jsonArrayChunks('[', items(), ']'), 500);
  });
  const base = await listen(server);
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  try {
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.pause();
    await waitUntil('the response started', () => finished !== undefined, { everyMs: 10 });
    await finished;
    // The writer waited for the client instead of serialising all 20,000 items (about 20 MB), then gave up.
    assert.ok(pulled < 20_000, `pulled ${pulled} of 20000 items`);
    assert.equal(response?.destroyed, true);
  } finally {
    socket.destroy();
    await close(server);
  }
});
