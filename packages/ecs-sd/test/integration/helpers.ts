/**
 * Shared helpers of the integration tests: fleet fixtures, golden files, a waitUntil with a
 * deadline, and a daemon wired to an ecs-sim endpoint with real SDK clients.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { createRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';

/** Static credentials for the SDK's default chain (environment): ecs-sim accepts any unless a fleet lists keys. */
export function useTestCredentials(): void {
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDECSSDTEST';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'ecs-sd-test-secret';
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
}

/** Environment of a child `ecs-sd` process: PATH and test credentials only. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    AWS_ACCESS_KEY_ID: 'AKIDECSSDTEST',
    AWS_SECRET_ACCESS_KEY: 'ecs-sd-test-secret',
    ...extra,
  };
}

/** A fleet fixture from test/fixtures, parsed. */
export async function loadFleet(name: string): Promise<unknown> {
  return parse(await readFile(fixturePath(`${name}.yaml`), 'utf8'));
}

/** Absolute path of a fixture file. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Compares `actual` with a golden file; `UPDATE_GOLDEN=1` rewrites the file instead. */
export async function assertGolden(name: string, actual: string): Promise<void> {
  const path = fileURLToPath(new URL(`../golden/${name}`, import.meta.url));
  if (process.env['UPDATE_GOLDEN'] === '1') {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = await readFile(path, 'utf8');
  } catch {
    assert.fail(`golden file ${name} is missing: run the tests once with UPDATE_GOLDEN=1 and review it`);
  }
  assert.equal(actual, expected, `output differs from golden file ${name} (UPDATE_GOLDEN=1 rewrites it)`);
}

/** A config for one source at an ecs-sim endpoint, plus the YAML of `extra` (discovery, output, …). */
export function simConfig(endpoint: string, extraYaml = '', source: Record<string, unknown> = {}): Config {
  const file = (parse(extraYaml) ?? {}) as Record<string, unknown>;
  const sources = (file['sources'] as Record<string, unknown>[] | undefined) ?? [
    { name: 'sim', region: 'us-east-1', endpoint, ...source },
  ];
  return loadConfig({ fileText: JSON.stringify({ ...file, sources }) });
}

/** A runtime reading ecs-sim with real SDK clients, its own metrics and a silent logger. */
export function simDaemon(config: Config): { daemon: Runtime; metrics: Metrics } {
  const metrics = createMetrics({ defaultMetrics: false });
  return { daemon: createRuntime(config, { log: silentLogger(), metrics }), metrics };
}

/** The value of one counter/gauge series in a metrics registry, 0 when absent. */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const match = values.find((value) =>
    Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return match?.value ?? 0;
}

/** Sum of the series of a metric whose labels match. */
export async function metricSum(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((value) =>
      Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
    )
    .reduce((sum, value) => sum + value.value, 0);
}
