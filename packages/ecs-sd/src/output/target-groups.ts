/**
 * Rendering of targets into Prometheus target groups (`{targets, labels}`), the list that file_sd
 * files and the http_sd endpoint both carry. Pure: the same targets always give the same bytes.
 *
 * Targets are immutable and a task's targets are the same objects from one refresh (or event) to
 * the next until the task changes. What is kept per target is small: its labels are the target's
 * own object (discovery builds them sorted), with their values in name order beside the name list
 * that targets of one task definition share, so that groups are found by sorting label sets, not
 * by a key string, and a rendering sorts only the targets new since the last one. A group's text
 * is made when it is written and then dropped, except http_sd's compact text of a one-target
 * group, kept with the target (http_sd renders per request; file_sd only when targets change).
 *
 * A rendering is bounded (`MAX_OUTPUT_LENGTH`): one that would grow past it stops there and is
 * refused, before the one big string is joined, so an oversized output costs no more than the limit
 * and never throws V8's `RangeError: Invalid string length`.
 */
import type { Target } from '../discovery/types.ts';
import { resort } from '../lib/resort.ts';
import { groupText } from './group-text.ts';
import { type GroupsStyle, listChunks } from './list-chunks.ts';
import { isWellFormed, toWellFormed } from './unicode.ts';

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
 * Orders two label sets (names sorted), each as its names and its values in that order, exactly
 * as their compact JSON texts compare, the order of the groups, and is 0 only for equal sets: the
 * texts differ first inside one `"name":"value"` entry, or one set is the other plus more entries,
 * and then the longer sorts first (`,` < `}`). Arrays, not objects: reading a 40-label object by
 * name is a hash lookup, and sorting a churn's targets makes hundreds of thousands.
 */
function compareEntries(
  aNames: readonly string[],
  aValues: readonly string[],
  bNames: readonly string[],
  bValues: readonly string[],
): number {
  const sameNames = aNames === bNames;
  const common = Math.min(aNames.length, bNames.length);
  for (let i = 0; i < common; i++) {
    const order =
      (sameNames ? 0 : compareJsonStrings(aNames[i]!, bNames[i]!)) ||
      compareJsonStrings(aValues[i]!, bValues[i]!);
    if (order !== 0) return order;
  }
  return bNames.length - aNames.length;
}

/** Orders two label sets (names sorted) as their compact JSON texts compare (see `compareEntries`). */
export function compareLabelSets(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): number {
  if (a === b) return 0;
  const aNames = Object.keys(a);
  const bNames = Object.keys(b);
  return compareEntries(
    aNames,
    aNames.map((name) => a[name]!),
    bNames,
    bNames.map((name) => b[name]!),
  );
}

/**
 * What is kept per target beyond the target itself: its label set as written (the target's own
 * labels object whenever they are already sorted, without `__address__` and well-formed, which is
 * what discovery builds: no copy), its values in name order, and its compact group text once
 * http_sd rendered it. No label-set key and no file text: groups are found by sorting with
 * `compareEntries`, and a file's text is made as it is written.
 */
interface Derived {
  labels: Readonly<Record<string, string>>;
  /** The labels' names in order: one array shared by every target with the same names (see `sharedNames`). */
  names: readonly string[];
  /** The labels' values, in the order of `names`. */
  values: readonly string[];
  /** The address, as written (lone surrogates replaced). */
  address: string;
  /** True when the address or a label held a lone surrogate, written as U+FFFD. */
  replaced: boolean;
  compact?: string;
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
    const names = sharedNames(labels);
    const values = names.map((name) => labels[name]!);
    entry = { labels, names, values, address: toWellFormed(target.address), replaced };
    derived.set(target, entry);
  }
  return entry;
}

