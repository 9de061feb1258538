/** Shared test helpers: running the Debian tools, reading the rule files. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** monitoring/ itself. */
export const ROOT = join(import.meta.dirname, '..');

/** The outcome of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never throws on a non-zero exit: the caller asserts on it). */
export function run(file: string, args: string[], cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One alerting or recording rule as written in monitoring/rules/*.yml. */
export interface RuleDef {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The rule files of monitoring/rules/, parsed. */
export function ruleFiles(): Array<{ file: string; rules: RuleDef[] }> {
  const dir = join(ROOT, 'rules');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((file) => {
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as { groups: Array<{ rules: RuleDef[] }> };
      return { file, rules: doc.groups.flatMap((g) => g.rules) };
    });
}

/** Every alerting rule of monitoring/rules/. */
export function alertRules(): RuleDef[] {
  return ruleFiles().flatMap((f) => f.rules.filter((r) => r.alert !== undefined));
}
