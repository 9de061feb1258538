/**
 * A task's detail: everything `explain` says about it (facts, per container its targets with every
 * label, its skips, labels left out at the limits, notes), with its console link and the explain
 * text itself; and the answer of a search that finds no task. Pure.
 */
import { formatDecision } from '../../discovery/format.ts';
import { taskSkipReason } from '../../discovery/task-skip.ts';
import type { TaskDecision } from '../../discovery/types.ts';
import { type ScrapedBy, scrapedByLines } from '../../pools/scraped-by.ts';
import { type Html, html, plural } from './html.ts';
import { badge, consoleLink, endpointOf, labelChips, labelClasses, taskLink } from './parts.ts';
import { POOLS_PATH } from './pools-view.ts';
import { literal } from './targets.ts';

/** Tasks a search that matched none exactly suggests, at most. */
export const MAX_SUGGESTIONS = 20;

/** Tasks whose id or ARN contains `text`, case-insensitively, at most MAX_SUGGESTIONS. */
export function suggestTasks(decisions: readonly TaskDecision[], text: string): TaskDecision[] {
  const needle = literal(text);
  const found: TaskDecision[] = [];
  for (const decision of decisions) {
    if (needle.test(decision.taskArn)) found.push(decision);
    if (found.length >= MAX_SUGGESTIONS) break;
  }
  return found;
}

function verdict(decision: TaskDecision): Html {
  const targets = decision.containers.reduce((n, c) => n + c.targets.length, 0);
  if (targets > 0) return badge('ok', `a target: ${plural(targets, 'endpoint')} scraped`);
  const reason = taskSkipReason(decision) ?? 'no-container-opted-in';
  if (reason === 'no-container-opted-in') return badge('warn', 'not a target: no container opted in');
  return badge('bad', `not a target: ${reason}`);
}

function containerSection(decision: TaskDecision, index: number): Html {
  const container = decision.containers[index]!;
  const n = container.targets.length;
  const targets = container.targets.map((target) => {
    const { visible, scrape, meta } = labelClasses(target);
    return html`<tr class="target"><td class="mono">${endpointOf(target)}<div class="muted">${target.convention} · job ${target.job} · every ${target.interval}</div></td>
<td>${labelChips(target.labels, visible)}<div class="muted">scrape settings</div>${labelChips(target.labels, scrape)}<div class="muted">discovered labels</div>${labelChips(target.labels, meta)}</td></tr>
`;
  });
  const lines = [
    ...container.skips.map(
      (skip) =>
        html`<li data-reason="${skip.reason}">${badge('bad', 'skipped')} <code>${skip.reason}</code>: ${skip.message}</li>`,
    ),
    ...(container.bounded ?? []).map(
      (bound) =>
        html`<li>${badge('warn', 'labels left out')} <code>${bound.reason}</code>: ${bound.message}</li>`,
    ),
    ...(container.notes ?? []).map((note) => html`<li><span class="muted">note:</span> ${note}</li>`),
  ];
  if (n === 0 && lines.length === 0 && decision.skip === undefined)
    lines.push(html`<li class="muted">not opted in by any enabled convention</li>`);
  return html`<h3>Container <code>${container.containerName}</code>: ${n === 0 ? 'not a target' : plural(n, 'target')}</h3>
${lines.length === 0 ? '' : html`<ul>${lines}</ul>`}${
  n === 0
    ? ''
    : html`<table><thead><tr><th>Endpoint</th><th>Labels Prometheus sees</th></tr></thead><tbody>${targets}</tbody></table>`
}`;
}

/** A task's detail. */
export function renderTask(decision: TaskDecision, scrapers: readonly ScrapedBy[] = []): Html {
  const facts: [string, Html | string][] = [
    ['task ARN', html`<span class="mono">${decision.taskArn || '(no taskArn)'}</span>`],
    ['cluster', decision.clusterName],
    ['source', decision.source],
    ['lastStatus', decision.lastStatus || '(none)'],
  ];
  if (decision.launchType) facts.push(['launchType', decision.launchType]);
  if (decision.networkMode) facts.push(['networkMode', decision.networkMode]);
  if (decision.taskDefinitionArn)
    facts.push(['taskDefinitionArn', html`<span class="mono">${decision.taskDefinitionArn}</span>`]);
  const console = consoleLink(decision);
  if (console !== '') facts.push(['AWS console', console]);
  return html`<h1>Task <span class="mono">${decision.taskId || '(no id)'}</span></h1>
<p data-verdict>${verdict(decision)}${decision.skip === undefined ? '' : html` <span class="message" data-reason="${decision.skip.reason}">${decision.skip.message}</span>`}</p>
${decision.incomplete ? html`<p class="banner info">Incomplete: looked at again next refresh, it may become a target without the task changing.</p>` : ''}
<dl class="facts">${facts.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>
${decision.containers.map((_, index) => containerSection(decision, index))}
${
  scrapers.length === 0
    ? ''
    : html`<h2>Scraped by</h2>
<ul id="scraped-by">${scrapers.map((entry) => html`<li data-pool="${entry.pool}">pool <code>${entry.pool}</code>: <span class="mono">${entry.address}</span> by ${entry.members.length === 0 ? html`<span class="muted">nobody (no members)</span>` : entry.members.map((id, at) => html`${at > 0 ? ', ' : ''}<a class="mono" href="${POOLS_PATH}">${id}</a>`)}</li>`)}</ul>`
}
<h2>As <code>ecs-sd explain</code> says it</h2>
<pre id="explain">${[formatDecision(decision), ...scrapedByLines(scrapers)].join('\n')}</pre>`;
}

/** The answer of a search that found no task: what was asked, and tasks whose id or ARN contains it. */
export function renderNotFound(text: string, suggestions: readonly TaskDecision[]): Html {
  return html`<h1>No task "${text}"</h1>
<p class="banner warn" role="alert">task "${text}" is unknown, expected the id or ARN of a task discovery has seen (in any cluster it reads).</p>
${
  suggestions.length === 0
    ? html`<p class="muted">No task id or ARN contains it.</p>`
    : html`<h2>Tasks whose id or ARN contains it</h2><ul id="suggestions">${suggestions.map((d) => html`<li>${taskLink(d)} <span class="muted">${d.clusterName}</span></li>`)}</ul>`
}`;
}

/** The search page without a query. */
export function renderSearch(): Html {
  return html`<h1>Find a task</h1><p>Type a task id (<code>0123456789abcdef0…</code>) or ARN (<code>arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID</code>) in the search box above.</p>`;
}
