/**
 * A real Prometheus runs the rendered configuration and every rule over file_sd files laid out as ecs-sd
 * writes them, scraping a real node-exporter and stand-ins for cAdvisor and ecs-sd; then every dashboard
 * query is run against it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ListeningProcess, requireTool, startPrometheusBinary, waitUntil } from '@ecs-sd/testkit';
import { intervalFileName } from 'ecs-sd/intervals';
import { renderPrometheusConfig } from '../src/render.ts';
import { ROOT } from './helpers.ts';

/** Debian-packaged servers the tests below run: they skip without them, unless CI is set. */
const PROMETHEUS = requireTool('prometheus', 'prometheus');
const NODE_EXPORTER = requireTool('prometheus-node-exporter', 'prometheus-node-exporter');

const ECS_LABELS = 'container_label_com_amazonaws_ecs';
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/demo/0f2a9c1e5b7d4e3f8a6b';
const cadvisorLabels = (name: string) =>
  `id="/ecs/0f2a9c1e/${name}",image="nginx:1.25",name="ecs-web-3-${name}",${ECS_LABELS}_cluster="demo",` +
  `${ECS_LABELS}_task_definition_family="web",${ECS_LABELS}_task_definition_version="3",` +
  `${ECS_LABELS}_container_name="${name}",${ECS_LABELS}_task_arn="${TASK_ARN}"`;

/** What cAdvisor exposes for one ECS container and for the root cgroup (names as in cAdvisor 0.47). */
function cadvisorMetrics(): string {
  const app = cadvisorLabels('app');
  const now = Date.now() / 1000;
  return [
    `container_cpu_usage_seconds_total{${app},cpu="total"} ${(now % 1000).toFixed(3)}`,
    `container_cpu_cfs_periods_total{${app}} ${Math.floor(now * 10)}`,
    `container_cpu_cfs_throttled_periods_total{${app}} ${Math.floor(now)}`,
    `container_memory_working_set_bytes{${app}} 123456789`,
    `container_spec_memory_limit_bytes{${app}} 268435456`,
    `container_oom_events_total{${app}} 0`,
    `container_start_time_seconds{${app}} 1764064000`,
    `container_network_receive_bytes_total{${app},interface="eth0"} ${Math.floor(now)}`,
    `container_network_transmit_bytes_total{${app},interface="eth0"} ${Math.floor(now)}`,
    `container_fs_usage_bytes{${app},device="/dev/nvme0n1p1"} 4096`,
    `container_memory_working_set_bytes{id="/"} 987654321`,
    '',
  ].join('\n');
}

/** ecs-sd's own metrics, with the names and labels the daemon exports. */
function ecsSdMetrics(): string {
  const now = Date.now() / 1000;
  const n = Math.floor(now / 5);
  return [
    ...['0.5', '1', '5', '+Inf'].map(
      (le) => `ecs_sd_refresh_duration_seconds_bucket{source="default",le="${le}"} ${n}`,
    ),
    `ecs_sd_refresh_duration_seconds_sum{source="default"} ${n * 0.3}`,
    `ecs_sd_refresh_duration_seconds_count{source="default"} ${n}`,
    `ecs_sd_refreshes_total{source="default"} ${n}`,
    'ecs_sd_refresh_failures_total{source="default",cluster="demo"} 0',
    'ecs_sd_targets{source="default",cluster="demo",job="web"} 1',
    'ecs_sd_targets{source="default",cluster="demo",job="node-exporter"} 1',
    'ecs_sd_skipped_tasks{reason="no-container-opted-in"} 4',
    'ecs_sd_skipped_containers{reason="port-not-a-number"} 1',
    `ecs_sd_aws_requests_total{source="default",operation="DescribeTasks",outcome="success"} ${n}`,
    `ecs_sd_aws_throttles_total{source="default",operation="DescribeTasks"} 0`,
    `ecs_sd_cache_requests_total{cache="task-definition",result="hit"} ${n * 9}`,
    `ecs_sd_cache_requests_total{cache="task-definition",result="miss"} ${n}`,
    `ecs_sd_cluster_last_success_timestamp_seconds{source="default",cluster="demo"} ${now - 2}`,
    'ecs_sd_cluster_stale{source="default",cluster="demo"} 0',
    'ecs_sd_clusters{source="default"} 1',
    `ecs_sd_file_writes_total{file="15s-tasks.json"} ${n}`,
    `process_cpu_seconds_total ${(now % 100).toFixed(2)}`,
    'process_resident_memory_bytes 73400320',
    'nodejs_heap_size_used_bytes 20971520',
    'nodejs_eventloop_lag_p99_seconds 0.012',
    '',
  ].join('\n');
}

