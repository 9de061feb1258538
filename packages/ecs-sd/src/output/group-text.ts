/**
 * The text of one target group in each style of a list (see list-chunks.ts for the brackets and
 * separators around it). Pure.
 */
import type { GroupsStyle } from './list-chunks.ts';
import { yamlScalar } from './yaml-scalar.ts';

function serializeYaml(value: {
  targets: readonly string[];
  labels: Readonly<Record<string, string>>;
}): string {
  const lines = ['- targets:', ...value.targets.map((address) => `    - ${yamlScalar(address)}`)];
  const names = Object.keys(value.labels);
  if (names.length === 0) lines.push('  labels: {}');
  else {
    lines.push('  labels:');
    for (const name of names) lines.push(`    ${yamlScalar(name)}: ${yamlScalar(value.labels[name]!)}`);
  }
  return lines.join('\n');
}

/** Per shared name list (target-groups.ts, `sharedNames`): each name's line of a file_sd group up to its value. */
const fileLabelPrefixes = new WeakMap<readonly string[], readonly string[]>();

function labelPrefixes(names: readonly string[]): readonly string[] {
  let prefixes = fileLabelPrefixes.get(names);
  if (prefixes === undefined) {
    prefixes = names.map((name) => `      ${JSON.stringify(name)}: `);
    fileLabelPrefixes.set(names, prefixes);
  }
  return prefixes;
}

/**
 * A group as file_sd's JSON writes it inside the top-level array: exactly
 * `JSON.stringify([group], null, 2).slice(2, -2)`, each line indented two more spaces than the
 * group alone. Made by hand because V8's JSON.stringify with an indent is its slow path: for the
 * 23 MB of the 10,000-task fleet's files it took about 180 of a churn refresh's 950 CPU-ms.
 */
function fileText(addresses: readonly string[], names: readonly string[], values: readonly string[]): string {
  let text = '  {\n    "targets": [';
  for (let i = 0; i < addresses.length; i++)
    text += `${i === 0 ? '\n' : ',\n'}      ${JSON.stringify(addresses[i])}`;
  if (names.length === 0) return `${text}\n    ],\n    "labels": {}\n  }`;
  text += '\n    ],\n    "labels": {';
  const prefixes = labelPrefixes(names);
  for (let i = 0; i < names.length; i++)
    text += `${i === 0 ? '\n' : ',\n'}${prefixes[i]}${JSON.stringify(values[i])}`;
  return `${text}\n    }\n  }`;
}

/**
 * A group's text: its addresses (sorted) and its labels, given as the label set and as its names and
 * values in that order (the names a list shared by every group with those names).
 */
export function groupText(
  addresses: readonly string[],
  names: readonly string[],
  values: readonly string[],
  labels: Readonly<Record<string, string>>,
  style: GroupsStyle,
): string {
  if (style === 'file') return fileText(addresses, names, values);
  const value = { targets: addresses, labels };
  return style === 'yaml' ? serializeYaml(value) : JSON.stringify(value);
}
