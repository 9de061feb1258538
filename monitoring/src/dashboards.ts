/**
 * The four ECS dashboards. Queries use only metrics that node-exporter 1.5, cAdvisor and ecs-sd export,
 * with the labels the scrape jobs of render.ts attach (cluster, service, task_family, container, instance_id).
 */
import { type DashboardSpec, renderDashboard, row, stat, timeseries } from './grafana.ts';

const NODE = 'job="node-exporter", cluster=~"$cluster"';
const HOST = 'job="node-exporter", instance="$instance"';
const FS = 'fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs|fuse.lxcfs"';
const CADVISOR = 'job="cadvisor", cluster=~"$cluster", container!=""';
const CONTAINER = 'job="cadvisor", cluster=~"$cluster", task_family=~"$task_family", container=~"$container"';
const SD = 'job="ecs-sd", instance=~"$instance"';
const RI = '$__rate_interval';

const LINKS = [
  { title: 'ECS fleet overview', uid: 'ecs-fleet-overview' },
  { title: 'ECS host detail', uid: 'ecs-host-detail' },
  { title: 'ECS container detail', uid: 'ecs-container-detail' },
  { title: 'ecs-sd health', uid: 'ecs-sd-health' },
];

const clusterVar = (metric: string) => ({
  name: 'cluster',
  label: 'Cluster',
  query: `label_values(${metric}, cluster)`,
});

