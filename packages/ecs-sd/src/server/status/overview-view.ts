/**
 * The Overview: counts first (targets, skipped tasks, clusters by state), then every cluster with
 * its state in colour and words (fresh, or stale since when and why), every source's last refresh
 * and event mode (health, lag), the API rate budget per category, and the file_sd files. Pure.
 */
import type { TaskDecision } from '../../discovery/types.ts';
import { ago, type Html, html, humanDuration, plural } from './html.ts';
import type { BudgetStatus, ClusterStatus, DaemonStatus, SourceStatus } from './model.ts';
import { badge, type Tone } from './parts.ts';
import { NOT_OPTED_IN, skippedWithIntent } from './skips.ts';

/** The totals of a set of decisions. */
export interface DecisionTotals {
  tasks: number;
  tasksWithTargets: number;
  /** Tasks that declared an intent to be scraped but yield no target. */
  skippedTasks: number;
  /** Containers skipped in tasks that have other targets. */
  skippedContainers: number;
  notOptedIn: number;
}

/** Counts the decisions: tasks with targets, skipped with intent, skipped containers, not opted in. */
export function decisionTotals(decisions: readonly TaskDecision[]): DecisionTotals {
  let tasksWithTargets = 0;
  let skippedTasks = 0;
  let skippedContainers = 0;
  let notOptedIn = 0;
  for (const decision of decisions) {
    if (decision.skip?.reason === NOT_OPTED_IN) notOptedIn++;
    const targets = decision.containers.some((container) => container.targets.length > 0);
    if (targets) {
      tasksWithTargets++;
      for (const container of decision.containers) if (container.skips.length > 0) skippedContainers++;
    } else if (skippedWithIntent(decision)) skippedTasks++;
  }
  return {
    tasks: decisions.length,
    tasksWithTargets,
    skippedTasks,
    skippedContainers,
    notOptedIn,
  };
}

const STATE_TONE: Readonly<Record<ClusterStatus['state'], Tone>> = {
  fresh: 'ok',
  stale: 'warn',
  failing: 'bad',
};

function clusterState(cluster: ClusterStatus, nowMs: number): Html {
  const words =
    cluster.state === 'fresh'
      ? 'fresh'
      : cluster.state === 'stale'
        ? 'stale: serving its last targets'
        : 'failing: never read';
  const since =
    cluster.error === undefined
      ? ''
      : html`<div class="muted">since ${ago(cluster.error.sinceMs, nowMs)}</div>`;
  return html`${badge(STATE_TONE[cluster.state], words)}${since}`;
}

function clusterRow(cluster: ClusterStatus, nowMs: number): Html {
  const read = cluster.lastRead;
  const lastRead =
    read === undefined
      ? html`<span class="muted">none yet</span>`
      : html`${ago(read.startedMs, nowMs)}, took ${humanDuration(read.durationMs)}${read.error === undefined ? '' : html` ${badge('bad', 'failed')}`}`;
  const skippedLink = html`<a href="/status/skipped?cluster=${encodeURIComponent(cluster.clusterName)}">${cluster.skippedTasks.toLocaleString('en-US')}</a>`;
  const targetsLink = html`<a href="/status/targets?cluster=${encodeURIComponent(cluster.clusterName)}">${cluster.targets.toLocaleString('en-US')}</a>`;
  return html`<tr data-cluster="${cluster.clusterName}" data-state="${cluster.state}">
<td><b>${cluster.clusterName}</b><div class="muted mono">${cluster.clusterArn}</div></td>
<td>${cluster.source}</td>
<td>${clusterState(cluster, nowMs)}</td>
<td class="error">${cluster.error?.message ?? ''}</td>
<td>${cluster.lastSuccessMs === undefined ? html`<span class="muted">never</span>` : ago(cluster.lastSuccessMs, nowMs)}</td>
<td>${lastRead}</td>
<td class="num">${cluster.tasks.toLocaleString('en-US')}</td>
<td class="num">${targetsLink}</td>
<td class="num">${skippedLink}</td>
</tr>
`;
}

