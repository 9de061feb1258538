/**
 * The status pages' query strings and paging: each view names the parameters it takes (an unknown
 * or repeated one is a problem, an empty one is absent, as a submitted form sends it), pages are
 * server-side slices of a list built once per set of decisions, so a browser never receives more
 * than PAGE_SIZE rows however many targets there are. Pure.
 */

/** Rows per page of a long list. */
export const PAGE_SIZE = 100;
/** The longest text filter accepted (a task ARN is far shorter). */
export const MAX_FILTER_LENGTH = 1024;

/** The parsed parameters of a view, or a one-line problem naming the parameter and value. */
export type ParsedQuery =
  | { ok: true; values: Map<string, string>; page: number }
  | { ok: false; error: string };

/**
 * Reads `query` for a view that takes `known` (and `page`): each at most once, at most
 * MAX_FILTER_LENGTH characters; empty values are absent; `page` a positive integer.
 */
export function parseViewQuery(query: URLSearchParams, known: readonly string[]): ParsedQuery {
  const values = new Map<string, string>();
  for (const name of new Set(query.keys())) {
    if (name !== 'page' && !known.includes(name)) {
      const expected = [...known, 'page'].join(', ');
      return { ok: false, error: `unknown query parameter "${name}", expected one of ${expected}` };
    }
    const all = query.getAll(name);
    if (all.length > 1) return { ok: false, error: `${name} is given ${all.length} times, expected it once` };
    const value = all[0]!.trim();
    if (value.length > MAX_FILTER_LENGTH)
      return {
        ok: false,
        error: `${name} is ${value.length} characters long, expected at most ${MAX_FILTER_LENGTH}`,
      };
    if (value !== '') values.set(name, value);
  }
  let page = 1;
  const pageText = values.get('page');
  values.delete('page');
  if (pageText !== undefined) {
    page = /^[0-9]{1,9}$/.test(pageText) ? Number(pageText) : 0;
    if (page < 1)
      return { ok: false, error: `page "${pageText}" is not a page number, expected an integer from 1` };
  }
  return { ok: true, values, page };
}

/** One page of a list: its rows and where it stands. */
export interface PageSlice<T> {
  rows: readonly T[];
  /** 1-based, clamped to the last page. */
  page: number;
  pages: number;
  total: number;
  /** Index in the whole list of the page's first row. */
  offset: number;
}

/** The `page`-th slice of PAGE_SIZE rows (the last one when `page` is past the end). */
export function slicePage<T>(rows: readonly T[], page: number, size = PAGE_SIZE): PageSlice<T> {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(page, pages);
  const offset = (current - 1) * size;
  return { rows: rows.slice(offset, offset + size), page: current, pages, total: rows.length, offset };
}

/** Filter results kept per set of decisions; beyond, they are dropped and recomputed on demand. */
const MAX_CACHED_SELECTIONS = 16;

/**
 * Rows derived from a set of decisions and the selections of them, kept as long as that set is
 * current: the view replaces its decisions array whenever discovery changes it, so sorting 100,000
 * targets happens once per change, and a page then costs a slice.
 */
export class SelectionCache<Rows, Selection> {
  readonly #entries = new WeakMap<object, { rows: Rows; selections: Map<string, Selection> }>();
  readonly #build: (key: object) => Rows;

  constructor(build: (key: object) => Rows) {
    this.#build = build;
  }

  /** The rows of `key`, built on first use. */
  rows(key: object): Rows {
    return this.#entry(key).rows;
  }

  /** The selection named `name` of the rows of `key`, built on first use. */
  select(key: object, name: string, build: (rows: Rows) => Selection): Selection {
    const entry = this.#entry(key);
    let selection = entry.selections.get(name);
    if (selection === undefined) {
      if (entry.selections.size >= MAX_CACHED_SELECTIONS) entry.selections.clear();
      selection = build(entry.rows);
      entry.selections.set(name, selection);
    }
    return selection;
  }

  #entry(key: object): { rows: Rows; selections: Map<string, Selection> } {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { rows: this.#build(key), selections: new Map() };
      this.#entries.set(key, entry);
    }
    return entry;
  }
}
