/**
 * The Pools view: each scraper pool, its members (ECS tasks with their addresses, static names),
 * the share of targets each scrapes, the replication and how old the assignment is, and the
 * http_sd URL a member reads. Pure: renders from the assignments it is given.
 */
import type { PoolAssignment } from '../../pools/pool-assignments.ts';
import { ago, type Html, html, plural } from './html.ts';
import { badge, taskPath } from './parts.ts';

/** The path of the Pools view. */
export const POOLS_PATH = '/status/pools';

function memberRows(assignment: PoolAssignment): Html[] {
  const fair = assignment.members.length === 0 ? 0 : assignment.targets / assignment.members.length;
  return assignment.members.map((member) => {
    const count = assignment.perMember.get(member.id) ?? 0;
    const who =
      member.taskArn === undefined
        ? html`<span class="mono">${member.id}</span>`
        : html`<a class="mono" href="${taskPath(member.taskArn)}" title="${member.taskArn}">${member.id}</a>`;
    return html`<tr data-member="${member.id}">
<td>${who}</td>
<td>${member.kind === 'ecs' ? 'ECS task' : 'static'}</td>
<td class="mono">${member.privateIpv4 ?? ''}</td>
<td data-targets="${count}">${count.toLocaleString('en-US')}${fair > 0 ? html` <span class="muted">(${Math.round((count / fair) * 100)}% of an even share)</span>` : ''}</td>
</tr>
`;
  });
}

function poolSection(assignment: PoolAssignment, nowMs: number): Html {
  const { pool } = assignment;
  const where = pool.ecs;
  const source =
    where === undefined
      ? ''
      : html`RUNNING tasks of ${where.service === undefined ? html`family <code>${where.family}</code>` : html`service <code>${where.service}</code>`} in cluster <code>${where.cluster}</code> (source <code>${where.source}</code>)`;
  const statics =
    pool.staticMembers.length === 0
      ? ''
      : html`${source === '' ? '' : ' and '}${plural(pool.staticMembers.length, 'static name')}`;
  const selects = [
    pool.targets.jobs && `job ${pool.targets.jobs.join(', ')}`,
    pool.targets.intervals && `interval ${pool.targets.intervals.join(', ')}`,
    pool.targets.clusters && `cluster ${pool.targets.clusters.join(', ')}`,
  ].filter((part) => part !== undefined);
  const state =
    assignment.members.length === 0
      ? badge('bad', 'no members: nobody scrapes its targets')
      : assignment.members.length < pool.replication
        ? badge('warn', `fewer members than replication ${pool.replication}: each scrapes every target`)
        : badge('ok', `${plural(assignment.members.length, 'member')}`);
  return html`<section class="pool" data-pool="${pool.name}">
<h2>Pool <code>${pool.name}</code> ${state}</h2>
<dl class="facts">
<dt>members</dt><dd>${source}${statics}</dd>
<dt>targets</dt><dd data-count="targets">${assignment.targets.toLocaleString('en-US')}${selects.length > 0 ? html` <span class="muted">(${selects.join('; ')})</span>` : html` <span class="muted">(every target)</span>`}</dd>
<dt>replication</dt><dd>${pool.replication}: each target is scraped by ${plural(Math.min(pool.replication, Math.max(1, assignment.members.length)), 'member')}</dd>
<dt>assignment changed</dt><dd>${ago(assignment.changedAtMs, nowMs)}</dd>
<dt>http_sd</dt><dd><code>/http-sd?pool=${pool.name}&amp;member=ID</code> <span class="muted">(a member task may leave out member=: it is known by its address)</span></dd>
</dl>
<table class="members">
<thead><tr><th>Member</th><th>Kind</th><th>Private IP</th><th>Targets it scrapes</th></tr></thead>
<tbody>
${assignment.members.length === 0 ? html`<tr><td colspan="4" class="muted">no member is RUNNING</td></tr>` : memberRows(assignment)}</tbody>
</table>
</section>
`;
}

/** The Pools view's content. */
export function renderPools(assignments: ReadonlyMap<string, PoolAssignment>, nowMs: number): Html {
  if (assignments.size === 0) {
    return html`<h1>Pools</h1>
<p class="muted">No scraper pool is configured. A pool shares the targets among several scrapers (agent-mode Prometheus, vmagent), each reading its share from <code>/http-sd?pool=NAME&amp;member=ID</code>: see <code>pools</code> in docs/pools.md.</p>`;
  }
  return html`<h1>Pools</h1>
<p class="muted">Each target of a pool is scraped by the member(s) of highest rendezvous weight; a member that stops loses its share at once, and the survivors take it on their next http_sd refresh.</p>
${[...assignments.values()].map((assignment) => poolSection(assignment, nowMs))}`;
}
