/**
 * The frame of every status page: head (own style sheet, script and icon only), the navigation
 * from the view registry, the task search, a banner while discovery is not ready, and a footer
 * linking ecs-sd's other endpoints. Pure.
 */
import { assetUrl } from './assets.ts';
import { ago, type Html, html } from './html.ts';
import type { StatusView } from './view-registry.ts';

/** The path of the task search (and of a task's detail under it). */
export const TASKS_PAGE_PATH = '/status/tasks';

/** What frames a page. */
export interface Frame {
  title: string;
  body: Html;
  views: readonly StatusView[];
  /** The view shown, for the navigation's current entry. */
  current?: StatusView;
  nowMs: number;
  ready: boolean;
  /** The text in the task search box. */
  search?: string;
  /** ecs-sd's other endpoints: path and what it serves. */
  endpoints: readonly (readonly [string, string])[];
  version?: string;
}

/** The whole HTML document of a page. */
export function page(frame: Frame): string {
  const nav = frame.views
    .filter((view) => view.nav !== undefined)
    .map(
      (view) =>
        html`<a href="${view.path}"${view === frame.current ? html` aria-current="page"` : ''}>${view.nav}</a>`,
    );
  const notReady = frame.ready
    ? ''
    : html`<p class="banner warn" role="status"><b>Not ready:</b> no discovery has completed yet, so http_sd answers 503 and what is shown may be partial.</p>`;
  return html`<!doctype html>
<html lang="en" data-now="${frame.nowMs}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · ecs-sd</title>
<link rel="icon" href="${assetUrl('icon.svg')}">
<link rel="stylesheet" href="${assetUrl('status.css')}">
<script src="${assetUrl('status.js')}" defer></script>
</head>
<body>
<header>
<a class="brand" href="/">ecs-sd</a>
<nav aria-label="views">${nav}</nav>
<form class="search" role="search" action="${TASKS_PAGE_PATH}" method="get">
<input id="task-search" type="search" name="q" value="${frame.search ?? ''}" placeholder="task id or ARN (press /)" aria-label="task id or ARN" required>
<button type="submit">Find task</button>
</form>
</header>
<main>
${notReady}${frame.body}
</main>
<footer>
<div>ecs-sd${frame.version === undefined ? '' : html` ${frame.version}`} · page built ${ago(frame.nowMs, frame.nowMs)} · reload for the current state</div>
<ul>
${frame.endpoints.map(([path, what]) => html`<li><a href="${path}">${path}</a>: ${what}</li>\n`)}</ul>
</footer>
</body>
</html>
`.text;
}
