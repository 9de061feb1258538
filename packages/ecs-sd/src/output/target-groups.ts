/**
 * Rendering of targets into Prometheus target groups (`{targets, labels}`), the list that file_sd
 * files and the http_sd endpoint both carry. Pure: the same targets always give the same bytes.
 */
import type { Target } from '../discovery/types.ts';

/** One entry of a file_sd / http_sd list: addresses that share exactly one label set. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Plain code-unit comparison: locale-independent, so output never depends on the host's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The label set with its names sorted, so equal sets serialize to equal keys and equal bytes. */
function sortedLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(labels).sort(compare)) {
    out[name] = labels[name]!;
  }
  return out;
}

/**
 * Groups targets into one group per distinct label set, groups ordered by their label set and
 * addresses sorted within a group, so that output changes only when the targets do.
 * A `__address__` label, if present, is dropped: Prometheus takes the address from `targets`.
 */
export function toTargetGroups(targets: readonly Target[]): TargetGroup[] {
  const groups = new Map<string, { labels: Record<string, string>; addresses: Set<string> }>();
  for (const target of targets) {
    const { __address__: _ignored, ...rest } = target.labels;
    const labels = sortedLabels(rest);
    const id = JSON.stringify(labels);
    let group = groups.get(id);
    if (group === undefined) {
      group = { labels, addresses: new Set() };
      groups.set(id, group);
    }
    group.addresses.add(target.address);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([, group]) => ({ targets: [...group.addresses].sort(compare), labels: group.labels }));
}
