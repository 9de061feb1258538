/**
 * The status page's views rendered from fixed daemon state: the right rows under the right
 * headings, filters and server-side paging, a task found by id, ARN or search, and every value a
 * team writes into a task definition rendered as text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecision } from '../../../src/discovery/format.ts';
import type { TaskDecision } from '../../../src/discovery/types.ts';
import { escapeHtml, html } from '../../../src/server/status/html.ts';
import { statusRoutes } from '../../../src/server/status/routes.ts';
import type { StatusView } from '../../../src/server/status/view-registry.ts';
import { statusViews } from '../../../src/server/status/views.ts';
import { decision } from '../../output/fixtures.ts';
import { fixedView, fixtureDecisions, fixtureStatus, HOSTILE, NOW_MS, serviceTarget } from './fixtures.ts';

function routes(decisions: TaskDecision[] = fixtureDecisions(), views?: StatusView[]) {
  return statusRoutes({
    view: fixedView(decisions),
    status: { status: fixtureStatus },
    endpoints: [['/http-sd', 'http_sd']],
    version: '9.9.9',
    now: () => NOW_MS,
    ...(views === undefined ? {} : { views }),
  });
}

function get(path: string, query = '', decisions?: TaskDecision[]) {
  const reply = routes(decisions).handle(path, new URLSearchParams(query));
  return { status: reply.status, body: reply.body, headers: reply.headers ?? {} };
}

/** The `data-` attribute values of the rows of a class, in page order. */
function rows(body: string, cls: string, attribute: string): string[] {
  const pattern = new RegExp(`<tr class="${cls}"[^>]* ${attribute}="([^"]*)"`, 'g');
  return [...body.matchAll(pattern)].map((match) => match[1]!);
}

/** The group headings' text, in page order. */
function headings(body: string): string[] {
  return [...body.matchAll(/<tr class="group"[^>]*><th colspan="\d">(.*?)<\/th><\/tr>/g)].map((m) =>
    m[1]!.replace(/<[^>]+>/g, ''),
  );
}

describe('Overview', () => {
  const { status, body } = get('/');

  it('counts first: targets, skipped tasks, not opted in, clusters by state, files', () => {
    assert.equal(status, 200);
    assert.match(body, /<b data-count="targets">4<\/b><span>targets from 4 tasks<\/span>/);
    assert.match(
      body,
      /<b data-count="skipped">2<\/b><span>tasks skipped \(\+ 1 container of tasks with targets\)/,
    );
    assert.match(body, /<b>1<\/b><span>tasks not opted in<\/span>/);
    assert.match(body, /<b data-count="clusters">3<\/b><span>clusters: 1 fresh, 1 stale, 1 failing<\/span>/);
    assert.match(body, /<b>1 \/ 2<\/b><span>file_sd files written<\/span>/);
    assert.ok(
      body.indexOf('data-count="targets"') < body.indexOf('id="clusters"'),
      'counts come before the tables',
    );
  });

  it('shows each cluster with its state in colour and words, since when and why', () => {
    assert.deepEqual(rows(body, '', 'data-cluster'), []);
    assert.deepEqual(
      [...body.matchAll(/<tr data-cluster="([^"]+)" data-state="([^"]+)">/g)].map((m) => `${m[1]}:${m[2]}`),
      ['gone:failing', 'prod:stale', 'staging:fresh'],
    );
    const prod = body.slice(
      body.indexOf('<tr data-cluster="prod"'),
      body.indexOf('<tr data-cluster="staging"'),
    );
    assert.match(prod, /<span class="badge warn">stale: serving its last targets<\/span>/);
    assert.match(prod, /since <time datetime="2026-01-02T02:59:05.000Z"[^>]*>5 min 0 s ago<\/time>/);
    assert.ok(
      prod.includes(
        escapeHtml('AccessDeniedException: User: arn:aws:iam::123456789012:user/x is not authorized'),
      ),
    );
    assert.match(prod, /took 80 ms/);
    assert.match(body, /<span class="badge bad">failing: never read<\/span>/);
    assert.match(body, /<span class="badge ok">fresh<\/span>/);
    assert.match(body, /2 clusters not fresh:<\/b> gone \(failing\), prod \(stale\)/);
  });

  it("shows each source's last refresh and event mode's health, error and lag", () => {
    assert.match(body, /<tr data-source="eu">[\s\S]*?took 1\.2 s[\s\S]*?2 failures/);
    assert.match(body, /events: queue unreadable, polling every 30 s/);
    assert.match(
      body,
      /5 failed receives in a row: AccessDenied: not authorized to perform sqs:ReceiveMessage/,
    );
    assert.match(body, /lag 1\.5 s \(longest of recent 7\.0 s\), last event <time[^>]*>1 min 30 s ago/);
    assert.match(body, /<tr data-source="us">[\s\S]*?none yet[\s\S]*?polling every 30 s/);
  });

  it('shows the API budget per category: tokens, refill, waits', () => {
    const row = body.slice(body.indexOf('data-category="ecs_cluster_resource_read"'));
    assert.match(row, /backing off after throttles/);
    assert.match(row, /3\.5 \/ 50/);
    assert.match(row, /5\/s <span class="muted">\(of 10\/s\)<\/span>/);
    assert.match(row, /<td class="num">2<\/td><td class="num">13 s<\/td>/);
    assert.match(body, /data-category="ecs_cluster_read">[\s\S]*?<span class="badge ok">ok<\/span>/);
  });

  it('shows a file_sd file that is not written, since when and why', () => {
    assert.match(
      body,
      /15s-tasks\.json<\/td><td><span class="badge bad">not written<\/span><div class="muted">since <time[^>]*>2 min 0 s ago/,
    );
    assert.match(body, /no space left on device/);
  });

  it('links the other endpoints, and says so while discovery is not ready', () => {
    assert.ok(body.includes('<a href="/http-sd">/http-sd</a>'));
    assert.ok(!body.includes('Not ready'));
    const notReady = statusRoutes({ view: fixedView([], false), endpoints: [] }).handle(
      '/',
      new URLSearchParams(),
    );
    assert.match(notReady.body, /<b>Not ready:<\/b> no discovery has completed yet/);
  });
});

