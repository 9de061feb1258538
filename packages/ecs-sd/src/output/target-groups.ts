/**
 * Rendering of targets into Prometheus target groups (`{targets, labels}`), the list that file_sd
 * files and the http_sd endpoint both carry. Pure: the same targets always give the same bytes.
 *
 * Targets are immutable and a task's targets are the same objects from one refresh (or event) to
 * the next until the task changes, so each target's serialized group is computed once and kept
 * (weakly) with it: re-rendering 10,000 targets after one of them changed serializes one group, not
 * 10,000. Nothing else is kept per target: its labels are written from the target's own object
 * (discovery builds them sorted), and groups are found by sorting label sets, not by a key string.
 *
 * A rendering is bounded (`MAX_OUTPUT_LENGTH`): one that would grow past it stops there and is
 * refused as a value, before the one big string is joined, so an oversized output costs no more
 * than the limit and never throws V8's `RangeError: Invalid string length`.
 */
import type { Target } from '../discovery/types.ts';
import { type GroupsStyle, listChunks } from './list-chunks.ts';
import { isWellFormed, toWellFormed } from './unicode.ts';
import { yamlScalar } from './yaml-scalar.ts';

/** One entry of a file_sd / http_sd list: addresses that share exactly one label set. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export { CHUNK_LENGTH, type GroupsStyle, listByteChunks, listChunks } from './list-chunks.ts';

/**
 * Longest rendered list, in UTF-16 code units (about bytes for ASCII): 256 Mi, twice the single
 * file of the 100,000-task benchmark fleet and half of V8's longest string (2^29 − 24 units), so a
 * list that fits is always joined and written, and one that does not is refused at this cost.
 */
export const MAX_OUTPUT_LENGTH = 256 * 1024 * 1024;

/** Plain code-unit comparison: locale-independent, so output never depends on the host's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A character JSON.stringify escapes in a string (lone surrogates are replaced before, see unicode.ts). */
const JSON_ESCAPED = /[^\x20\x21\x23-\x5b\x5d-\uffff]/;
const QUOTE = 0x22;

/**
 * Orders two strings as their JSON texts up to the closing quote compare (`"a"` sorts before `"ab"`
 * because `"` is below `b`), without building those texts unless one has a character JSON escapes.
 */
function compareJsonStrings(a: string, b: string): number {
  if (a === b) return 0;
  if (JSON_ESCAPED.test(a) || JSON_ESCAPED.test(b)) return compare(JSON.stringify(a), JSON.stringify(b));
  if (b.startsWith(a)) return QUOTE - b.charCodeAt(a.length);
  if (a.startsWith(b)) return a.charCodeAt(b.length) - QUOTE;
  return compare(a, b);
}

/**
 * Orders two label sets (names sorted) exactly as their compact JSON texts compare, the order of
 * the groups, and is 0 only for equal sets: the texts differ first inside one `"name":"value"`
 * entry, or one set is the other plus more entries, and then the longer sorts first (`,` < `}`).
 */
export function compareLabelSets(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
  aNames: readonly string[] = Object.keys(a),
  bNames: readonly string[] = Object.keys(b),
): number {
  if (a === b) return 0;
  const common = Math.min(aNames.length, bNames.length);
  for (let i = 0; i < common; i++) {
    const aName = aNames[i]!;
    const bName = bNames[i]!;
    const order = compareJsonStrings(aName, bName) || compareJsonStrings(a[aName]!, b[bName]!);
    if (order !== 0) return order;
  }
  return bNames.length - aNames.length;
}

/**
 * What is kept per target beyond the target itself: its label set as written (the target's own
 * labels object whenever they are already sorted, without `__address__` and well-formed, which is
 * what discovery builds: no copy), and its group's bytes per style once rendered. No label-set key:
 * groups are found by sorting with `compareLabelSets`.
 */
interface Derived {
  labels: Readonly<Record<string, string>>;
  /** The labels' names in order: one array shared by every target with the same names (see `sharedNames`). */
  names: readonly string[];
  /** The address, as written (lone surrogates replaced). */
  address: string;
  /** True when the address or a label held a lone surrogate, written as U+FFFD. */
  replaced: boolean;
  file?: string;
  compact?: string;
  yaml?: string;
}

const derived = new WeakMap<Target, Derived>();

/** Label-name lists by their text: targets of one task definition share one list. Bounded (hostile names). */
const nameLists = new Map<string, readonly string[]>();
const MAX_NAME_LISTS = 10_000;

/** The names of a label set as a list shared with every other set of the same names, so sorting allocates none. */
function sharedNames(labels: Readonly<Record<string, string>>): readonly string[] {
  const names = Object.keys(labels);
  const key = names.join('\u0000');
  const shared = nameLists.get(key);
  if (shared !== undefined) return shared;
  if (nameLists.size >= MAX_NAME_LISTS) nameLists.clear();
  nameLists.set(key, names);
  return names;
}

