/**
 * Rendering of targets into Prometheus target groups (`{targets, labels}`), the list that file_sd
 * files and the http_sd endpoint both carry. Pure: the same targets always give the same bytes.
 *
 * Targets are immutable and a task's targets are the same objects from one refresh (or event) to
 * the next until the task changes, so each target's sorted labels, group key and serialized group
 * are computed once and kept (weakly) with it: re-rendering 10,000 targets after one of them
 * changed serializes one group, not 10,000.
 */
import type { Target } from '../discovery/types.ts';

/** One entry of a file_sd / http_sd list: addresses that share exactly one label set. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** How a list is serialized: `file` as file_sd's JSON (2-space indent, final newline), `compact` for http_sd. */
export type GroupsStyle = 'file' | 'compact';

/** Plain code-unit comparison: locale-independent, so output never depends on the host's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What is derived once per target: its label set sorted by name, that set's key, and its group's bytes. */
interface Derived {
  labels: Record<string, string>;
  id: string;
  rendered: Partial<Record<GroupsStyle, string>>;
}

const derived = new WeakMap<Target, Derived>();

/** The label set with its names sorted (and `__address__` dropped), so equal sets serialize to equal keys and bytes. */
function derive(target: Target): Derived {
  let entry = derived.get(target);
  if (entry === undefined) {
    const labels: Record<string, string> = {};
    for (const name of Object.keys(target.labels).sort(compare)) {
      if (name !== '__address__') labels[name] = target.labels[name]!;
    }
    entry = { labels, id: JSON.stringify(labels), rendered: {} };
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

function group(targets: readonly Target[]): Grouped[] {
  const groups = new Map<string, Grouped>();
  for (const target of targets) {
    const { labels, id } = derive(target);
    const existing = groups.get(id);
    if (existing === undefined) {
      groups.set(id, { id, labels, addresses: new Set([target.address]), only: target });
    } else {
      existing.addresses.add(target.address);
      if (existing.addresses.size > 1) existing.only = undefined;
    }
  }
  return [...groups.values()].sort((a, b) => compare(a.id, b.id));
}

function serialize(group: Grouped, style: GroupsStyle): string {
  const value: TargetGroup = { targets: [...group.addresses].sort(compare), labels: group.labels };
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
  return group(targets).map((entry) => ({
    targets: [...entry.addresses].sort(compare),
    labels: entry.labels,
  }));
}

/**
 * The target groups as JSON: byte for byte `JSON.stringify(toTargetGroups(targets), null, 2) + '\n'`
 * (`file`) or `JSON.stringify(toTargetGroups(targets))` (`compact`), reusing each unchanged group's bytes.
 */
export function renderTargetGroups(targets: readonly Target[], style: GroupsStyle): string {
  const parts = group(targets).map((entry) => {
    if (entry.only === undefined) return serialize(entry, style);
    const cache = derive(entry.only).rendered;
    cache[style] ??= serialize(entry, style);
    return cache[style];
  });
  if (style === 'compact') return `[${parts.join(',')}]`;
  return parts.length === 0 ? '[]\n' : `[\n${parts.join(',\n')}\n]\n`;
}