function eventsCell(source: SourceStatus, nowMs: number, refreshIntervalMs: number): Html {
  const events = source.events;
  if (events === undefined)
    return html`<span class="muted">polling every ${humanDuration(refreshIntervalMs)}</span>`;
  const health = events.healthy
    ? badge('ok', 'events: queue readable')
    : badge('bad', `events: queue unreadable, polling every ${humanDuration(refreshIntervalMs)}`);
  const lag =
    events.lastLagSeconds === undefined
      ? html`<div class="muted">no event yet</div>`
      : html`<div>lag ${humanDuration(events.lastLagSeconds * 1000)} (longest of recent ${humanDuration((events.maxRecentLagSeconds ?? 0) * 1000)}), last event ${ago(events.lastEventMs ?? nowMs, nowMs)}</div>`;
  const error =
    events.lastError === undefined
      ? ''
      : html`<div class="error">${plural(events.consecutiveFailures, 'failed receive')} in a row: ${events.lastError}</div>`;
  return html`${health}${lag}<div class="muted">${plural(events.received, 'message')} received; full poll every ${humanDuration(events.reconcileIntervalMs)}</div>${error}<div class="muted mono">${events.queueUrl}</div>`;
}

function sourceRow(source: SourceStatus, status: DaemonStatus): Html {
  const last = source.lastRefresh;
  const refresh =
    last === undefined
      ? html`<span class="muted">none yet</span>`
      : html`${ago(last.startedMs, status.nowMs)}, took ${humanDuration(last.durationMs)}<div class="muted">${last.full ? 'full' : 'some clusters'}: ${plural(last.clustersRead, 'cluster')} read${last.failures > 0 ? html`, <span class="error">${plural(last.failures, 'failure')}</span>` : ''}</div>`;
  const select =
    source.selectError === undefined
      ? ''
      : html`${badge('bad', 'cannot select clusters')} <span class="muted">since ${ago(source.selectError.sinceMs, status.nowMs)}</span><div class="error">${source.selectError.message}</div>`;
  return html`<tr data-source="${source.name}">
<td><b>${source.name}</b></td>
<td>${source.region ?? html`<span class="muted">from the SDK</span>`}</td>
<td>${refresh}${select}</td>
<td>${eventsCell(source, status.nowMs, status.refreshIntervalMs)}</td>
</tr>
`;
}