/** True when the labels can be written as they are: names sorted, no `__address__`, no lone surrogate. */
function writtenAsIs(labels: Readonly<Record<string, string>>): boolean {
  let previous: string | undefined;
  for (const name in labels) {
    if (name === '__address__' || (previous !== undefined && compare(previous, name) >= 0)) return false;
    if (!isWellFormed(name) || !isWellFormed(labels[name]!)) return false;
    previous = name;
  }
  return true;
}

/** The label set with its names sorted (and `__address__` dropped), so equal sets serialize to equal bytes. */
function derive(target: Target): Derived {
  let entry = derived.get(target);
  if (entry === undefined) {
    let labels: Readonly<Record<string, string>> = target.labels;
    let replaced = false;
    if (!writtenAsIs(labels)) {
      // Lone surrogates become U+FFFD in every output, so JSON, YAML and http_sd agree (see unicode.ts).
      const sorted: Record<string, string> = {};
      for (const name of Object.keys(target.labels).sort(compare)) {
        if (name === '__address__') continue;
        const value = target.labels[name]!;
        if (!isWellFormed(name) || !isWellFormed(value)) replaced = true;
        sorted[toWellFormed(name)] = toWellFormed(value);
      }
      labels = sorted;
    }
    if (!isWellFormed(target.address)) replaced = true;
    entry = { labels, names: sharedNames(labels), address: toWellFormed(target.address), replaced };
    derived.set(target, entry);
  }
  return entry;
}

interface Grouped {
  labels: Readonly<Record<string, string>>;
  addresses: Set<string>;
  /** The group's only target, while it has one address (its bytes can be kept with it). */
  only: Derived | undefined;
  /** The group's first target (its label set is the group's). */
  first: Derived;
}

/**
 * The targets of a rendering sorted by label set, to pass to the next rendering of the same list:
 * the targets it still has keep their order, and only the new ones are sorted and merged in (a 5%
 * churn sorts 5%, not everything). Opaque; held by the caller (the file_sd memo).
 */
export interface RenderOrder {
  readonly sorted: readonly object[];
}

function byLabels(a: Derived, b: Derived): number {
  return compareLabelSets(a.labels, b.labels, a.names, b.names);
}

/** The entries sorted by label set, reusing the order of the last rendering where it has one. */
function sortEntries(entries: readonly Derived[], previous: RenderOrder | undefined): Derived[] {
  if (previous !== undefined) {
    const current = new Set(entries);
    const last = previous.sorted as readonly Derived[];
    const known = new Set(last);
    const kept = last.filter((entry) => current.has(entry));
    const added = entries.filter((entry) => !known.has(entry)).sort(byLabels);
    // Both sorted: merge them. A target listed twice (not what discovery gives) falls back to a full sort.
    if (current.size === entries.length && kept.length + added.length === entries.length) {
      const merged: Derived[] = [];
      let i = 0;
      let j = 0;
      while (i < kept.length && j < added.length) {
        merged.push(byLabels(kept[i]!, added[j]!) <= 0 ? kept[i++]! : added[j++]!);
      }
      while (i < kept.length) merged.push(kept[i++]!);
      while (j < added.length) merged.push(added[j++]!);
      return merged;
    }
  }
  return [...entries].sort(byLabels);
}

/** The groups, sorted by label set, how many targets had lone surrogates replaced, and the order for the next rendering. */
function group(
  targets: readonly Target[],
  previous?: RenderOrder,
): { groups: Grouped[]; replaced: number; order: RenderOrder } {
  let replaced = 0;
  const entries = targets.map((target) => {
    const entry = derive(target);
    if (entry.replaced) replaced++;
    return entry;
  });
  const sorted = sortEntries(entries, previous);
  const groups: Grouped[] = [];
  let last: Grouped | undefined;
  for (const entry of sorted) {
    if (last !== undefined && byLabels(last.first, entry) === 0) {
      last.addresses.add(entry.address);
      if (last.addresses.size > 1) last.only = undefined;
    } else {
      last = { labels: entry.labels, addresses: new Set([entry.address]), only: entry, first: entry };
      groups.push(last);
    }
  }
  return { groups, replaced, order: { sorted } };
}

function serializeYaml(value: { targets: string[]; labels: Readonly<Record<string, string>> }): string {
  const lines = ['- targets:', ...value.targets.map((address) => `    - ${yamlScalar(address)}`)];
  const names = Object.keys(value.labels);
  if (names.length === 0) lines.push('  labels: {}');
  else {
    lines.push('  labels:');
    for (const name of names) lines.push(`    ${yamlScalar(name)}: ${yamlScalar(value.labels[name]!)}`);
  }
  return lines.join('\n');
}

