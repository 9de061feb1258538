/** renderPrometheusConfig and the generated files: the options a deployment or the demo sets, checked by promtool. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTool } from '@ecs-sd/testkit';
import { intervalFileName } from 'ecs-sd/intervals';
import { parse } from 'yaml';
import { generatedFiles } from '../src/files.ts';
import {
  buildPrometheusConfig,
  ECS_SD_INTERVALS,
  ECS_TARGET_LABELS,
  renderPrometheusConfig,
} from '../src/render.ts';
import { ROOT, run } from './helpers.ts';

/** promtool, from the Debian package prometheus: the test that runs it skips without it, unless CI is set. */
const PROMTOOL = requireTool('promtool', 'prometheus');

type Job = {
  job_name: string;
  scrape_interval?: string;
  file_sd_configs?: Array<{ files: string[] }>;
  http_sd_configs?: Array<{ url: string }>;
  static_configs?: Array<{ targets: string[] }>;
  relabel_configs?: Array<Record<string, unknown>>;
};
const jobs = (config: Record<string, unknown>): Job[] => config['scrape_configs'] as Job[];
const job = (config: Record<string, unknown>, name: string): Job => {
  const found = jobs(config).find((j) => j.job_name === name);
  assert.ok(found, `no job ${name}`);
  return found;
};

test('the checked-in files are what scripts/generate.ts writes (run it after editing src/)', () => {
  for (const [path, text] of Object.entries(generatedFiles())) {
    assert.equal(
      readFileSync(join(ROOT, path), 'utf8'),
      text,
      `${path} is stale: node monitoring/scripts/generate.ts`,
    );
  }
});

test('file_sd: one job per interval file at that interval, the daemons from every file', () => {
  const config = buildPrometheusConfig({ fileSdDir: '/tmp/sd/' });
  for (const interval of ECS_SD_INTERVALS) {
    const j = job(config, `ecs-${interval}`);
    assert.equal(j.scrape_interval, interval);
    assert.deepEqual(j.file_sd_configs?.[0]?.files, [`/tmp/sd/${intervalFileName(interval)}`]);
    assert.deepEqual(j.relabel_configs?.[0], {
      source_labels: ['job'],
      regex: 'node-exporter|cadvisor',
      action: 'drop',
    });
  }
  for (const name of ['node-exporter', 'cadvisor']) {
    assert.equal(job(config, name).file_sd_configs?.[0]?.files.length, 4);
    assert.deepEqual(job(config, name).relabel_configs?.[0], {
      source_labels: ['job'],
      regex: name,
      action: 'keep',
    });
  }
});

test('http_sd: the same jobs read ecs-sd filtered by interval and job', () => {
  const config = buildPrometheusConfig({ discovery: 'http_sd', httpSdUrl: 'http://127.0.0.1:9888/http-sd' });
  assert.equal(job(config, 'ecs-1m').http_sd_configs?.[0]?.url, 'http://127.0.0.1:9888/http-sd?interval=1m');
  assert.equal(
    job(config, 'node-exporter').http_sd_configs?.[0]?.url,
    'http://127.0.0.1:9888/http-sd?job=node-exporter',
  );
  assert.equal(job(config, 'ecs-1m').file_sd_configs, undefined);
});

test('sharding: hashmod over the address for file_sd, ecs-sd shard parameters for http_sd', () => {
  const fileSd = buildPrometheusConfig({ shard: { index: 2, total: 3 } });
  for (const name of ['ecs-15s', 'ecs-5m', 'node-exporter', 'cadvisor']) {
    const rules = job(fileSd, name).relabel_configs ?? [];
    assert.deepEqual(rules.slice(-2), [
      { source_labels: ['__address__'], modulus: 3, target_label: '__tmp_shard', action: 'hashmod' },
      { source_labels: ['__tmp_shard'], regex: '2', action: 'keep' },
    ]);
  }
  assert.equal(job(fileSd, 'ecs-sd').relabel_configs, undefined, 'every server scrapes ecs-sd itself');
  const httpSd = buildPrometheusConfig({ discovery: 'http_sd', shard: { index: 0, total: 2 } });
  assert.equal(
    job(httpSd, 'ecs-30s').http_sd_configs?.[0]?.url,
    'http://ecs-sd:9888/http-sd?interval=30s&shard=0&shards=2',
  );
  assert.ok(!JSON.stringify(job(httpSd, 'ecs-30s').relabel_configs).includes('hashmod'));
});

test('rejects a shard outside its range and an unknown discovery mode', () => {
  assert.throws(
    () => buildPrometheusConfig({ shard: { index: 2, total: 2 } }),
    /shard index 2 is not an integer in \[0, 1\]/,
  );
  assert.throws(() => buildPrometheusConfig({ shard: { index: 0, total: 0 } }), /shard total 0/);
  assert.throws(
    () => buildPrometheusConfig({ discovery: 'dns_sd' as 'file_sd' }),
    /discovery "dns_sd" is not one of file_sd, http_sd/,
  );
  assert.throws(
    () => buildPrometheusConfig({ discovery: 'http_sd', httpSdUrl: 'ecs-sd/http-sd' }),
    /not an absolute URL/,
  );
});

