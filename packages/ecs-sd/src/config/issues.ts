/**
 * Validation problems in ecs-sd's words: one `path: message` line per zod issue, naming the key (or
 * the flag or environment variable that set it), the value received and what was expected. Never
 * zod's own phrasing ("Invalid input", "Too big: expected number to be <=65535"): a message the
 * schema wrote itself (starting with "expected", or a custom check's line) is kept, anything else
 * is said again from the issue's fields. Shared by the config file and the web config file.
 */
import type { z } from 'zod';

/** A value from a flag or an environment variable, placed at a config path; `origin` names it in problems. */
export interface ConfigOverride {
  path: readonly (string | number)[];
  value: unknown;
  /** `--log.level` or `ECS_SD_LOG_LEVEL`. */
  origin: string;
}

type Path = readonly PropertyKey[];

/** `sources[0].region` from `['sources', 0, 'region']`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A value as problems quote it: JSON (cut at 80 characters), or `nothing`. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** zod's type names as a reader says them. */
const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys',
  record: 'a mapping of keys',
  null: 'null',
};

function typeWords(expected: string): string {
  return TYPE_WORDS[expected] ?? `a ${expected}`;
}

/** What a size bound says about the kind of value: characters, items, or the number itself. */
function bound(
  issue: { origin?: string; inclusive?: boolean },
  value: unknown,
  side: 'least' | 'most',
): string {
  const n = Number(value);
  if (issue.origin === 'string') return `at ${side} ${n} character${n === 1 ? '' : 's'}`;
  if (issue.origin === 'array' || issue.origin === 'set') return `at ${side} ${n} item${n === 1 ? '' : 's'}`;
  if (issue.inclusive === false) return `${side === 'least' ? 'more' : 'less'} than ${n}`;
  return `at ${side} ${n}`;
}

const FORMAT_WORDS: Readonly<Record<string, string>> = {
  url: 'a URL such as https://ecs.us-east-1.amazonaws.com',
  regex: 'a value of the required form',
};

/** True when the schema wrote the message itself (our messages say what is expected). */
function ours(message: string): boolean {
  return message.startsWith('expected ');
}

/** The message of one issue, without its path. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'custom':
      return issue.message;
    case 'invalid_type':
      return input === undefined
        ? `missing, expected ${typeWords(issue.expected)}`
        : `got ${show(input)}, expected ${typeWords(issue.expected)}`;
    case 'invalid_value':
      return `got ${show(input)}, expected one of ${issue.values.map((value) => show(value)).join(', ')}`;
    case 'too_small':
      return `got ${show(input)}, ${ours(issue.message) ? issue.message : `expected ${bound(issue, issue.minimum, 'least')}`}`;
    case 'too_big':
      return `got ${show(input)}, ${ours(issue.message) ? issue.message : `expected ${bound(issue, issue.maximum, 'most')}`}`;
    case 'invalid_format':
      return `got ${show(input)}, ${ours(issue.message) ? issue.message : `expected ${FORMAT_WORDS[issue.format] ?? `a valid ${issue.format}`}`}`;
    case 'invalid_key': {
      const inner = issue.issues.find((nested) => ours(nested.message));
      return `key ${show(input)} is not allowed, ${inner?.message ?? 'expected another key'}`;
    }
    case 'invalid_element':
      return `got ${show(input)}, expected ${issue.issues.map((nested) => describeIssue(nested)).join('; ')}`;
    case 'not_multiple_of':
      return `got ${show(input)}, expected a multiple of ${issue.divisor}`;
    default:
      return `got ${show(input)}, ${ours(issue.message) ? issue.message : 'expected another value (see the README for this key)'}`;
  }
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((part, index) => path[index] === part);
}

/**
 * One `path: message` line per zod issue; a path a flag or environment variable set is named by it
 * (`ECS_SD_LOG_LEVEL (log.level): …`). `knownKeys(path)` lists the keys an object allows, for unknown keys.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  options: { overrides?: readonly ConfigOverride[]; knownKeys?: (path: Path) => string[] } = {},
): string[] {
  const overrides = options.overrides ?? [];
  const lines: string[] = [];
  for (const issue of issues) {
    const override = overrides.find((candidate) => startsWith(issue.path, candidate.path));
    const where = (path: Path) =>
      override === undefined ? formatPath(path) : `${override.origin} (${formatPath(path)})`;
    if (issue.code === 'unrecognized_keys') {
      const known = options.knownKeys?.(issue.path) ?? [];
      for (const key of issue.keys) {
        const expected = known.length > 0 ? `, expected one of ${known.join(', ')}` : '';
        lines.push(`${where([...issue.path, key])}: unknown key${expected}`);
      }
      continue;
    }
    const path = issue.code === 'invalid_key' ? issue.path.slice(0, -1) : issue.path;
    lines.push(`${where(path)}: ${describeIssue(issue)}`);
  }
  return lines;
}
