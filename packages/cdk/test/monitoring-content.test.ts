import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  DEFAULT_MONITORING_DIRECTORY,
  readYamlMapping,
  resolveMonitoringDirectory,
} from '../src/prometheus-server/monitoring-content.ts';

const dir = mkdtempSync(join(tmpdir(), 'ecs-sd-monitoring-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the default monitoring folder is the repository monitoring/ folder', () => {
  assert.equal(resolveMonitoringDirectory(undefined), DEFAULT_MONITORING_DIRECTORY);
  assert.match(DEFAULT_MONITORING_DIRECTORY, /[/\\]monitoring$/);
});

test('a missing monitoring folder fails the synth naming the path', () => {
  const missing = join(dir, 'nope');
  assert.throws(() => resolveMonitoringDirectory(missing), {
    message: `monitoringDirectory ${JSON.stringify(missing)} is not a directory, expected the monitoring/ folder`,
  });
});

test('optional files: absent is undefined, a non-mapping or an absolute path is an error', () => {
  assert.equal(readYamlMapping(dir, 'prometheus/prometheus.yml'), undefined);
  writeFileSync(join(dir, 'list.yml'), '- a\n- b\n');
  assert.throws(() => readYamlMapping(dir, 'list.yml'), /list\.yml holds a list, expected a YAML mapping/);
  writeFileSync(join(dir, 'ok.yml'), 'global: {scrape_interval: 15s}\n');
  assert.deepEqual(readYamlMapping(dir, 'ok.yml'), { global: { scrape_interval: '15s' } });
  assert.throws(() => readYamlMapping(dir, '/etc/passwd'), /path "\/etc\/passwd" is absolute/);
});