async function serve(routes: Record<string, () => string>): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    const body = routes[req.url ?? '']?.();
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A file_sd target as ecs-sd writes it: prometheus-ecs-sd's visible labels and the __meta_ecs_* ones. */
function sdTarget(address: string, family: string, container: string, service: string, path = '/metrics') {
  return {
    targets: [address],
    labels: {
      job: family,
      metrics_path: path,
      instance: address.split(':')[0],
      ecs_task_id: '0f2a9c1e5b7d4e3f8a6b',
      ecs_task_version: '3',
      ecs_cluster: 'demo',
      ecs_container_id: 'c0ffee',
      instance_id: 'i-0a1b2c3d4e5f60718',
      // prometheus-ecs-discovery's and ecs-sd's own visible labels, dropped like the above.
      task_arn: TASK_ARN,
      task_revision: '3',
      ecs_container: container,
      __metrics_path__: path,
      __meta_ecs_cluster: 'demo',
      __meta_ecs_service: service,
      __meta_ecs_task_definition: `${family}:3`,
      __meta_ecs_task_definition_family: family,
      __meta_ecs_task_arn: TASK_ARN,
      __meta_ecs_launch_type: 'EC2',
      __meta_ecs_availability_zone: 'eu-west-1a',
      __meta_ecs_ec2_instance_id: 'i-0a1b2c3d4e5f60718',
      __meta_ecs_container_name: container,
      __meta_ecs_container_image: 'example:latest',
      __meta_ecs_tag_task_team: 'payments',
    },
  };
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { result: Array<{ metric: Record<string, string> }> };
}

