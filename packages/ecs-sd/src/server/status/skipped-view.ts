/**
 * The Skipped view: every task or container that declared an intent to be scraped but is not a
 * target, grouped by reason (each heading with the group's count over every page), with the
 * message `explain` gives and a link to the task's detail. Pure.
 */
import type { SkipReason } from '../../discovery/skip-reasons.ts';
import { type Html, href, html, plural } from './html.ts';
import { consoleLink, pager, selectFilter, taskLink, textFilter } from './parts.ts';
import type { PageSlice } from './query.ts';
import { NOT_OPTED_IN, REASON_HINTS, type SkipRow } from './skips.ts';

/** The path of the Skipped view. */
export const SKIPPED_PATH = '/status/skipped';

/** The query parameters of the Skipped view. */
export const SKIPPED_PARAMS = ['reason', 'cluster', 'q'] as const;

/** Which skips a reader wants. */
export interface SkipSelection {
  reason?: string;
  cluster?: string;
  text?: string;
}

/** Whether the selection admits the row; `text` matches task id or ARN, container and message, case-insensitively. */
export function matchesSkip(row: SkipRow, selection: SkipSelection): boolean {
  if (selection.reason !== undefined && row.reason !== selection.reason) return false;
  if (selection.cluster !== undefined && row.decision.clusterName !== selection.cluster) return false;
  if (selection.text === undefined) return true;
  const needle = selection.text.toLowerCase();
  return [row.decision.taskArn, row.container ?? '', row.message].some((value) =>
    value.toLowerCase().includes(needle),
  );
}

/** The selected skips and the count per reason. */
export interface SelectedSkips {
  rows: SkipRow[];
  reasons: Map<SkipReason, number>;
}

/** Selects rows (keeping their order) and counts each reason. */
export function selectSkips(rows: readonly SkipRow[], selection: SkipSelection): SelectedSkips {
  const selected = rows.filter((row) => matchesSkip(row, selection));
  const reasons = new Map<SkipReason, number>();
  for (const row of selected) reasons.set(row.reason, (reasons.get(row.reason) ?? 0) + 1);
  return { rows: selected, reasons };
}

function row(skip: SkipRow): Html {
  const { decision } = skip;
  return html`<tr class="skip" data-reason="${skip.reason}" data-task-id="${decision.taskId}">
<td>${taskLink(decision)}<div class="muted">${decision.lastStatus || '(no lastStatus)'}</div></td>
<td>${decision.clusterName}</td>
<td>${skip.container ?? html`<span class="muted">(whole task)</span>`}</td>
<td class="message">${skip.message}</td>
<td>${consoleLink(decision)}</td>
</tr>
`;
}

/** The Skipped view's content for one page of a selection. */
export function renderSkipped(
  selected: SelectedSkips,
  slice: PageSlice<SkipRow>,
  selection: SkipSelection,
  facets: { clusters: readonly string[]; reasons: readonly string[]; notOptedIn: number },
): Html {
  const params = { reason: selection.reason, cluster: selection.cluster, q: selection.text };
  const filtered = Object.values(params).some((value) => value !== undefined);
  const body: Html[] = [];
  let reason: string | undefined;
  for (const skip of slice.rows) {
    if (skip.reason !== reason) {
      reason = skip.reason;
      const hint = REASON_HINTS[skip.reason];
      body.push(
        html`<tr class="group" data-reason="${skip.reason}"><th colspan="5"><code>${skip.reason}</code> · ${plural(selected.reasons.get(skip.reason) ?? 0, 'skip')}${hint === undefined ? '' : html` <span class="muted">— ${hint}</span>`}</th></tr>\n`,
      );
    }
    body.push(row(skip));
  }
  const byReason = [...selected.reasons].map(
    ([name, count]) =>
      html`<li><b>${count.toLocaleString('en-US')}</b><span><a href="${href(SKIPPED_PATH, { ...params, reason: name, page: undefined })}"><code>${name}</code></a></span></li>`,
  );
  return html`<h1>Skipped</h1>
<p class="muted">Tasks and containers that declared an intent to be scraped but are not targets, and why. ${plural(facets.notOptedIn, 'task')} declared nothing to scrape (<code>${NOT_OPTED_IN}</code>) and ${facets.notOptedIn === 1 ? 'is' : 'are'} not listed.</p>
<ul class="counts">
<li class="${selected.rows.length > 0 ? 'warn' : ''}"><b data-count="skips">${selected.rows.length.toLocaleString('en-US')}</b><span>skips${filtered ? ' selected' : ''}</span></li>
${byReason}</ul>
<form class="filters" method="get" action="${SKIPPED_PATH}">
${selectFilter('reason', 'Reason', facets.reasons, selection.reason)}
${selectFilter('cluster', 'Cluster', facets.clusters, selection.cluster)}
${textFilter('q', 'Text (task, container, message)', selection.text)}
<button type="submit">Filter</button>${filtered ? html` <a href="${SKIPPED_PATH}">clear</a>` : ''}
</form>
${pager(slice, SKIPPED_PATH, params, 'skip')}
<table id="skipped">
<thead><tr><th>Task</th><th>Cluster</th><th>Container</th><th>Why (as explain says)</th><th></th></tr></thead>
<tbody>
${body.length === 0 ? html`<tr><td colspan="5" class="muted">nothing skipped${filtered ? ' matches' : ''}</td></tr>` : body}</tbody>
</table>
${slice.pages > 1 ? pager(slice, SKIPPED_PATH, params, 'skip') : ''}`;
}