test('the demo substitutes its addresses; no alertmanagers leaves alerting out', () => {
  const config = buildPrometheusConfig({
    ecsSdTargets: ['127.0.0.1:41000'],
    alertmanagers: [],
    prometheusTargets: ['127.0.0.1:41001'],
    ruleFiles: ['/abs/rules/*.yml'],
    externalLabels: { prometheus: 'demo', prometheus_replica: 'a' },
  });
  assert.equal(config['alerting'], undefined);
  assert.equal(
    jobs(config).find((j) => j.job_name === 'alertmanager'),
    undefined,
  );
  assert.deepEqual(job(config, 'ecs-sd').static_configs, [{ targets: ['127.0.0.1:41000'] }]);
  assert.deepEqual(config['rule_files'], ['/abs/rules/*.yml']);
  assert.deepEqual((config['global'] as Record<string, unknown>)['external_labels'], {
    prometheus: 'demo',
    prometheus_replica: 'a',
  });
});

test('remote_write passes extra keys through (sigv4 for Amazon Managed Prometheus)', () => {
  const config = buildPrometheusConfig({
    remoteWrite: [
      { url: 'https://aps.example/api/v1/remote_write', extra: { sigv4: { region: 'eu-west-1' } } },
    ],
  });
  assert.deepEqual(config['remote_write'], [
    { url: 'https://aps.example/api/v1/remote_write', sigv4: { region: 'eu-west-1' } },
  ]);
  assert.equal(buildPrometheusConfig()['remote_write'], undefined);
});

test('renderPrometheusConfig is YAML for the same object', () => {
  const options = { discovery: 'http_sd' as const, shard: { index: 1, total: 4 } };
  assert.deepEqual(parse(renderPrometheusConfig(options)), buildPrometheusConfig(options));
});

test('promtool check config accepts the deployed files and rendered variants', {
  skip: PROMTOOL.skip,
}, async (t) => {
  const promtool = PROMTOOL.path;
  const dir = mkdtempSync(join(tmpdir(), 'ecs-sd-monitoring-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The deployed layout: the config next to rules/.
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  const variants: Record<string, string> = {
    'prometheus.yml': readFileSync(join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8'),
    'prometheus-http-sd.yml': readFileSync(join(ROOT, 'prometheus', 'prometheus-http-sd.yml'), 'utf8'),
    'sharded-remote-write.yml': renderPrometheusConfig({
      fileSdDir: dir,
      shard: { index: 1, total: 3 },
      remoteWrite: [
        { url: 'http://thanos-receive:19291/api/v1/receive' },
        { url: 'https://aps.example/api/v1/remote_write', extra: { sigv4: { region: 'eu-west-1' } } },
      ],
    }),
    'http-sd-sharded.yml': renderPrometheusConfig({
      discovery: 'http_sd',
      shard: { index: 0, total: 2 },
      alertmanagers: [],
    }),
  };
  for (const [name, text] of Object.entries(variants)) {
    writeFileSync(join(dir, name), text);
    const res = await run(promtool, ['check', 'config', join(dir, name)]);
    assert.equal(res.code, 0, `${name}: ${res.stdout}${res.stderr}`);
    assert.match(res.stdout, /SUCCESS: 6 rule files found/, name);
  }
});

test('ECS jobs write only the bounded label set, plus instance and scrape parameters', () => {
  const config = buildPrometheusConfig({ shard: { index: 0, total: 2 } });
  const allowed = new Set<string>([...ECS_TARGET_LABELS, 'instance', '__metrics_path__', '__tmp_shard']);
  for (const name of ['ecs-15s', 'ecs-30s', 'ecs-1m', 'ecs-5m', 'node-exporter', 'cadvisor']) {
    for (const rule of job(config, name).relabel_configs ?? []) {
      const target = rule['target_label'] as string | undefined;
      if (target !== undefined) assert.ok(allowed.has(target), `${name} writes ${target}`);
    }
  }
});

test('interval overrides speed up a bucket for a demo; a bad duration is refused', () => {
  const config = buildPrometheusConfig({ intervalOverrides: { '1m': '2s' }, scrapeInterval: '1s' });
  assert.equal(job(config, 'ecs-1m').scrape_interval, '2s');
  assert.equal(job(config, 'ecs-5m').scrape_interval, '5m');
  assert.equal((config['global'] as Record<string, unknown>)['scrape_timeout'], '1s');
  assert.throws(
    () => buildPrometheusConfig({ intervalOverrides: { '15s': 'fast' } }),
    /duration "fast" is not a Prometheus duration/,
  );
});