describe('Targets', () => {
  it('groups targets by job and interval, each with its endpoint, labels, container and task', () => {
    const { body } = get('/status/targets');
    assert.deepEqual(headings(body), [
      'job api · every 1m · 1 target',
      'job evil · every 1m · 1 target',
      'job web · every 15s · 2 targets',
    ]);
    assert.deepEqual(rows(body, 'target', 'data-task-id'), ['bbbb0001', 'cccc0001', 'aaaa0001', 'aaaa0002']);
    const web1 = body.slice(body.indexOf('data-task-id="aaaa0001"'));
    assert.match(web1, /<td class="mono">http:\/\/10\.0\.0\.1:9100\/metrics<\/td>/);
    assert.match(web1, /<span class="label">job="web"<\/span>/);
    assert.match(web1, /<span class="label muted">__metrics_path__="\/metrics"<\/span>/);
    assert.match(web1, /\+ <a href="\/status\/tasks\/arn%3A[^"]+aaaa0001">2 discovered labels<\/a>/);
    assert.match(web1, /<td>app<\/td>/);
    assert.match(
      web1,
      /href="\/status\/tasks\/arn%3Aaws%3Aecs%3Aeu-west-1%3A123456789012%3Atask%2Fprod%2Faaaa0001"/,
    );
    assert.match(
      web1,
      /href="https:\/\/eu-west-1\.console\.aws\.amazon\.com\/ecs\/v2\/clusters\/prod\/tasks\/aaaa0001\?region=eu-west-1"/,
    );
  });

  it('filters by cluster, service, family and text (case-insensitive)', () => {
    const ids = (query: string) => rows(get('/status/targets', query).body, 'target', 'data-task-id');
    assert.deepEqual(ids('cluster=staging'), ['cccc0001']);
    assert.deepEqual(ids('service=web'), ['aaaa0001', 'aaaa0002']);
    assert.deepEqual(ids('family=api'), ['bbbb0001']);
    assert.deepEqual(ids('q=10.0.0.2'), ['aaaa0002']);
    assert.deepEqual(ids('q=SCRIPT'), ['cccc0001']);
    assert.deepEqual(
      ids(`q=${encodeURIComponent('alert("owned")')}`),
      ['cccc0001'],
      'text is literal, not a pattern',
    );
    assert.deepEqual(ids(`q=${encodeURIComponent('[(.*')}`), []);
    assert.deepEqual(ids('cluster=prod&service=web&q=aaaa0001'), ['aaaa0001']);
    assert.deepEqual(ids('cluster=&service=&family=&q='), ['bbbb0001', 'cccc0001', 'aaaa0001', 'aaaa0002']);
    assert.match(get('/status/targets', 'cluster=nowhere').body, /no target matches/);
  });

  it('pages on the server: 100 rows a page, group counts over every page, links keeping the filters', () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      decision({
        cluster: 'big',
        taskId: `t${String(i).padStart(4, '0')}`,
        targets: [
          serviceTarget({
            cluster: 'big',
            family: i < 150 ? 'a' : 'b',
            taskId: `t${String(i).padStart(4, '0')}`,
            ip: `10.1.${i >> 8}.${i & 255}`,
          }),
        ],
      }),
    );
    const page = (query: string) => get('/status/targets', query, many).body;
    const first = page('cluster=big');
    assert.equal(rows(first, 'target', 'data-task-id').length, 100);
    assert.deepEqual(headings(first), ['job a · every 1m · 150 targets']);
    assert.match(first, /1–100 of 250 targets · page 1 of 3/);
    assert.match(first, /<a href="\/status\/targets\?cluster=big&amp;page=2" rel="next">/);
    const second = page('cluster=big&page=2');
    assert.deepEqual(headings(second), ['job a · every 1m · 150 targets', 'job b · every 1m · 100 targets']);
    assert.match(second, /101–200 of 250 targets · page 2 of 3/);
    const last = page('cluster=big&page=3');
    assert.equal(rows(last, 'target', 'data-task-id').length, 50);
    assert.equal(
      rows(page('page=99'), 'target', 'data-task-id').at(-1),
      't0249',
      'a page past the end shows the last',
    );
  });

  it('answers a bad query with 400 naming the parameter', () => {
    const unknown = get('/status/targets', 'job=web');
    assert.equal(unknown.status, 400);
    assert.match(
      unknown.body,
      /unknown query parameter &quot;job&quot;, expected one of cluster, service, family, q, page/,
    );
    assert.match(
      get('/status/targets', 'page=0').body,
      /page &quot;0&quot; is not a page number, expected an integer from 1/,
    );
    assert.match(get('/status/targets', 'q=a&q=b').body, /q is given 2 times, expected it once/);
  });
});