function budgetRows(budget: BudgetStatus): Html {
  return html`${budget.categories.map((bucket) => {
    const backingOff = bucket.refillPerSecond < bucket.configuredRefillPerSecond;
    const state = backingOff
      ? badge('warn', 'backing off after throttles')
      : bucket.waiting > 0
        ? badge('warn', `${bucket.waiting} waiting`)
        : badge('ok', 'ok');
    return html`<tr data-budget="${budget.name}" data-category="${bucket.category}">
<td class="mono">${budget.name}</td><td class="mono">${bucket.category}</td><td>${state}</td>
<td class="num">${bucket.tokens.toFixed(1)} / ${bucket.burst}</td>
<td class="num">${round(bucket.refillPerSecond)}/s${backingOff ? html` <span class="muted">(of ${round(bucket.configuredRefillPerSecond)}/s)</span>` : ''}</td>
<td class="num">${bucket.waiting}</td><td class="num">${humanDuration(bucket.waitSeconds * 1000)}</td>
<td class="num">${bucket.granted.toLocaleString('en-US')}</td><td class="num">${bucket.throttles.toLocaleString('en-US')}</td>
</tr>
`;
  })}`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** The Overview's content. */
export function renderOverview(status: DaemonStatus, totals: DecisionTotals, targets: number): Html {
  const count = (state: ClusterStatus['state']) => status.clusters.filter((c) => c.state === state).length;
  const stale = count('stale');
  const failing = count('failing');
  const troubled = status.clusters.filter((c) => c.state !== 'fresh');
  const banner =
    troubled.length === 0
      ? ''
      : html`<p class="banner ${failing > 0 ? 'bad' : 'warn'}" role="alert"><b>${plural(troubled.length, 'cluster')} not fresh:</b> ${troubled.map((c, i) => html`${i > 0 ? ', ' : ''}${c.clusterName} (${c.state})`)}. Each keeps its last good targets; the table says since when and why.</p>`;
  const files = status.files.filter((file) => !file.ok);
  return html`<h1>Overview</h1>
${banner}<ul class="counts">
<li><b data-count="targets">${targets.toLocaleString('en-US')}</b><span>targets from ${plural(totals.tasksWithTargets, 'task')}</span> <a href="/status/targets">list</a></li>
<li class="${totals.skippedTasks > 0 ? 'warn' : ''}"><b data-count="skipped">${totals.skippedTasks.toLocaleString('en-US')}</b><span>tasks skipped${totals.skippedContainers > 0 ? ` (+ ${plural(totals.skippedContainers, 'container')} of tasks with targets)` : ''}</span> <a href="/status/skipped">why</a></li>
<li><b>${totals.notOptedIn.toLocaleString('en-US')}</b><span>tasks not opted in</span></li>
<li class="${failing > 0 ? 'bad' : stale > 0 ? 'warn' : ''}"><b data-count="clusters">${status.clusters.length}</b><span>clusters: ${count('fresh')} fresh, ${stale} stale, ${failing} failing</span></li>
<li class="${files.length > 0 ? 'bad' : ''}"><b>${status.files.length - files.length} / ${status.files.length}</b><span>file_sd files written</span></li>
</ul>
<h2>Clusters</h2>
<table id="clusters">
<thead><tr><th>Cluster</th><th>Source</th><th>State</th><th>Last error</th><th>Last success</th><th>Last read</th><th class="num">Tasks</th><th class="num">Targets</th><th class="num">Skipped</th></tr></thead>
<tbody>
${status.clusters.length === 0 ? html`<tr><td colspan="9" class="muted">no cluster read yet</td></tr>` : status.clusters.map((c) => clusterRow(c, status.nowMs))}</tbody>
</table>
<h2>Sources</h2>
<table id="sources">
<thead><tr><th>Source</th><th>Region</th><th>Last refresh</th><th>Event mode</th></tr></thead>
<tbody>
${status.sources.map((source) => sourceRow(source, status))}</tbody>
</table>
<h2>API rate budget</h2>
<p class="muted">ecs-sd's own share of AWS's throttling buckets, per account (or role) and Region: calls wait for a token instead of being throttled.</p>
<table id="budgets">
<thead><tr><th>Budget</th><th>Category</th><th>State</th><th class="num">Tokens</th><th class="num">Refill</th><th class="num">Waiting</th><th class="num">Waited in all</th><th class="num">Calls</th><th class="num">Throttles</th></tr></thead>
<tbody>
${status.budgets.length === 0 ? html`<tr><td colspan="9" class="muted">no AWS call made yet</td></tr>` : status.budgets.map(budgetRows)}</tbody>
</table>
<h2>file_sd files</h2>
${
  status.files.length === 0
    ? html`<p class="muted">none written (http_sd only, or no discovery yet)</p>`
    : html`<table id="files"><thead><tr><th>File</th><th>State</th><th>Why</th></tr></thead><tbody>
${status.files.map(
  (
    file,
  ) => html`<tr><td class="mono">${file.file}</td><td>${file.ok ? badge('ok', 'written') : html`${badge('bad', 'not written')}${file.failingSinceMs === undefined ? '' : html`<div class="muted">since ${ago(file.failingSinceMs, status.nowMs)}</div>`}`}</td><td class="error">${file.message ?? ''}</td></tr>
`,
)}</tbody></table>`
}`;
}
