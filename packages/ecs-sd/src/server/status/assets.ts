/**
 * The status page's own style sheet, script and icon, served by ecs-sd itself under
 * `/status/static/` (no build step, nothing fetched from elsewhere; the Content-Security-Policy
 * allows only these). The script only adds conveniences: every view works without it.
 */
import { createHash } from 'node:crypto';

/** Where the assets are served. */
export const STATIC_PATH = '/status/static';

const CSS = `:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--panel:#f6f8fa;--line:#d1d9e0;--link:#0969da;
--ok-fg:#116329;--ok-bg:#dafbe1;--warn-fg:#7d4e00;--warn-bg:#fff8c5;--bad-fg:#a40e26;--bad-bg:#ffebe9;--info-bg:#ddf4ff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--panel:#151b23;--line:#3d444d;--link:#4493f8;
--ok-fg:#3fb950;--ok-bg:#12261e;--warn-fg:#d29922;--warn-bg:#272115;--bad-fg:#f85149;--bad-bg:#25171c;--info-bg:#121d2f}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1.2rem;border-bottom:1px solid var(--line);background:var(--panel)}
header .brand{font-weight:700;font-size:1.1rem;color:var(--fg)}
nav{display:flex;gap:.25rem}nav a{padding:.3rem .7rem;border-radius:6px;color:var(--fg)}
nav a[aria-current=page]{background:var(--bg);box-shadow:inset 0 0 0 1px var(--line);font-weight:600}
form.search{margin-left:auto;display:flex;gap:.3rem}
input,select,button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.25rem .5rem}
button{background:var(--panel);cursor:pointer}
input[type=search]{width:22rem;max-width:60vw}
main{padding:1rem 1.2rem 2rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}h3{font-size:1rem;margin:1.1rem 0 .4rem}
.banner{padding:.6rem .9rem;border-radius:6px;margin:0 0 1rem;border:1px solid var(--line)}
.banner.bad{background:var(--bad-bg);color:var(--bad-fg)}.banner.warn{background:var(--warn-bg);color:var(--warn-fg)}.banner.info{background:var(--info-bg)}
.counts{display:flex;flex-wrap:wrap;gap:.8rem;margin:0 0 1rem;padding:0;list-style:none}
.counts li{min-width:9rem;padding:.6rem .9rem;border:1px solid var(--line);border-radius:8px;background:var(--panel)}
.counts b{display:block;font-size:1.6rem;line-height:1.2}.counts span{color:var(--muted)}
.counts li.bad{background:var(--bad-bg)}.counts li.warn{background:var(--warn-bg)}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .6rem;border-bottom:1px solid var(--line)}
th{font-weight:600;background:var(--panel);position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.group th{background:var(--bg);font-size:.95rem;padding-top:1rem}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-weight:600;font-size:.85rem;white-space:nowrap}
.badge.ok{background:var(--ok-bg);color:var(--ok-fg)}.badge.warn{background:var(--warn-bg);color:var(--warn-fg)}.badge.bad{background:var(--bad-bg);color:var(--bad-fg)}
.badge::before{content:"";display:inline-block;width:.55em;height:.55em;border-radius:50%;background:currentColor;margin-right:.35em;vertical-align:.08em}
.error{color:var(--bad-fg);word-break:break-word}td.error{min-width:16rem}
#clusters td .mono{font-size:.78em}.muted{color:var(--muted)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.labels{display:flex;flex-wrap:wrap;gap:.25rem}
.label{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.82em;padding:0 .4rem;border-radius:4px;background:var(--panel);border:1px solid var(--line);word-break:break-all}
details summary{cursor:pointer;color:var(--muted)}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:0 0 .8rem}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
.pager{display:flex;gap:.8rem;align-items:center;margin:.6rem 0}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.7rem;overflow:auto;white-space:pre-wrap;word-break:break-word}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.3rem 0 1rem}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
footer{padding:1rem 1.2rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
footer ul{margin:.3rem 0 0;padding-left:1.2rem}
`;

const JS = `'use strict';
// The ecs-sd status page works without this script; it only adds conveniences.
(() => {
  // A filter's drop-down applies at once.
  for (const select of document.querySelectorAll('form.filters select')) {
    select.addEventListener('change', () => select.form.requestSubmit());
  }
  // "/" jumps to the task search, unless one is typing.
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target instanceof HTMLElement && event.target.closest('input, textarea, select');
    const search = document.getElementById('task-search');
    if (typing || !search) return;
    event.preventDefault();
    search.focus();
  });
  // "12 s ago" stays true while the page is open (against the daemon's clock, not this computer's).
  const skew = Date.now() - Number(document.documentElement.dataset.now || Date.now());
  const human = (ms) => {
    if (ms < 1000) return Math.max(0, Math.round(ms)) + ' ms';
    const s = ms / 1000;
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + Math.floor(s % 60) + ' s';
    const h = Math.floor(m / 60);
    return h < 48 ? h + ' h ' + (m % 60) + ' min' : Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  };
  setInterval(() => {
    for (const time of document.querySelectorAll('time[data-ago]')) {
      const ms = Date.now() - skew - Date.parse(time.dateTime);
      time.textContent = ms < 1000 ? 'just now' : human(ms) + ' ago';
    }
  }, 5000);
  // Navigation start to here is what the browser test times.
  performance.mark('ecs-sd-rendered');
  document.documentElement.dataset.rendered = 'true';
})();
`;

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#e6522c"/><path d="M4 11V5h2l2 3 2-3h2v6h-2V8l-2 3-2-3v3z" fill="#fff"/></svg>
`;

/** One served asset. */
export interface Asset {
  body: string;
  contentType: string;
  /** The path with a version of its content, for pages to link to (cached for a day). */
  url: string;
}

function asset(name: string, body: string, contentType: string): [string, Asset] {
  const version = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return [`${STATIC_PATH}/${name}`, { body, contentType, url: `${STATIC_PATH}/${name}?v=${version}` }];
}

/** The assets by path. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  asset('status.css', CSS, 'text/css; charset=utf-8'),
  asset('status.js', JS, 'text/javascript; charset=utf-8'),
  asset('icon.svg', ICON, 'image/svg+xml'),
]);

/** The versioned URL of an asset. */
export function assetUrl(name: 'status.css' | 'status.js' | 'icon.svg'): string {
  return ASSETS.get(`${STATIC_PATH}/${name}`)!.url;
}