test('a real Prometheus scrapes the ECS fleet with this configuration, rules and dashboards', {
  skip: PROMETHEUS.skip || NODE_EXPORTER.skip,
}, async (t) => {
  const prometheus = PROMETHEUS.path;
  const nodeExporter = NODE_EXPORTER.path;

  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-monitoring-run-'));
  const daemons: ListeningProcess[] = [];
  const servers: Server[] = [];
  t.after(async () => {
    for (const d of daemons) await d.stop();
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const node = await startPrometheusBinary(nodeExporter, []);
  daemons.push(node);
  const cadvisor = await serve({ '/metrics': cadvisorMetrics });
  const ecsSd = await serve({ '/metrics': ecsSdMetrics, '/app-metrics': () => 'app_requests_total 1\n' });
  servers.push(cadvisor.server, ecsSd.server);

  const sdDir = join(dir, 'sd');
  await mkdir(sdDir);
  await writeFile(
    join(sdDir, intervalFileName('15s')),
    JSON.stringify([sdTarget(ecsSd.address, 'web', 'app', 'web-svc', '/app-metrics')]),
  );
  await writeFile(
    join(sdDir, intervalFileName('30s')),
    JSON.stringify([
      sdTarget(node.address, 'node-exporter', 'node-exporter', 'node-exporter'),
      sdTarget(cadvisor.address, 'cadvisor', 'cadvisor', 'cadvisor'),
    ]),
  );
  await writeFile(join(sdDir, intervalFileName('1m')), '[]');
  await writeFile(join(sdDir, intervalFileName('5m')), '[]');

  // Prometheus's own address is known only once it listens; it scrapes itself through localhost.
  const config = renderPrometheusConfig({
    fileSdDir: sdDir,
    ecsSdTargets: [ecsSd.address],
    alertmanagers: [],
    prometheusTargets: [],
    ruleFiles: [join(ROOT, 'rules', '*.yml')],
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  });
  await writeFile(join(dir, 'prometheus.yml'), config);
  const prom = await startPrometheusBinary(prometheus, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
  ]);
  daemons.push(prom);
  await waitUntil('prometheus to be ready', async () => (await fetch(`http://${prom.address}/-/ready`)).ok);
  const api = `http://${prom.address}/api/v1`;
  const query = async (q: string): Promise<QueryResult> =>
    (await (await fetch(`${api}/query?query=${encodeURIComponent(q)}`)).json()) as QueryResult;

  // Relabelling: the app target carries the bounded ECS label set and is scraped at its metrics path.
  type Target = { labels: Record<string, string>; scrapeUrl: string; scrapePool: string };
  const app = await waitUntil('the web target to be discovered', async () => {
    const body = (await (await fetch(`${api}/targets?state=active`)).json()) as {
      data: { activeTargets: Target[] };
    };
    return body.data.activeTargets.find((x) => x.labels['job'] === 'web');
  });
  assert.equal(app.scrapePool, 'ecs-15s');
  assert.equal(app.scrapeUrl, `http://${ecsSd.address}/app-metrics`);
  assert.deepEqual(app.labels, {
    availability_zone: 'eu-west-1a',
    cluster: 'demo',
    container: 'app',
    instance: ecsSd.address,
    instance_id: 'i-0a1b2c3d4e5f60718',
    job: 'web',
    launch_type: 'EC2',
    service: 'web-svc',
    task_family: 'web',
  });

  // The daemons and ecs-sd are scraped every second; wait until the rules have something to chew on.
  await waitUntil(
    'node-exporter, cadvisor and ecs-sd to be scraped twice',
    async () => {
      const r = await query('count(count_over_time(up{job=~"node-exporter|cadvisor|ecs-sd"}[1m]) >= 3) == 3');
      return (r.data?.result.length ?? 0) > 0;
    },
    { timeoutMs: 20_000, describe: () => prom.output().slice(-2000) },
  );

  // cAdvisor series are named after the ECS container, without the docker labels.
  const mem = await query('container_memory_working_set_bytes{job="cadvisor"}');
  const byContainer = mem.data?.result.map((r) => r.metric).find((m) => m['container'] === 'app');
  assert.ok(byContainer, JSON.stringify(mem));
  assert.equal(byContainer['task_family'], 'web');
  assert.equal(byContainer['task_id'], '0f2a9c1e5b7d4e3f8a6b');
  assert.equal(byContainer['cluster'], 'demo');
  assert.equal(byContainer['service'], undefined);
  assert.ok(!Object.keys(byContainer).some((k) => k.startsWith('container_label_')));
  const root = mem.data?.result.map((r) => r.metric).find((m) => m['id'] === '/');
  assert.equal(root?.['container'], undefined, 'the root cgroup is not the cadvisor container');

  // Every rule group loads and evaluates without error.
  await waitUntil('every rule to be evaluated', async () => {
    const body = (await (await fetch(`${api}/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    const bad = rules.filter((r) => r.health === 'err');
    assert.deepEqual(bad, [], 'rules with evaluation errors');
    return rules.length >= 36 && rules.every((r) => r.health === 'ok');
  });

  // Every dashboard query runs; the ones a user looks at first return data.
  const values: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '15s',
    __range: '5m',
    __range_s: '300',
    cluster: 'demo',
    service: '.*',
    instance: node.address,
    instance_id: 'i-0a1b2c3d4e5f60718',
    task_family: 'web',
    container: 'app',
    source: '.*',
  };
  const mustHaveData = new Set([
    'ecs-fleet-overview.json/Hosts',
    'ecs-fleet-overview.json/Host CPU utilisation',
    'ecs-fleet-overview.json/Container memory per task family',
    'ecs-host-detail.json/CPU by mode',
    'ecs-host-detail.json/Memory',
    'ecs-host-detail.json/Filesystem used',
    'ecs-host-detail.json/Network traffic',
    'ecs-host-detail.json/Container memory',
    'ecs-container-detail.json/Memory used of limit',
    'ecs-container-detail.json/CPU per task',
    'ecs-sd-health.json/Targets per job',
    'ecs-sd-health.json/Refresh duration',
    'ecs-sd-health.json/Cache hit ratio',
  ]);
  const dashboardsDir = join(ROOT, 'grafana', 'dashboards');
  const withData = new Set<string>();
  for (const file of await readdir(dashboardsDir)) {
    const dash = JSON.parse(await readFile(join(dashboardsDir, file), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    for (const panel of dash.panels) {
      for (const target of panel.targets ?? []) {
        // The ecs-sd dashboard's $instance is ecs-sd's address, the host dashboard's node-exporter's.
        const local = file === 'ecs-sd-health.json' ? { ...values, instance: ecsSd.address } : values;
        const expr = target.expr.replace(/\$\{?(\w+)\}?/g, (_m, name: string) => local[name] ?? `$${name}`);
        const r = await query(expr);
        assert.equal(r.status, 'success', `${file}/${panel.title}: ${expr}: ${r.error}`);
        if ((r.data?.result.length ?? 0) > 0) withData.add(`${file}/${panel.title}`);
      }
    }
  }
  assert.deepEqual(
    [...mustHaveData].filter((p) => !withData.has(p)),
    [],
    'panels without data',
  );

  // Every template variable offers the values a user picks from (Grafana asks /api/v1/series).
  const empty: string[] = [];
  for (const file of await readdir(dashboardsDir)) {
    const dash = JSON.parse(await readFile(join(dashboardsDir, file), 'utf8')) as {
      templating: { list: Array<{ name: string; type: string; query: string }> };
    };
    const local = file === 'ecs-sd-health.json' ? { ...values, instance: ecsSd.address } : values;
    for (const v of dash.templating.list.filter((x) => x.type === 'query')) {
      const [, selector = '', label = ''] = /^label_values\((.+),\s*(\w+)\)$/.exec(v.query) ?? [];
      const match = selector.replace(/\$\{?(\w+)\}?/g, (_m, name: string) => local[name] ?? `$${name}`);
      const res = await fetch(`${api}/series?match[]=${encodeURIComponent(match)}`);
      const body = (await res.json()) as { status: string; data: Array<Record<string, string>> };
      assert.equal(body.status, 'success', `${file} variable ${v.name}: ${match}`);
      if (!body.data.some((series) => series[label])) empty.push(`${file}/${v.name}`);
    }
  }
  assert.deepEqual(empty, [], 'variables without values');
});

test('two sharded Prometheus servers split the file_sd targets between them, each target once', {
  skip: PROMETHEUS.skip,
}, async (t) => {
  const prometheus = PROMETHEUS.path;
  const dir = await mkdtemp(join(tmpdir(), 'ecs-sd-monitoring-shard-'));
  const daemons: ListeningProcess[] = [];
  t.after(async () => {
    for (const d of daemons) await d.stop();
    await rm(dir, { recursive: true, force: true });
  });
  // Nothing listens on these addresses: discovery and relabelling are enough to see the split.
  const addresses = Array.from({ length: 21 }, (_, i) => `127.0.0.1:${20000 + i}`);
  await writeFile(
    join(dir, intervalFileName('1m')),
    JSON.stringify(addresses.map((a, i) => sdTarget(a, `family-${i % 3}`, 'app', 'svc'))),
  );
  // Both servers start together: Prometheus hands discovered targets to the scrape manager every 5s.
  const seen = await Promise.all(
    [0, 1].map(async (index) => {
      const configFile = join(dir, `shard-${index}.yml`);
      const config = renderPrometheusConfig({
        fileSdDir: dir,
        shard: { index, total: 2 },
        ecsSdTargets: [],
        alertmanagers: [],
        prometheusTargets: [],
        ruleFiles: [],
      });
      await writeFile(configFile, config);
      const prom = await startPrometheusBinary(prometheus, [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, `data-${index}`)}`,
      ]);
      daemons.push(prom);
      return waitUntil('the shard to discover its targets', async () => {
        const res = await fetch(`http://${prom.address}/api/v1/targets`).catch(() => undefined);
        if (!res?.ok) return undefined;
        const body = (await res.json()) as {
          data: { activeTargets: Array<{ labels: Record<string, string> }>; droppedTargets: unknown[] };
        };
        // Every target of the file is either active here or dropped by the shard's keep rule.
        const ecs = body.data.activeTargets.filter((x) => x.labels['job']?.startsWith('family-'));
        return ecs.length > 0 && body.data.droppedTargets.length + ecs.length >= addresses.length
          ? ecs.map((x) => x.labels['instance']!)
          : undefined;
      });
    }),
  );
  const [a = [], b = []] = seen;
  assert.ok(a.length > 0 && b.length > 0, `both shards get targets: ${a.length} and ${b.length}`);
  assert.deepEqual(
    [...a, ...b].sort(),
    [...addresses].sort(),
    'together the shards scrape every target once',
  );
});
