import { ApiError } from './errors.ts';

/** Flat Query-protocol parameters (`Filter.1.Name=...`) as sent by the EC2 and STS SDK serializers. */
export type QueryParams = Map<string, string>;

/** Parses an `application/x-www-form-urlencoded` body into a map; duplicate keys keep the last value. */
export function parseQueryBody(text: string): QueryParams {
  const out: QueryParams = new Map();
  for (const [k, v] of new URLSearchParams(text)) out.set(k, v);
  return out;
}

/** Collects `Prefix.1`, `Prefix.2`, ... values in index order (EC2 flattened lists). */
export function queryList(params: QueryParams, prefix: string): string[] {
  const items: [number, string][] = [];
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  for (const [k, v] of params) {
    const m = re.exec(k);
    if (m) items.push([Number(m[1]), v]);
  }
  return items.sort((a, b) => a[0] - b[0]).map((x) => x[1]);
}

/** Collects structures `Prefix.N.Member...` into objects keyed by the remainder after the index. */
export function queryStructList(params: QueryParams, prefix: string): QueryParams[] {
  const groups = new Map<number, QueryParams>();
  const p = `${prefix}.`;
  for (const [k, v] of params) {
    if (!k.startsWith(p)) continue;
    const rest = k.slice(p.length);
    const dot = rest.indexOf('.');
    if (dot < 0) continue;
    const idx = Number(rest.slice(0, dot));
    if (!Number.isInteger(idx)) continue;
    let g = groups.get(idx);
    if (!g) {
      g = new Map();
      groups.set(idx, g);
    }
    g.set(rest.slice(dot + 1), v);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map((x) => x[1]);
}

/** Reads an optional integer parameter; anything else is the Query protocol's `ValidationError` (HTTP 400). */
export function queryInt(params: QueryParams, key: string, code = 'ValidationError'): number | undefined {
  const v = params.get(key);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) {
    throw new ApiError(
      code,
      `1 validation error detected: Value '${v}' at '${key}' failed to satisfy constraint: Member must be an integer`,
    );
  }
  return Number(v);
}
