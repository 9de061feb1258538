/**
 * Tools from Debian packages that tests run (prometheus, promtool, amtool, node-exporter): one rule
 * for a missing one. Locally the tests that need it are skipped with a message naming the package;
 * where `CI` is set they fail, because CI installs the packages (.ci/run) and a missing tool there
 * is a broken pipeline, not a skip.
 */
import { which } from './which.ts';

/** A tool tests need, found or not. */
export interface RequiredTool {
  /**
   * The `skip` option of `test`, `it` or `describe`: why they are skipped when the tool is missing,
   * false when it is found, and false too where CI is set (the test then fails on `path`).
   */
  readonly skip: string | false;
  /** The tool's absolute path; throws, naming the package, when it is missing. */
  readonly path: string;
}

/**
 * Finds the first of `names` on PATH (and in the Debian directories), for tests that need that
 * tool: declare it once per file, pass `skip` to the tests that use it and read `path` in them.
 */
export function requireTool(
  names: string | readonly string[],
  debianPackage: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RequiredTool {
  const candidates = typeof names === 'string' ? [names] : names;
  let found: string | undefined;
  for (const name of candidates) {
    found = which(name);
    if (found !== undefined) break;
  }
  const shown = candidates.join(' or ');
  const ci = env['CI'] !== undefined && env['CI'] !== '';
  const missing = `${shown} not found; install the Debian package ${debianPackage}`;
  return {
    skip: found !== undefined || ci ? false : missing,
    get path(): string {
      if (found === undefined) {
        throw new Error(
          ci
            ? `${shown} not found and CI is set: .ci/run installs the Debian package ${debianPackage}`
            : missing,
        );
      }
      return found;
    },
  };
}

/**
 * The tool's path inside a running test, by the same rule: a missing tool skips the test locally
 * (returning undefined) and fails it where CI is set. For tests that find out late what they need.
 */
export function toolIn(
  t: { skip(message?: string): void },
  names: string | readonly string[],
  debianPackage: string,
): string | undefined {
  const tool = requireTool(names, debianPackage);
  if (tool.skip !== false) {
    t.skip(tool.skip);
    return undefined;
  }
  return tool.path;
}
