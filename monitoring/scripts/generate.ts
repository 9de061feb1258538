/** Writes the generated files of monitoring/ (Prometheus configurations, Grafana dashboards). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles } from '../src/files.ts';

const root = join(import.meta.dirname, '..');
for (const [path, text] of Object.entries(generatedFiles())) {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${path}`);
}