describe('Skipped', () => {
  const { body } = get('/status/skipped');

  it('lists every task or container that meant to be scraped, grouped by reason, with explain’s message', () => {
    assert.deepEqual(headings(body), [
      'task-not-running · 1 skip — containers are looked at once the task runs',
      'port-not-a-number · 1 skip — the declared port is not a port number',
      'invalid-label-value · 1 skip — a label value cannot be used',
    ]);
    assert.deepEqual(rows(body, 'skip', 'data-task-id'), ['ffff0001', 'dddd0001', 'cccc0001']);
    const billing = body.slice(body.indexOf('data-task-id="dddd0001"'));
    assert.match(billing, /<td class="message">PROMETHEUS_PORT=&quot;91OO&quot; is not a port number<\/td>/);
    assert.match(
      billing,
      /href="\/status\/tasks\/arn%3Aaws%3Aecs%3Aeu-west-1%3A123456789012%3Atask%2Fprod%2Fdddd0001"/,
    );
    assert.match(body, /1 task declared nothing to scrape/);
    assert.ok(!body.includes('eeee0001'), 'a task that declared nothing is counted, not listed');
  });

  it('filters by reason, cluster and text', () => {
    const ids = (query: string) => rows(get('/status/skipped', query).body, 'skip', 'data-task-id');
    assert.deepEqual(ids('reason=port-not-a-number'), ['dddd0001']);
    assert.deepEqual(ids('cluster=staging'), ['cccc0001']);
    assert.deepEqual(ids('q=91oo'), ['dddd0001']);
    assert.deepEqual(ids('q=sidecar'), ['cccc0001']);
  });
});

