import type { z } from 'zod';

/** A fleet file (or generator spec) with problems: one `path: message` line per problem; the CLI exits 2. */
export class FleetError extends Error {
  readonly code = 'FLEET_INVALID';
  readonly problems: string[];
  constructor(problems: string[], source?: string) {
    super(`${source ? `${source}: ` : ''}invalid fleet:\n${problems.join('\n')}`);
    this.name = 'FleetError';
    this.problems = problems;
  }
}

/** Formats a path like `clusters[0].instances[1].launchType`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a map';
  return String(v);
}

/** Turns zod issues into `path: got X, expected Y` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const i of issues) {
    const path = formatPath(i.path);
    const input = (i as { input?: unknown }).input;
    switch (i.code) {
      case 'invalid_type':
        out.push(
          `${path}: got ${show(input)}, expected ${i.expected === 'array' ? 'a list' : i.expected === 'object' ? 'a map' : i.expected}`,
        );
        break;
      case 'invalid_value':
        out.push(`${path}: got ${show(input)}, expected one of ${i.values.map((v) => String(v)).join(', ')}`);
        break;
      case 'unrecognized_keys':
        for (const k of i.keys) out.push(`${formatPath([...i.path, k])}: unknown key ${JSON.stringify(k)}`);
        break;
      case 'too_small':
        out.push(
          `${path}: got ${Array.isArray(input) ? `${input.length} items` : show(input)}, expected ${Array.isArray(input) || i.origin === 'array' ? `at least ${String(i.minimum)} item(s)` : `a value >= ${String(i.minimum)}`}`,
        );
        break;
      case 'too_big':
        out.push(`${path}: got ${show(input)}, expected a value <= ${String(i.maximum)}`);
        break;
      case 'invalid_format':
        out.push(
          `${path}: got ${show(input)}, ${i.message.startsWith('expected') ? i.message : `expected ${i.format}`}`,
        );
        break;
      case 'invalid_union':
        out.push(`${path}: got ${show(input)}, expected a map of name to value or a list of {name, value}`);
        break;
      default:
        out.push(`${path}: got ${show(input)}, ${i.message}`);
    }
  }
  return out;
}