/** Fleet overview: clusters, hosts, tasks, containers, targets and resource use per cluster and service. */
export const fleetOverview: DashboardSpec = {
  uid: 'ecs-fleet-overview',
  title: 'ECS fleet overview',
  description:
    'Clusters, hosts, tasks, containers and scrape targets of the ECS fleet, and their resource use.',
  tags: ['ecs', 'ecs-sd'],
  links: LINKS,
  variables: [
    clusterVar('up'),
    { name: 'service', label: 'Service', query: 'label_values(up{cluster=~"$cluster"}, service)' },
  ],
  panels: [
    row('Fleet'),
    stat('Clusters', [{ expr: `count(count by (cluster) (up{cluster=~"$cluster"}))` }]),
    stat('Hosts', [{ expr: `count(up{${NODE}})` }]),
    stat('Tasks', [{ expr: `count(count by (task_id) (container_start_time_seconds{${CADVISOR}}))` }]),
    stat('Containers', [{ expr: `count(container_start_time_seconds{${CADVISOR}})` }]),
    stat('Targets up', [{ expr: `sum(up{cluster=~"$cluster", service=~"$service"})` }]),
    stat(
      'Targets down',
      [{ expr: `count(up{cluster=~"$cluster", service=~"$service"} == 0) or vector(0)` }],
      {
        thresholds: [[1, 'red']],
      },
    ),
    row('Resource use per cluster'),
    timeseries(
      'Host CPU utilisation',
      [
        {
          expr: `1 - avg by (cluster) (rate(node_cpu_seconds_total{${NODE}, mode="idle"}[${RI}]))`,
          legend: '{{cluster}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    timeseries(
      'Host memory utilisation',
      [
        {
          expr: `1 - sum by (cluster) (node_memory_MemAvailable_bytes{${NODE}}) / sum by (cluster) (node_memory_MemTotal_bytes{${NODE}})`,
          legend: '{{cluster}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    timeseries(
      'Fullest filesystem',
      [
        {
          expr: `max by (cluster) (1 - node_filesystem_avail_bytes{${NODE}, ${FS}} / node_filesystem_size_bytes{${NODE}, ${FS}})`,
          legend: '{{cluster}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    timeseries(
      'Host network traffic',
      [
        {
          expr: `sum by (cluster) (rate(node_network_receive_bytes_total{${NODE}, device!="lo"}[${RI}]))`,
          legend: '{{cluster}} received',
        },
        {
          expr: `sum by (cluster) (rate(node_network_transmit_bytes_total{${NODE}, device!="lo"}[${RI}]))`,
          legend: '{{cluster}} sent',
        },
      ],
      { unit: 'Bps' },
    ),
    timeseries(
      'Busiest hosts (CPU)',
      [
        {
          expr: `topk(10, 1 - avg by (cluster, instance_id, instance) (rate(node_cpu_seconds_total{${NODE}, mode="idle"}[${RI}])))`,
          legend: '{{cluster}} {{instance_id}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    timeseries('Host load per CPU', [
      {
        expr: `max by (cluster) (node_load5{${NODE}} / on (instance) count by (instance) (node_cpu_seconds_total{${NODE}, mode="idle"}))`,
        legend: '{{cluster}} (busiest host)',
      },
    ]),
    row('Services and task families'),
    timeseries(
      'Targets up per service',
      [
        {
          expr: `sum by (cluster, service) (up{cluster=~"$cluster", service=~"$service"})`,
          legend: '{{cluster}}/{{service}}',
        },
      ],
      { stack: true },
    ),
    timeseries('Targets down per job', [
      {
        expr: `count by (cluster, job) (up{cluster=~"$cluster", service=~"$service"} == 0)`,
        legend: '{{cluster}}/{{job}}',
      },
    ]),
    timeseries(
      'Container CPU per task family',
      [
        {
          expr: `sum by (cluster, task_family) (rate(container_cpu_usage_seconds_total{${CADVISOR}}[${RI}]))`,
          legend: '{{cluster}}/{{task_family}}',
        },
      ],
      { unit: 'short', stack: true, description: 'CPU cores used by all containers of each task family.' },
    ),
    timeseries(
      'Container memory per task family',
      [
        {
          expr: `sum by (cluster, task_family) (container_memory_working_set_bytes{${CADVISOR}})`,
          legend: '{{cluster}}/{{task_family}}',
        },
      ],
      { unit: 'bytes', stack: true },
    ),
    timeseries(
      'Running containers per task family',
      [
        {
          expr: `count by (cluster, task_family) (container_start_time_seconds{${CADVISOR}})`,
          legend: '{{cluster}}/{{task_family}}',
        },
      ],
      { stack: true },
    ),
    timeseries(
      'Scrape duration per job (slowest target)',
      [
        {
          expr: `max by (cluster, job) (scrape_duration_seconds{cluster=~"$cluster", service=~"$service"})`,
          legend: '{{cluster}}/{{job}}',
        },
      ],
      { unit: 's' },
    ),
  ],
};

/** One host: CPU, memory, disks, network, clock, and the ECS containers it runs. */
export const hostDetail: DashboardSpec = {
  uid: 'ecs-host-detail',
  title: 'ECS host detail',
  description: 'One ECS container instance as node-exporter and cAdvisor see it.',
  tags: ['ecs', 'ecs-sd', 'node-exporter'],
  links: LINKS,
  variables: [
    clusterVar('up{job="node-exporter"}'),
    {
      name: 'instance',
      label: 'Host',
      query: 'label_values(node_uname_info{job="node-exporter", cluster=~"$cluster"}, instance)',
      multi: false,
      includeAll: false,
    },
    {
      name: 'instance_id',
      label: 'EC2 instance',
      query: 'label_values(node_uname_info{job="node-exporter", instance="$instance"}, instance_id)',
      multi: false,
      includeAll: false,
      hide: true,
    },
  ],
  panels: [
    row('Overview'),
    stat('Uptime', [{ expr: `time() - node_boot_time_seconds{${HOST}}` }], { unit: 's' }),
    stat('CPUs', [{ expr: `count(node_cpu_seconds_total{${HOST}, mode="idle"})` }]),
    stat('Memory', [{ expr: `node_memory_MemTotal_bytes{${HOST}}` }], { unit: 'bytes' }),
    stat('CPU used', [{ expr: `1 - avg(rate(node_cpu_seconds_total{${HOST}, mode="idle"}[${RI}]))` }], {
      unit: 'percentunit',
      thresholds: [
        [0.8, 'orange'],
        [0.9, 'red'],
      ],
    }),
    stat(
      'Memory used',
      [{ expr: `1 - node_memory_MemAvailable_bytes{${HOST}} / node_memory_MemTotal_bytes{${HOST}}` }],
      {
        unit: 'percentunit',
        thresholds: [
          [0.8, 'orange'],
          [0.9, 'red'],
        ],
      },
    ),
    stat('ECS containers', [
      {
        expr: `count(container_start_time_seconds{job="cadvisor", instance_id="$instance_id", container!=""}) or vector(0)`,
      },
    ]),
    row('CPU and memory'),
    timeseries(
      'CPU by mode',
      [
        {
          expr: `avg by (mode) (rate(node_cpu_seconds_total{${HOST}, mode!="idle"}[${RI}]))`,
          legend: '{{mode}}',
        },
      ],
      { unit: 'percentunit', stack: true, min: 0, max: 1 },
    ),
    timeseries('Load', [
      { expr: `node_load1{${HOST}}`, legend: '1m' },
      { expr: `node_load5{${HOST}}`, legend: '5m' },
      { expr: `node_load15{${HOST}}`, legend: '15m' },
    ]),
    timeseries(
      'Memory',
      [
        {
          expr: `node_memory_MemTotal_bytes{${HOST}} - node_memory_MemAvailable_bytes{${HOST}}`,
          legend: 'used',
        },
        { expr: `node_memory_MemAvailable_bytes{${HOST}}`, legend: 'available' },
        {
          expr: `node_memory_Cached_bytes{${HOST}} + node_memory_Buffers_bytes{${HOST}}`,
          legend: 'cache and buffers',
        },
      ],
      { unit: 'bytes' },
    ),
    timeseries('Clock offset', [{ expr: `node_timex_offset_seconds{${HOST}}`, legend: 'offset' }], {
      unit: 's',
      description: 'HostClockSkew fires beyond 50ms.',
    }),
    row('Disks'),
    timeseries(
      'Filesystem used',
      [
        {
          expr: `1 - node_filesystem_avail_bytes{${HOST}, ${FS}} / node_filesystem_size_bytes{${HOST}, ${FS}}`,
          legend: '{{mountpoint}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    timeseries(
      'Disk busy time',
      [{ expr: `rate(node_disk_io_time_seconds_total{${HOST}}[${RI}])`, legend: '{{device}}' }],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    timeseries(
      'Disk throughput',
      [
        { expr: `rate(node_disk_read_bytes_total{${HOST}}[${RI}])`, legend: '{{device}} read' },
        { expr: `rate(node_disk_written_bytes_total{${HOST}}[${RI}])`, legend: '{{device}} written' },
      ],
      { unit: 'Bps' },
    ),
    row('Network'),
    timeseries(
      'Network traffic',
      [
        {
          expr: `rate(node_network_receive_bytes_total{${HOST}, device!="lo"}[${RI}])`,
          legend: '{{device}} received',
        },
        {
          expr: `rate(node_network_transmit_bytes_total{${HOST}, device!="lo"}[${RI}])`,
          legend: '{{device}} sent',
        },
      ],
      { unit: 'Bps' },
    ),
    timeseries('Network errors and drops', [
      { expr: `rate(node_network_receive_errs_total{${HOST}}[${RI}])`, legend: '{{device}} receive errors' },
      {
        expr: `rate(node_network_transmit_errs_total{${HOST}}[${RI}])`,
        legend: '{{device}} transmit errors',
      },
      { expr: `rate(node_network_receive_drop_total{${HOST}}[${RI}])`, legend: '{{device}} receive drops' },
    ]),
    row('ECS containers on this host'),
    timeseries(
      'Container CPU',
      [
        {
          expr: `sum by (task_family, container) (rate(container_cpu_usage_seconds_total{job="cadvisor", instance_id="$instance_id", container!=""}[${RI}]))`,
          legend: '{{task_family}}/{{container}}',
        },
      ],
      { stack: true },
    ),
    timeseries(
      'Container memory',
      [
        {
          expr: `sum by (task_family, container) (container_memory_working_set_bytes{job="cadvisor", instance_id="$instance_id", container!=""})`,
          legend: '{{task_family}}/{{container}}',
        },
      ],
      { unit: 'bytes', stack: true },
    ),
  ],
};

/** One task family's containers: CPU and throttling, memory against the limit, network, OOM kills, restarts. */
export const containerDetail: DashboardSpec = {
  uid: 'ecs-container-detail',
  title: 'ECS container detail',
  description: 'The containers of one task family as cAdvisor sees them, one series per task.',
  tags: ['ecs', 'ecs-sd', 'cadvisor'],
  links: LINKS,
  variables: [
    clusterVar('container_start_time_seconds{job="cadvisor"}'),
    {
      name: 'task_family',
      label: 'Task family',
      query:
        'label_values(container_start_time_seconds{job="cadvisor", cluster=~"$cluster", container!=""}, task_family)',
    },
    {
      name: 'container',
      label: 'Container',
      query:
        'label_values(container_start_time_seconds{job="cadvisor", cluster=~"$cluster", task_family=~"$task_family", container!=""}, container)',
    },
  ],
  panels: [
    row('Overview'),
    stat('Running containers', [{ expr: `count(container_start_time_seconds{${CONTAINER}}) or vector(0)` }]),
    stat('Tasks', [
      { expr: `count(count by (task_id) (container_start_time_seconds{${CONTAINER}})) or vector(0)` },
    ]),
    stat('CPU cores used', [{ expr: `sum(rate(container_cpu_usage_seconds_total{${CONTAINER}}[${RI}]))` }]),
    stat('Memory used', [{ expr: `sum(container_memory_working_set_bytes{${CONTAINER}})` }], {
      unit: 'bytes',
    }),
    stat(
      'OOM kills (range)',
      [{ expr: `sum(increase(container_oom_events_total{${CONTAINER}}[$__range])) or vector(0)` }],
      {
        thresholds: [[1, 'red']],
      },
    ),
    stat(
      'Containers started (range)',
      [
        {
          expr: `count(last_over_time(container_start_time_seconds{${CONTAINER}}[$__range]) > time() - $__range_s) or vector(0)`,
        },
      ],
      { description: 'Containers that started within the dashboard time range; many means a crash loop.' },
    ),
    row('CPU'),
    timeseries(
      'CPU per task',
      [
        {
          expr: `sum by (task_id, container) (rate(container_cpu_usage_seconds_total{${CONTAINER}}[${RI}]))`,
          legend: '{{task_id}}/{{container}}',
        },
      ],
      { description: 'CPU cores used.' },
    ),
    timeseries(
      'CPU throttled periods',
      [
        {
          expr: `sum by (task_id, container) (rate(container_cpu_cfs_throttled_periods_total{${CONTAINER}}[${RI}])) / sum by (task_id, container) (rate(container_cpu_cfs_periods_total{${CONTAINER}}[${RI}]))`,
          legend: '{{task_id}}/{{container}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1, description: 'ContainerCpuThrottled fires above 25%.' },
    ),
    row('Memory'),
    timeseries(
      'Memory working set',
      [
        {
          expr: `sum by (task_id, container) (container_memory_working_set_bytes{${CONTAINER}})`,
          legend: '{{task_id}}/{{container}}',
        },
      ],
      { unit: 'bytes' },
    ),
    timeseries(
      'Memory used of limit',
      [
        {
          expr: `sum by (task_id, container) (container_memory_working_set_bytes{${CONTAINER}}) / sum by (task_id, container) (container_spec_memory_limit_bytes{${CONTAINER}} > 0)`,
          legend: '{{task_id}}/{{container}}',
        },
      ],
      {
        unit: 'percentunit',
        min: 0,
        max: 1,
        description: 'Only containers with a memory limit. ContainerMemoryNearLimit fires above 90%.',
      },
    ),
    row('Network and storage'),
    timeseries(
      'Network traffic',
      [
        {
          expr: `sum by (task_id, container) (rate(container_network_receive_bytes_total{${CONTAINER}}[${RI}]))`,
          legend: '{{task_id}}/{{container}} received',
        },
        {
          expr: `sum by (task_id, container) (rate(container_network_transmit_bytes_total{${CONTAINER}}[${RI}]))`,
          legend: '{{task_id}}/{{container}} sent',
        },
      ],
      { unit: 'Bps' },
    ),
    timeseries(
      'Filesystem usage',
      [
        {
          expr: `sum by (task_id, container) (container_fs_usage_bytes{${CONTAINER}})`,
          legend: '{{task_id}}/{{container}}',
        },
      ],
      { unit: 'bytes' },
    ),
  ],
};

/** ecs-sd itself: refresh time, AWS calls and throttles, targets, skipped tasks by reason, caches. */
export const ecsSdHealth: DashboardSpec = {
  uid: 'ecs-sd-health',
  title: 'ecs-sd health',
  description: 'Is ecs-sd discovering the fleet, how long it takes, and what it costs in AWS API calls.',
  tags: ['ecs', 'ecs-sd'],
  links: LINKS,
  variables: [
    { name: 'instance', label: 'ecs-sd', query: 'label_values(up{job="ecs-sd"}, instance)' },
    {
      name: 'source',
      label: 'Source',
      query: 'label_values(ecs_sd_clusters{job="ecs-sd", instance=~"$instance"}, source)',
    },
    {
      name: 'cluster',
      label: 'Cluster',
      query:
        'label_values(ecs_sd_cluster_stale{job="ecs-sd", instance=~"$instance", source=~"$source"}, cluster)',
    },
  ],
  panels: [
    row('Overview'),
    stat('ecs-sd up', [{ expr: `sum(up{${SD}})` }], { thresholds: [] }),
    stat('Clusters', [{ expr: `sum(ecs_sd_clusters{${SD}, source=~"$source"})` }]),
    stat('Targets', [{ expr: `sum(ecs_sd_targets{${SD}, source=~"$source", cluster=~"$cluster"})` }]),
    stat(
      'Stale clusters',
      [{ expr: `sum(ecs_sd_cluster_stale{${SD}, source=~"$source", cluster=~"$cluster"})` }],
      {
        thresholds: [[1, 'red']],
      },
    ),
    stat(
      'Oldest successful refresh',
      [
        {
          expr: `time() - min(ecs_sd_cluster_last_success_timestamp_seconds{${SD}, source=~"$source", cluster=~"$cluster"})`,
        },
      ],
      {
        unit: 's',
        thresholds: [
          [120, 'orange'],
          [600, 'red'],
        ],
      },
    ),
    stat('Skipped tasks', [{ expr: `sum(ecs_sd_skipped_tasks{${SD}})` }]),
    row('Refreshes'),
    timeseries(
      'Refresh duration',
      [
        {
          expr: `histogram_quantile(0.5, sum by (source, le) (rate(ecs_sd_refresh_duration_seconds_bucket{${SD}, source=~"$source"}[${RI}])))`,
          legend: '{{source}} p50',
        },
        {
          expr: `histogram_quantile(0.99, sum by (source, le) (rate(ecs_sd_refresh_duration_seconds_bucket{${SD}, source=~"$source"}[${RI}])))`,
          legend: '{{source}} p99',
        },
      ],
      { unit: 's' },
    ),
    timeseries(
      'Refreshes and failures',
      [
        {
          expr: `sum by (source) (rate(ecs_sd_refreshes_total{${SD}, source=~"$source"}[${RI}]))`,
          legend: '{{source}} refreshes',
        },
        {
          expr: `sum by (source, cluster) (rate(ecs_sd_refresh_failures_total{${SD}, source=~"$source", cluster=~"$cluster"}[${RI}]))`,
          legend: '{{source}}/{{cluster}} failures',
        },
      ],
      { unit: 'ops' },
    ),
    timeseries(
      'Time since last successful refresh',
      [
        {
          expr: `time() - ecs_sd_cluster_last_success_timestamp_seconds{${SD}, source=~"$source", cluster=~"$cluster"}`,
          legend: '{{source}}/{{cluster}}',
        },
      ],
      { unit: 's' },
    ),
    timeseries(
      'File writes',
      [{ expr: `sum by (file) (rate(ecs_sd_file_writes_total{${SD}}[${RI}]))`, legend: '{{file}}' }],
      { unit: 'ops', description: 'ecs-sd rewrites a file_sd file only when its targets change.' },
    ),
    row('AWS API'),
    timeseries(
      'AWS requests by operation and outcome',
      [
        {
          expr: `sum by (operation, outcome) (rate(ecs_sd_aws_requests_total{${SD}, source=~"$source"}[${RI}]))`,
          legend: '{{operation}} {{outcome}}',
        },
      ],
      { unit: 'reqps', stack: true },
    ),
    timeseries(
      'AWS throttles',
      [
        {
          expr: `sum by (source, operation) (rate(ecs_sd_aws_throttles_total{${SD}, source=~"$source"}[${RI}]))`,
          legend: '{{source}} {{operation}}',
        },
      ],
      {
        unit: 'reqps',
        description: 'The request budget is per account and Region, shared with every other caller.',
      },
    ),
    timeseries(
      'Cache hit ratio',
      [
        {
          expr: `sum by (cache) (rate(ecs_sd_cache_requests_total{${SD}, result="hit"}[${RI}])) / sum by (cache) (rate(ecs_sd_cache_requests_total{${SD}}[${RI}]))`,
          legend: '{{cache}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    row('Targets'),
    timeseries(
      'Targets per cluster',
      [
        {
          expr: `sum by (source, cluster) (ecs_sd_targets{${SD}, source=~"$source", cluster=~"$cluster"})`,
          legend: '{{source}}/{{cluster}}',
        },
      ],
      { stack: true },
    ),
    timeseries(
      'Targets per job',
      [
        {
          expr: `sum by (exported_job) (ecs_sd_targets{${SD}, source=~"$source", cluster=~"$cluster"})`,
          legend: '{{exported_job}}',
        },
      ],
      {
        stack: true,
        description: 'ecs-sd\'s own `job` label is `exported_job` once Prometheus attaches job="ecs-sd".',
      },
    ),
    timeseries(
      'Skipped tasks by reason',
      [{ expr: `sum by (reason) (ecs_sd_skipped_tasks{${SD}})`, legend: '{{reason}}' }],
      { stack: true },
    ),
    timeseries(
      'Skipped containers by reason',
      [{ expr: `sum by (reason) (ecs_sd_skipped_containers{${SD}})`, legend: '{{reason}}' }],
      { stack: true },
    ),
    timeseries(
      'Targets Prometheus discovered per scrape job',
      [
        {
          expr: `sum by (config) (prometheus_sd_discovered_targets{job="prometheus", config=~"ecs-.*|node-exporter|cadvisor"})`,
          legend: '{{config}}',
        },
      ],
      {
        description:
          'What Prometheus read from the file_sd files or the http_sd endpoint, before relabelling.',
      },
    ),
    row('Process'),
    timeseries('CPU', [{ expr: `rate(process_cpu_seconds_total{${SD}}[${RI}])`, legend: '{{instance}}' }], {
      description: 'CPU cores used by ecs-sd.',
    }),
    timeseries(
      'Memory',
      [
        { expr: `process_resident_memory_bytes{${SD}}`, legend: '{{instance}} resident' },
        { expr: `nodejs_heap_size_used_bytes{${SD}}`, legend: '{{instance}} heap used' },
      ],
      { unit: 'bytes' },
    ),
    timeseries(
      'Event loop lag (p99)',
      [{ expr: `nodejs_eventloop_lag_p99_seconds{${SD}}`, legend: '{{instance}}' }],
      { unit: 's' },
    ),
  ],
};

/** Every dashboard by file name under grafana/dashboards/. */
export const DASHBOARDS: Readonly<Record<string, DashboardSpec>> = {
  'ecs-fleet-overview.json': fleetOverview,
  'ecs-host-detail.json': hostDetail,
  'ecs-container-detail.json': containerDetail,
  'ecs-sd-health.json': ecsSdHealth,
};

/** The dashboard files' text: two-space JSON with a trailing newline, as Grafana exports them. */
export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(DASHBOARDS).map(([file, spec]) => [
      file,
      `${JSON.stringify(renderDashboard(spec), null, 2)}\n`,
    ]),
  );
}