function serialize(group: Grouped, style: GroupsStyle): string {
  const value = { targets: [...group.addresses].sort(compare), labels: group.labels };
  if (style === 'yaml') return serializeYaml(value);
  // Inside file_sd's top-level array every line of a group is indented two more spaces: the group
  // as the only element of an array, without its brackets. Kept for the target's life, so one flat
  // string: indenting with replaceAll made a tree of ~90 string pieces, 3 times the text's size.
  return style === 'file' ? JSON.stringify([value], null, 2).slice(2, -2) : JSON.stringify(value);
}

/**
 * Groups targets into one group per distinct label set, groups ordered by their label set and
 * addresses sorted within a group, so that output changes only when the targets do.
 * A `__address__` label, if present, is dropped: Prometheus takes the address from `targets`.
 */
export function toTargetGroups(targets: readonly Target[]): TargetGroup[] {
  return group(targets).groups.map((entry) => ({
    targets: [...entry.addresses].sort(compare),
    labels: { ...entry.labels },
  }));
}

/** Why a list could not be rendered: `too-large` (over the bound) or `render-error` (anything thrown). */
export type RenderFailure = {
  ok: false;
  reason: 'too-large' | 'render-error';
  message: string;
  cause?: unknown;
};

/** A rendered list, or why it could not be. */
export type RenderedGroups =
  | {
      ok: true;
      content: string;
      /** Targets whose address or labels held lone surrogates, written as U+FFFD. */
      replaced: number;
    }
  | RenderFailure;

/**
 * A rendered list as its groups' texts, in order (`listChunks` adds the brackets and separators):
 * each unchanged group's text is the same string as at the last rendering, so two renderings are
 * compared part by part and a file is written in chunks, never as one big string.
 */
export type RenderedParts =
  | { ok: true; parts: readonly string[]; replaced: number; order: RenderOrder }
  | RenderFailure;

/**
 * The target groups in a style as parts (see `RenderedParts`), the whole at most `maxLength` code
 * units long. Each unchanged group's text is reused, and with `previous` (the `order` of the last
 * rendering of this list) only new targets are sorted. Never throws: a list longer than `maxLength`
 * stops being serialized there, and any error becomes a value.
 */
export function tryRenderGroupParts(
  targets: readonly Target[],
  style: GroupsStyle,
  maxLength: number = MAX_OUTPUT_LENGTH,
  previous?: RenderOrder,
): RenderedParts {
  try {
    const { groups, replaced, order } = group(targets, previous);
    const parts: string[] = [];
    // Brackets, separators and final newline of the list: at most 2 per group plus 4.
    let length = 4;
    for (const entry of groups) {
      let part: string;
      if (entry.only === undefined) part = serialize(entry, style);
      else {
        entry.only[style] ??= serialize(entry, style);
        part = entry.only[style];
      }
      length += part.length + 2;
      if (length > maxLength) {
        return {
          ok: false,
          reason: 'too-large',
          message: `${targets.length} targets in ${groups.length} groups render to more than ${maxLength} characters, the most one output holds`,
        };
      }
      parts.push(part);
    }
    return { ok: true, parts, replaced, order };
  } catch (err) {
    return {
      ok: false,
      reason: 'render-error',
      message: `rendering ${targets.length} targets failed: ${err instanceof Error ? err.message : String(err)}`,
      cause: err,
    };
  }
}

/**
 * The target groups in a style, at most `maxLength` code units long: `file` is byte for byte
 * `JSON.stringify(toTargetGroups(targets), null, 2) + '\n'`, `compact` is
 * `JSON.stringify(toTargetGroups(targets))`. Each unchanged group's bytes are reused. Never throws:
 * a list longer than `maxLength` stops being serialized there, and any error becomes a value.
 */
export function tryRenderTargetGroups(
  targets: readonly Target[],
  style: GroupsStyle,
  maxLength: number = MAX_OUTPUT_LENGTH,
): RenderedGroups {
  const rendered = tryRenderGroupParts(targets, style, maxLength);
  if (!rendered.ok) return rendered;
  try {
    return {
      ok: true,
      content: [...listChunks(rendered.parts, style, Infinity)].join(''),
      replaced: rendered.replaced,
    };
  } catch (err) {
    return {
      ok: false,
      reason: 'render-error',
      message: `rendering ${targets.length} targets failed: ${err instanceof Error ? err.message : String(err)}`,
      cause: err,
    };
  }
}

/** The target groups in a style (see `tryRenderTargetGroups`); throws when they cannot be rendered. */
export function renderTargetGroups(targets: readonly Target[], style: GroupsStyle): string {
  const rendered = tryRenderTargetGroups(targets, style);
  if (!rendered.ok) throw new Error(rendered.message, { cause: rendered.cause });
  return rendered.content;
}
