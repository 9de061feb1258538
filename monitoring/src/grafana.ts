/**
 * A small builder for Grafana dashboard JSON (schemaVersion 39): panels laid out left to right in rows,
 * every query through the `${datasource}` variable. Pure; the dashboards themselves are in dashboards.ts.
 */

/** Grafana schema version the dashboards are written for (Grafana 10.3 and later read it). */
export const SCHEMA_VERSION = 39;

/** The datasource of every panel and query: Grafana's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a JavaScript template
export const DATASOURCE_UID = '${datasource}';
const DATASOURCE = { type: 'prometheus', uid: DATASOURCE_UID } as const;

/** One PromQL query of a panel and its legend template; stat panels run it as an instant query. */
export interface Query {
  expr: string;
  legend?: string;
}

/** A panel before layout: its width in grid columns (24 per row) and height in grid rows. */
export interface PanelSpec {
  kind: 'timeseries' | 'stat' | 'row';
  title: string;
  description?: string;
  queries?: Query[];
  unit?: string;
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  stack?: boolean;
  /** Stat thresholds as [value, color] pairs above the base color green. */
  thresholds?: Array<[number, string]>;
}

/** A query template variable; `label_values(metric{…}, label)` is Grafana syntax, not PromQL. */
export interface VariableSpec {
  name: string;
  label: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  hide?: boolean;
}

/** A whole dashboard before rendering. */
export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: VariableSpec[];
  panels: PanelSpec[];
  links?: Array<{ title: string; uid: string }>;
}

/** A timeseries panel. */
export function timeseries(title: string, queries: Query[], opts: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: 'timeseries', title, queries, width: 12, height: 8, ...opts };
}

/** A stat panel showing the last value of each query. */
export function stat(title: string, queries: Query[], opts: Partial<PanelSpec> = {}): PanelSpec {
  return { kind: 'stat', title, queries, width: 4, height: 4, ...opts };
}

/** A full-width row header. */
export function row(title: string): PanelSpec {
  return { kind: 'row', title, width: 24, height: 1 };
}

function panelJson(p: PanelSpec, id: number, gridPos: Record<string, number>): Record<string, unknown> {
  if (p.kind === 'row') {
    return { collapsed: false, gridPos, id, panels: [], title: p.title, type: 'row' };
  }
  const instant = p.kind === 'stat';
  const targets = (p.queries ?? []).map((q, i) => ({
    datasource: DATASOURCE,
    editorMode: 'code',
    expr: q.expr,
    ...(instant ? { instant: true, range: false } : { range: true }),
    legendFormat: q.legend ?? '__auto',
    refId: String.fromCharCode(65 + i),
  }));
  const steps = [
    { color: 'green', value: null },
    ...(p.thresholds ?? []).map(([value, color]) => ({ color, value })),
  ];
  const defaults: Record<string, unknown> = {
    color: { mode: p.kind === 'stat' ? 'thresholds' : 'palette-classic' },
    thresholds: { mode: 'absolute', steps },
    unit: p.unit ?? 'short',
  };
  if (p.min !== undefined) defaults['min'] = p.min;
  if (p.max !== undefined) defaults['max'] = p.max;
  if (p.kind === 'timeseries') {
    defaults['custom'] = {
      drawStyle: 'line',
      fillOpacity: p.stack ? 30 : 10,
      lineWidth: 1,
      showPoints: 'never',
      spanNulls: false,
      stacking: { group: 'A', mode: p.stack ? 'normal' : 'none' },
    };
  }
  const options =
    p.kind === 'stat'
      ? {
          colorMode: 'value',
          graphMode: 'none',
          justifyMode: 'auto',
          orientation: 'auto',
          reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
          textMode: 'auto',
        }
      : {
          legend: { calcs: [], displayMode: 'list', placement: 'bottom', showLegend: true },
          tooltip: { mode: 'multi', sort: 'desc' },
        };
  return {
    datasource: DATASOURCE,
    ...(p.description ? { description: p.description } : {}),
    fieldConfig: { defaults, overrides: [] },
    gridPos,
    id,
    options,
    targets,
    title: p.title,
    type: p.kind,
  };
}

function variableJson(v: VariableSpec): Record<string, unknown> {
  const includeAll = v.includeAll ?? true;
  return {
    ...(includeAll ? { allValue: '.*' } : {}),
    current: {},
    datasource: DATASOURCE,
    definition: v.query,
    hide: v.hide ? 2 : 0,
    includeAll,
    label: v.label,
    multi: v.multi ?? true,
    name: v.name,
    options: [],
    // The classic string form: every Grafana version since 7 reads it and migrates it to its editor's model.
    query: v.query,
    refresh: 2,
    regex: '',
    skipUrlSync: false,
    sort: 1,
    type: 'query',
  };
}

/** Renders a dashboard spec to Grafana's dashboard JSON model, placing panels left to right, top to bottom. */
export function renderDashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  spec.panels.forEach((p, i) => {
    const w = p.width ?? 12;
    const h = p.height ?? 8;
    if (x + w > 24 || p.kind === 'row') {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    panels.push(panelJson(p, i + 1, { h, w, x, y }));
    x += w;
    rowHeight = Math.max(rowHeight, h);
    if (p.kind === 'row') {
      y += h;
      x = 0;
      rowHeight = 0;
    }
  });
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: spec.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: (spec.links ?? []).map((l) => ({
      asDropdown: false,
      icon: 'dashboard',
      includeVars: true,
      keepTime: true,
      tags: [],
      targetBlank: false,
      title: l.title,
      tooltip: '',
      type: 'link',
      url: `/d/${l.uid}`,
    })),
    panels,
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    tags: spec.tags,
    templating: {
      list: [
        {
          current: {},
          hide: 0,
          includeAll: false,
          label: 'Data source',
          multi: false,
          name: 'datasource',
          options: [],
          query: 'prometheus',
          refresh: 1,
          regex: '',
          skipUrlSync: false,
          type: 'datasource',
        },
        ...spec.variables.map(variableJson),
      ],
    },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: '',
    title: spec.title,
    uid: spec.uid,
    version: 1,
    weekStart: '',
  };
}
