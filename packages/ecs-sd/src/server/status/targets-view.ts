/**
 * The Targets view: the page of targets a selection asks for, grouped by job and interval bucket
 * (each heading with the group's count over every page), each with the URL Prometheus scrapes, the
 * labels it keeps, its scrape settings, its container and task; its discovered `__meta_*` labels
 * are counted and shown on the task's detail, which keeps a page of 100 targets near 100 KiB.
 * Pure.
 */
import { type Html, href, html, plural } from './html.ts';
import {
  consoleLink,
  endpointOf,
  labelChips,
  labelClasses,
  pager,
  selectFilter,
  taskLink,
  taskPath,
  textFilter,
} from './parts.ts';
import type { PageSlice } from './query.ts';
import { groupKey, type SelectedTargets, type TargetRow, type TargetSelection } from './targets.ts';

/** The path of the Targets view. */
export const TARGETS_PATH = '/status/targets';

/** Suggestions of the filter fields. */
export interface TargetFacets {
  clusters: readonly string[];
  services: readonly string[];
  families: readonly string[];
}

function row(target: TargetRow): Html {
  const { visible, scrape, meta } = labelClasses(target.target);
  const labels = target.target.labels;
  const detail = html`<a href="${taskPath(target.decision.taskArn)}">${plural(meta.length, 'discovered label')}</a>`;
  return html`<tr class="target" data-task-id="${target.decision.taskId}">
<td class="mono">${endpointOf(target.target)}</td>
<td>${labelChips(labels, visible)}<div class="labels" title="scrape settings">${scrape.map((name) => html`<span class="label muted">${name}="${labels[name]}"</span>`)}</div>
<div class="muted">+ ${detail}</div></td>
<td>${target.container}</td>
<td>${taskLink(target.decision)}<div class="muted">${target.decision.clusterName}${target.service === undefined ? '' : html` · ${target.service}`}</div>${consoleLink(target.decision)}</td>
</tr>
`;
}

/** The Targets view's content for one page of a selection. */
export function renderTargets(
  selected: SelectedTargets,
  slice: PageSlice<TargetRow>,
  selection: TargetSelection,
  facets: TargetFacets,
): Html {
  const params = {
    cluster: selection.cluster,
    service: selection.service,
    family: selection.family,
    q: selection.text,
  };
  const filtered = Object.keys(selection).length > 0;
  const body: Html[] = [];
  let group: string | undefined;
  for (const target of slice.rows) {
    const key = groupKey(target);
    if (key !== group) {
      group = key;
      const count = selected.groups.get(key) ?? 0;
      body.push(
        html`<tr class="group" data-job="${target.target.job}" data-interval="${target.target.interval}"><th colspan="4">job ${target.target.job} · every ${target.target.interval} · ${plural(count, 'target')}</th></tr>\n`,
      );
    }
    body.push(row(target));
  }
  return html`<h1>Targets</h1>
<ul class="counts">
<li><b data-count="selected-targets">${selected.rows.length.toLocaleString('en-US')}</b><span>targets${filtered ? ' selected' : ''} from ${plural(selected.tasks, 'task')}</span></li>
<li><b>${selected.groups.size.toLocaleString('en-US')}</b><span>jobs × intervals</span></li>
</ul>
<form class="filters" method="get" action="${TARGETS_PATH}">
${selectFilter('cluster', 'Cluster', facets.clusters, selection.cluster)}
${textFilter('service', 'Service', selection.service, facets.services)}
${textFilter('family', 'Family', selection.family, facets.families)}
${textFilter('q', 'Text (address, label, task)', selection.text)}
<button type="submit">Filter</button>${filtered ? html` <a href="${TARGETS_PATH}">clear</a>` : ''}
</form>
${pager(slice, TARGETS_PATH, params, 'target')}
<table id="targets">
<thead><tr><th>Endpoint</th><th>Labels</th><th>Container</th><th>Task</th></tr></thead>
<tbody>
${body.length === 0 ? html`<tr><td colspan="4" class="muted">no target${filtered ? html` matches; <a href="${href(TARGETS_PATH)}">show all</a>` : ''}</td></tr>` : body}</tbody>
</table>
${slice.pages > 1 ? pager(slice, TARGETS_PATH, params, 'target') : ''}`;
}