describe('Task detail', () => {
  const billing = fixtureDecisions().find((d) => d.taskId === 'dddd0001')!;

  it('says everything explain says, by id or ARN', () => {
    for (const path of [
      '/status/tasks/dddd0001',
      `/status/tasks/${encodeURIComponent(billing.taskArn)}`,
      `/status/tasks/${billing.taskArn}`,
    ]) {
      const { status, body } = get(path);
      assert.equal(status, 200, path);
      assert.match(body, /<h1>Task <span class="mono">dddd0001<\/span><\/h1>/);
      assert.match(body, /<span class="badge bad">not a target: port-not-a-number<\/span>/);
      assert.match(
        body,
        /<li data-reason="port-not-a-number"><span class="badge bad">skipped<\/span> <code>port-not-a-number<\/code>: PROMETHEUS_PORT=&quot;91OO&quot; is not a port number<\/li>/,
      );
      assert.ok(body.includes(`<pre id="explain">${escapeHtml(formatDecision(billing))}</pre>`));
      assert.match(
        body,
        /href="https:\/\/eu-west-1\.console\.aws\.amazon\.com\/ecs\/v2\/clusters\/prod\/tasks\/dddd0001\?region=eu-west-1"/,
      );
    }
  });

  it('finds a task from the search box by id, ARN or a part that only it has', () => {
    for (const q of ['dddd0001', billing.taskArn, 'dddd', ' dddd0001 ']) {
      const { status, body } = get('/status/tasks', `q=${encodeURIComponent(q)}`);
      assert.equal(status, 200, q);
      assert.match(body, /<h1>Task <span class="mono">dddd0001<\/span>/, q);
      assert.match(
        body,
        /<input id="task-search" type="search" name="q" value="[^"]*dddd/,
        'the box keeps the search',
      );
    }
  });

  it('answers 404 for an unknown task, with the tasks that contain the text', () => {
    const { status, body } = get('/status/tasks', 'q=aaaa');
    assert.equal(status, 404);
    assert.match(body, /task "aaaa" is unknown, expected the id or ARN of a task discovery has seen/);
    assert.equal([...body.matchAll(/<li><a class="mono" href="\/status\/tasks\//g)].length, 2);
    assert.match(get('/status/tasks', 'q=zzzz').body, /No task id or ARN contains it/);
    assert.match(get('/status/tasks').body, /<h1>Find a task<\/h1>/);
    assert.equal(get('/status/tasks/%E0%A4%A').status, 400);
  });
});

describe('values a team writes are text, never markup', () => {
  const escaped = escapeHtml(HOSTILE);
  const pages = {
    targets: get('/status/targets').body,
    task: get('/status/tasks/cccc0001').body,
    skipped: get('/status/skipped').body,
    search: get('/status/tasks', `q=${encodeURIComponent(HOSTILE)}`).body,
    bad: get('/status/targets', `${encodeURIComponent(HOSTILE)}=1`).body,
  };

  for (const [name, body] of Object.entries(pages)) {
    it(`renders <script> in a label as text on the ${name} page`, () => {
      assert.ok(!body.includes('<script>alert'), 'no script element from a label');
      assert.ok(!body.includes('<img src=x'), 'no element from a docker label');
      assert.equal(body.match(/<script/g)?.length, 1, "only the page's own script element");
      assert.ok(body.includes('&lt;script&gt;alert('), 'the value is shown, escaped');
    });
  }

  it('shows the hostile values themselves, escaped', () => {
    assert.ok(pages.task.includes(`team="${escaped}"`));
    assert.ok(pages.task.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'));
  });
});

describe('the view registry', () => {
  it('takes a new view (say, scrapers): it answers its path and joins the navigation', () => {
    const pools: StatusView = {
      path: '/status/scrapers',
      nav: 'Scrapers',
      params: ['member'],
      render: ({ values }) => ({
        status: 200,
        title: 'Scrapers',
        body: html`<h1>Scrapers ${values.get('member') ?? 'all'}</h1>`,
      }),
    };
    const withPools = routes(fixtureDecisions(), [...statusViews(), pools]);
    const overview = withPools.handle('/', new URLSearchParams()).body;
    assert.match(overview, /<nav aria-label="views">.*<a href="\/status\/scrapers">Scrapers<\/a><\/nav>/);
    assert.ok(withPools.owns('/status/scrapers'));
    const page = withPools.handle('/status/scrapers', new URLSearchParams('member=2'));
    assert.match(page.body, /<h1>Scrapers 2<\/h1>/);
    assert.match(page.body, /<a href="\/status\/scrapers" aria-current="page">Scrapers<\/a>/);
    assert.ok(withPools.paths.includes('/status/scrapers'));
  });
});
