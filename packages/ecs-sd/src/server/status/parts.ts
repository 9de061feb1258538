/** Pieces the status views share: state badges, labels, task links, pagers. Pure. */
import type { Target, TaskDecision } from '../../discovery/types.ts';
import { taskConsoleUrl } from './console-link.ts';
import { type Html, href, html, plural } from './html.ts';
import { TASKS_PAGE_PATH } from './layout.ts';
import type { PageSlice } from './query.ts';

/** How a state looks: colour and words, never colour alone. */
export type Tone = 'ok' | 'warn' | 'bad';

/** A coloured badge that says its state in words. */
export function badge(tone: Tone, words: string): Html {
  return html`<span class="badge ${tone}">${words}</span>`;
}

/** The path of a task's detail page. */
export function taskPath(taskArnOrId: string): string {
  return `${TASKS_PAGE_PATH}/${encodeURIComponent(taskArnOrId)}`;
}

/** The task's id, linked to its detail. */
export function taskLink(decision: TaskDecision): Html {
  const id = decision.taskId === '' ? '(no id)' : decision.taskId;
  if (decision.taskArn === '') return html`<span class="mono">${id}</span>`;
  return html`<a class="mono" href="${taskPath(decision.taskArn)}" title="${decision.taskArn}">${id}</a>`;
}

/** The task's page in the AWS console, when its ARN names a partition and Region. */
export function consoleLink(decision: TaskDecision): Html | '' {
  const url = taskConsoleUrl(decision.taskArn, decision.clusterName);
  if (url === undefined) return '';
  return html`<a href="${url}" target="_blank" rel="noopener noreferrer" title="the task in the AWS console (opens where you are logged in)">console ↗</a>`;
}

/** Labels as `name="value"` chips; values of any team, escaped. */
export function labelChips(labels: Readonly<Record<string, string>>, names: readonly string[]): Html {
  if (names.length === 0) return html`<span class="muted">(none)</span>`;
  return html`<span class="labels">${names.map((name) => html`<span class="label">${name}="${labels[name]}"</span>`)}</span>`;
}

/** A target's labels split as Prometheus sees them: kept after relabelling, scrape settings, and discovered `__meta_*`. */
export function labelClasses(target: Target): { visible: string[]; scrape: string[]; meta: string[] } {
  const names = Object.keys(target.labels).sort();
  return {
    visible: names.filter((name) => !name.startsWith('__')),
    scrape: names.filter((name) => name.startsWith('__') && !name.startsWith('__meta_')),
    meta: names.filter((name) => name.startsWith('__meta_')),
  };
}

/** The URL Prometheus scrapes: scheme, address and metrics path. */
export function endpointOf(target: Target): string {
  const scheme = target.labels['__scheme__'] ?? 'http';
  const path = target.labels['__metrics_path__'] ?? '/metrics';
  return `${scheme}://${target.address}${path}`;
}

/** "Showing 101–200 of 10,000 targets", with previous and next links that keep the filters. */
export function pager<T>(
  slice: PageSlice<T>,
  path: string,
  params: Readonly<Record<string, string | undefined>>,
  noun: string,
): Html {
  const link = (page: number, text: string, rel: string) =>
    html`<a href="${href(path, { ...params, page: page === 1 ? undefined : page })}" rel="${rel}">${text}</a>`;
  const shown =
    slice.total === 0
      ? `no ${noun}s`
      : `${(slice.offset + 1).toLocaleString('en-US')}–${(slice.offset + slice.rows.length).toLocaleString('en-US')} of ${plural(slice.total, noun)}`;
  return html`<div class="pager" data-page="${slice.page}" data-pages="${slice.pages}">
${slice.page > 1 ? link(1, '« first', 'first') : ''}${slice.page > 1 ? link(slice.page - 1, '‹ previous', 'prev') : ''}
<span>${shown} · page ${slice.page} of ${slice.pages}</span>
${slice.page < slice.pages ? link(slice.page + 1, 'next ›', 'next') : ''}${slice.page < slice.pages ? link(slice.pages, 'last »', 'last') : ''}
</div>`;
}

/** A drop-down filter: `all` or one of the values. */
export function selectFilter(
  name: string,
  label: string,
  values: readonly string[],
  current: string | undefined,
): Html {
  return html`<label>${label}<select name="${name}"><option value="">all</option>${values.map(
    (value) => html`<option${value === current ? html` selected` : ''}>${value}</option>`,
  )}${current !== undefined && !values.includes(current) ? html`<option selected>${current}</option>` : ''}</select></label>`;
}

/** A text filter with suggestions. */
export function textFilter(
  name: string,
  label: string,
  current: string | undefined,
  suggestions: readonly string[] = [],
): Html {
  const list =
    suggestions.length === 0
      ? ''
      : html`<datalist id="${name}-values">${suggestions.map((value) => html`<option value="${value}">`)}</datalist>`;
  return html`<label>${label}<input type="text" name="${name}" value="${current ?? ''}"${suggestions.length === 0 ? '' : html` list="${name}-values"`}>${list}</label>`;
}
