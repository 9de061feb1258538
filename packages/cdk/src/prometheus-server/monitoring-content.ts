/**
 * Reads the monitoring content folder at synth time (the only file I/O of the constructs): where it
 * is, which optional files exist, and the parsed base prometheus.yml.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository's `monitoring/` folder, resolved from this file so it works from any working directory. */
export const DEFAULT_MONITORING_DIRECTORY = fileURLToPath(new URL('../../../../monitoring', import.meta.url));

/** Files never copied to the task: the monitoring workspace's code, tests and package files. */
export const MONITORING_EXCLUDES = [
  'node_modules',
  'src',
  'scripts',
  'test',
  'generated',
  '*.ts',
  '*.md',
  'package.json',
  'tsconfig.json',
] as const;

/** Resolves and checks the monitoring folder; throws naming the path when it is not a directory. */
export function resolveMonitoringDirectory(directory: string | undefined): string {
  const path = directory === undefined ? DEFAULT_MONITORING_DIRECTORY : resolve(directory);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new Error(
      `monitoringDirectory ${JSON.stringify(path)} is not a directory, expected the monitoring/ folder`,
    );
  }
  return path;
}

/** The parsed YAML mapping at `relativePath`, or undefined when the file does not exist. */
export function readYamlMapping(
  directory: string,
  relativePath: string,
): Record<string, unknown> | undefined {
  if (isAbsolute(relativePath)) {
    throw new Error(
      `path ${JSON.stringify(relativePath)} is absolute, expected a path relative to ${directory}`,
    );
  }
  const file = join(directory, relativePath);
  if (!existsSync(file)) return undefined;
  const value: unknown = parse(readFileSync(file, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    throw new Error(`${file} holds ${kind}, expected a YAML mapping`);
  }
  return value as Record<string, unknown>;
}
