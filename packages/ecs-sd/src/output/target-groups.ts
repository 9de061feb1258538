/**
 * Rendering of targets into Prometheus target groups (`{targets, labels}`), the list that file_sd
 * files and the http_sd endpoint both carry. Pure: the same targets always give the same bytes.
 *
 * Targets are immutable and a task's targets are the same objects from one refresh (or event) to
 * the next until the task changes, so each target's sorted labels, group key and serialized group
 * are computed once and kept (weakly) with it: re-rendering 10,000 targets after one of them
 * changed serializes one group, not 10,000.
 *
 * A rendering is bounded (`MAX_OUTPUT_LENGTH`): one that would grow past it stops there and is
 * refused as a value, before the one big string is joined, so an oversized output costs no more
 * than the limit and never throws V8's `RangeError: Invalid string length`.
 */
import type { Target } from '../discovery/types.ts';
import { isWellFormed, toWellFormed } from './unicode.ts';
import { yamlScalar } from './yaml-scalar.ts';

/** One entry of a file_sd / http_sd list: addresses that share exactly one label set. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/**
 * How a list is serialized: `file` as file_sd's JSON (2-space indent, final newline), `compact` for
 * http_sd, `yaml` as file_sd's YAML (block style, scalars Prometheus's YAML 1.1 parser reads exactly).
 */
export type GroupsStyle = 'file' | 'compact' | 'yaml';

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

/** What is derived once per target: its label set sorted by name, that set's key, and its group's bytes. */
interface Derived {
  labels: Record<string, string>;
  id: string;
  /** The address, as written (lone surrogates replaced). */
  address: string;
  /** True when the address or a label held a lone surrogate, written as U+FFFD. */
  replaced: boolean;
  rendered: Partial<Record<GroupsStyle, string>>;
}

const derived = new WeakMap<Target, Derived>();

/** The label set with its names sorted (and `__address__` dropped), so equal sets serialize to equal keys and bytes. */
function derive(target: Target): Derived {
  let entry = derived.get(target);
  if (entry === undefined) {
    let labels: Record<string, string> = {};
    for (const name of Object.keys(target.labels).sort(compare)) {
      if (name !== '__address__') labels[name] = target.labels[name]!;
    }
    let id = JSON.stringify(labels);
    // Lone surrogates become U+FFFD in every output, so JSON, YAML and http_sd agree (see unicode.ts).
    // JSON.stringify writes each as the text `\udXXX`: without that text, no label holds one.
    let replaced = false;
    if (
      id.includes('\\ud') &&
      !Object.entries(labels).every(([n, v]) => isWellFormed(n) && isWellFormed(v))
    ) {
      replaced = true;
      labels = Object.fromEntries(Object.entries(labels).map(([n, v]) => [toWellFormed(n), toWellFormed(v)]));
      id = JSON.stringify(labels);
    }
    if (!isWellFormed(target.address)) replaced = true;
    entry = { labels, id, address: toWellFormed(target.address), replaced, rendered: {} };
    derived.set(target, entry);
  }
  return entry;
}

interface Grouped {
  id: string;
  labels: Record<string, string>;
  addresses: Set<string>;
  /** The group's only target, while it has one (its bytes can be kept with it). */
  only: Target | undefined;
}

/** The groups, sorted by label set, and how many targets had lone surrogates replaced. */
function group(targets: readonly Target[]): { groups: Grouped[]; replaced: number } {
  const groups = new Map<string, Grouped>();
  let replaced = 0;
  for (const target of targets) {
    const { labels, id, address, replaced: had } = derive(target);
    if (had) replaced++;
    const existing = groups.get(id);
    if (existing === undefined) {
      groups.set(id, { id, labels, addresses: new Set([address]), only: target });
    } else {
      existing.addresses.add(address);
      if (existing.addresses.size > 1) existing.only = undefined;
    }
  }
  return { groups: [...groups.values()].sort((a, b) => compare(a.id, b.id)), replaced };
}

function serializeYaml(value: TargetGroup): string {
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
  const value: TargetGroup = { targets: [...group.addresses].sort(compare), labels: group.labels };
  if (style === 'yaml') return serializeYaml(value);
  // Inside file_sd's top-level array every line of a group is indented two more spaces.
  return style === 'file'
    ? `  ${JSON.stringify(value, null, 2).replaceAll('\n', '\n  ')}`
    : JSON.stringify(value);
}

/**
 * Groups targets into one group per distinct label set, groups ordered by their label set and
 * addresses sorted within a group, so that output changes only when the targets do.
 * A `__address__` label, if present, is dropped: Prometheus takes the address from `targets`.
 */
export function toTargetGroups(targets: readonly Target[]): TargetGroup[] {
  return group(targets).groups.map((entry) => ({
    targets: [...entry.addresses].sort(compare),
    labels: entry.labels,
  }));
}

/** A rendered list, or why it could not be: `too-large` (over the bound) or `render-error` (anything thrown). */
export type RenderedGroups =
  | {
      ok: true;
      content: string;
      /** Targets whose address or labels held lone surrogates, written as U+FFFD. */
      replaced: number;
    }
  | { ok: false; reason: 'too-large' | 'render-error'; message: string; cause?: unknown };

function wrap(parts: readonly string[], style: GroupsStyle): string {
  if (style === 'compact') return `[${parts.join(',')}]`;
  if (style === 'yaml') return parts.length === 0 ? '[]\n' : `${parts.join('\n')}\n`;
  return parts.length === 0 ? '[]\n' : `[\n${parts.join(',\n')}\n]\n`;
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
  try {
    const { groups, replaced } = group(targets);
    const parts: string[] = [];
    // Brackets, separators and final newline of the list: at most 2 per group plus 4.
    let length = 4;
    for (const entry of groups) {
      let part: string;
      if (entry.only === undefined) part = serialize(entry, style);
      else {
        const cache = derive(entry.only).rendered;
        cache[style] ??= serialize(entry, style);
        part = cache[style];
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
    return { ok: true, content: wrap(parts, style), replaced };
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