interface Grouped {
  labels: Readonly<Record<string, string>>;
  addresses: Set<string>;
  /** The group's only target, while it has one address (its compact text can be kept with it). */
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
  return a === b ? 0 : compareEntries(a.names, a.values, b.names, b.values);
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
  const sorted = resort(entries, previous?.sorted as readonly Derived[] | undefined, byLabels);
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

function serialize(group: Grouped, style: GroupsStyle): string {
  const { names, values } = group.first;
  return groupText([...group.addresses].sort(compare), names, values, group.labels, style);
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

/** Thrown by the texts of a rendering (`RenderedTexts`) as they are made: why the list cannot be rendered. */
export class RenderError extends Error {
  readonly reason: RenderFailure['reason'];
  constructor(reason: RenderFailure['reason'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RenderError';
    this.reason = reason;
  }
}

/**
 * A list ready to render: its groups' texts, in order, made one by one as `texts` is iterated
 * (once; `listChunks` and `listByteChunks` add the brackets and separators), so a file is written
 * in chunks and never held whole. Iterating throws RenderError when the texts grow past the bound or
 * one cannot be made. `order` is for the next rendering of the same list.
 */
export type RenderedTexts =
  | { ok: true; texts: Iterable<string>; replaced: number; order: RenderOrder }
  | RenderFailure;

function renderFailure(targets: readonly Target[], err: unknown): RenderFailure {
  if (err instanceof RenderError)
    return { ok: false, reason: err.reason, message: err.message, cause: err.cause };
  return {
    ok: false,
    reason: 'render-error',
    message: `rendering ${targets.length} targets failed: ${err instanceof Error ? err.message : String(err)}`,
    cause: err,
  };
}

/**
 * The target groups in a style as texts made on demand (see `RenderedTexts`), the whole at most
 * `maxLength` code units long. With `previous` (the `order` of the last rendering of this list)
 * only new targets are sorted. Never throws; grouping errors become a value.
 */
export function tryRenderGroupTexts(
  targets: readonly Target[],
  style: GroupsStyle,
  maxLength: number = MAX_OUTPUT_LENGTH,
  previous?: RenderOrder,
): RenderedTexts {
  try {
    const { groups, replaced, order } = group(targets, previous);
    return { ok: true, texts: groupTexts(targets.length, groups, style, maxLength), replaced, order };
  } catch (err) {
    return renderFailure(targets, err);
  }
}

function* groupTexts(
  count: number,
  groups: readonly Grouped[],
  style: GroupsStyle,
  maxLength: number,
): Generator<string> {
  // Brackets, separators and final newline of the list: at most 2 per group plus 4.
  let length = 4;
  for (const entry of groups) {
    let text: string;
    try {
      if (style === 'compact' && entry.only !== undefined) {
        entry.only.compact ??= serialize(entry, style);
        text = entry.only.compact;
      } else text = serialize(entry, style);
    } catch (err) {
      throw new RenderError(
        'render-error',
        `rendering ${count} targets failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    length += text.length + 2;
    if (length > maxLength) {
      throw new RenderError(
        'too-large',
        `${count} targets in ${groups.length} groups render to more than ${maxLength} characters, the most one output holds`,
      );
    }
    yield text;
  }
}

/**
 * The target groups in a style, at most `maxLength` code units long: `file` is byte for byte
 * `JSON.stringify(toTargetGroups(targets), null, 2) + '\n'`, `compact` is
 * `JSON.stringify(toTargetGroups(targets))`. Never throws: a list longer than `maxLength` stops
 * being serialized there, and any error becomes a value.
 */
export function tryRenderTargetGroups(
  targets: readonly Target[],
  style: GroupsStyle,
  maxLength: number = MAX_OUTPUT_LENGTH,
): RenderedGroups {
  const rendered = tryRenderGroupTexts(targets, style, maxLength);
  if (!rendered.ok) return rendered;
  try {
    const content = [...listChunks(rendered.texts, style, Number.POSITIVE_INFINITY)].join('');
    return { ok: true, content, replaced: rendered.replaced };
  } catch (err) {
    return renderFailure(targets, err);
  }
}

/** The target groups in a style (see `tryRenderTargetGroups`); throws when they cannot be rendered. */
export function renderTargetGroups(targets: readonly Target[], style: GroupsStyle): string {
  const rendered = tryRenderTargetGroups(targets, style);
  if (!rendered.ok) throw new Error(rendered.message, { cause: rendered.cause });
  return rendered.content;
}
