/** Test helpers: a normalized template for the committed snapshot, and a small comparison with UPDATE_SNAPSHOT=1. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fixture monitoring folder, so templates do not change when monitoring/ does. */
export const FIXTURE_MONITORING = fileURLToPath(new URL('./fixtures/monitoring', import.meta.url));

const HASH = /[0-9a-f]{64}/g;

/** The template with everything unstable masked: asset hashes (64 hex) and the config version derived from them. */
export function normalizeTemplate(template: unknown): unknown {
  const text = JSON.stringify(template).replace(HASH, '<asset-hash>');
  return JSON.parse(text, (key, value) =>
    key === 'Value' && typeof value === 'string' && /^[0-9a-f]{16}$/.test(value) ? '<config-version>' : value,
  );
}

/** Compares `value` with the committed snapshot `name`; UPDATE_SNAPSHOT=1 rewrites it. */
export function matchSnapshot(name: string, value: unknown): void {
  const file = join(dirname(fileURLToPath(import.meta.url)), '__snapshots__', `${name}.snap.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env['UPDATE_SNAPSHOT'] === '1' || !existsSync(file)) {
    if (process.env['CI'] !== undefined && process.env['UPDATE_SNAPSHOT'] !== '1') {
      assert.fail(`snapshot ${file} is missing; run the tests with UPDATE_SNAPSHOT=1 and commit it`);
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.deepEqual(
    JSON.parse(text),
    JSON.parse(readFileSync(file, 'utf8')),
    `template differs from ${file}; if intended, run with UPDATE_SNAPSHOT=1`,
  );
}

/** A CloudFormation value as the tests read it: untyped JSON. */
// biome-ignore lint/suspicious/noExplicitAny: templates are untyped JSON; assertions check their shape
export type Json = any;

/** Every resource of `type` in a template, as [logicalId, resource] pairs. */
export function resourcesOfType(
  template: Record<string, unknown>,
  type: string,
): [string, Record<string, Json>][] {
  const resources = template['Resources'] as Record<string, Record<string, Json>>;
  return Object.entries(resources).filter(([, resource]) => resource['Type'] === type);
}

/** Paths of a generated config file (`generated/<name>`) in every asset folder of a cloud assembly. */
export function generatedFiles(assemblyDirectory: string, name: string): string[] {
  return readdirSync(assemblyDirectory)
    .map((entry) => join(assemblyDirectory, entry, 'generated', name))
    .filter((file) => existsSync(file));
}
