/** The Pools view and a task's "scraped by", rendered from fixed assignments. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolConfig } from '../../../src/config/types.ts';
import { PoolAssignments } from '../../../src/pools/pool-assignments.ts';
import { statusRoutes } from '../../../src/server/status/routes.ts';
import { fixedView, fixtureDecisions, fixtureStatus, NOW_MS } from './fixtures.ts';

const POOL: PoolConfig = {
  name: 'agents',
  ecs: { source: 'eu', cluster: 'monitoring', family: 'prometheus-agent' },
  staticMembers: ['scraper-a', 'scraper-b'],
  replication: 1,
  targets: {},
};

function routes(pools: readonly PoolConfig[]) {
  const view = fixedView(fixtureDecisions());
  const assignments = new PoolAssignments({ now: () => NOW_MS - 90_000 });
  return {
    view,
    routes: statusRoutes({
      view,
      status: { status: fixtureStatus },
      endpoints: [['/http-sd', 'http_sd']],
      now: () => NOW_MS,
      pools: () => assignments.current({ pools, targets: view.targets(), decisions: view.decisions() }),
    }),
  };
}

describe('the Pools view', () => {
  it('shows each pool: members, the targets each scrapes, replication, assignment age, the http_sd URL', () => {
    const { routes: r, view } = routes([POOL]);
    const reply = r.handle('/status/pools', new URLSearchParams());
    assert.equal(reply.status, 200);
    const body = reply.body;
    assert.match(body, /<a href="\/status\/pools" aria-current="page">Pools<\/a>/);
    assert.match(body, /<section class="pool" data-pool="agents">/);
    assert.match(
      body,
      /RUNNING tasks of family <code>prometheus-agent<\/code> in cluster <code>monitoring<\/code>/,
    );
    const total = view.targets().length;
    assert.match(body, new RegExp(`<dd data-count="targets">${total}`));
    const counts = [...body.matchAll(/<tr data-member="(scraper-[ab])">[\s\S]*?data-targets="(\d+)"/g)].map(
      (m) => [m[1], Number(m[2])],
    );
    assert.equal(counts.length, 2);
    assert.equal(
      counts.reduce((sum, [, n]) => sum + (n as number), 0),
      total,
    );
    assert.match(body, /<dt>assignment changed<\/dt><dd><time [^>]*>1 min 30 s ago<\/time>/);
    assert.match(body, /\/http-sd\?pool=agents&amp;member=ID/);
  });

  it('/api/v1/status gives each pool with its members and their shares', () => {
    const { routes: r, view } = routes([POOL]);
    const status = JSON.parse(r.handle('/api/v1/status', new URLSearchParams()).body) as {
      pools: {
        name: string;
        targets: number;
        replication: number;
        members: { id: string; kind: string; targets: number }[];
      }[];
    };
    const [pool] = status.pools;
    assert.equal(pool!.name, 'agents');
    assert.equal(pool!.targets, view.targets().length);
    assert.deepEqual(
      pool!.members.map((m) => [m.id, m.kind]),
      [
        ['scraper-a', 'static'],
        ['scraper-b', 'static'],
      ],
    );
    assert.equal(
      pool!.members.reduce((n, m) => n + m.targets, 0),
      view.targets().length,
    );
    const none = JSON.parse(routes([]).routes.handle('/api/v1/status', new URLSearchParams()).body) as object;
    assert.equal('pools' in none, false);
  });

  it('says when no pool is configured, and a task detail says which member scrapes each target', () => {
    const none = routes([]).routes.handle('/status/pools', new URLSearchParams()).body;
    assert.match(none, /No scraper pool is configured/);
    const { routes: r, view } = routes([POOL]);
    const task = view.decisions().find((d) => d.containers.some((c) => c.targets.length > 0))!;
    const page = r.handle(`/status/tasks/${task.taskId}`, new URLSearchParams()).body;
    assert.match(page, /<h2>Scraped by<\/h2>/);
    assert.match(
      page,
      /pool <code>agents<\/code>: <span class="mono">[^<]+<\/span> by <a class="mono" href="\/status\/pools">scraper-[ab]<\/a>/,
    );
    assert.match(page, / {2}pool &quot;agents&quot;: \S+ scraped by member scraper-[ab]/);
  });
});
