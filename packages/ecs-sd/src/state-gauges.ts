/**
 * The current-state gauges of the daemon's metrics: targets, skips, stale clusters and file_sd
 * writes, computed in `collect()` at scrape time from what the daemon's state reports.
 */
import { Gauge, type Registry } from 'prom-client';

/** One cluster's current state, as the gauges report it. */
export interface ClusterMetricsState {
  source: string;
  cluster: string;
  /** 1 while serving last good targets after a failed refresh. */
  stale: boolean;
  /** Unix seconds of the last successful refresh of this cluster. */
  lastSuccessSeconds: number;
  /** Target count per job label. */
  targetsByJob: ReadonlyMap<string, number>;
}

/** One file_sd file's last write, as the gauges report it. */
export interface FileMetricsState {
  file: string;
  /** False while its last write failed. */
  ok: boolean;
  /** Targets of its last rendering whose lone surrogates were written as U+FFFD. */
  replaced: number;
}

/** What the current-state gauges read at scrape time. */
export interface MetricsState {
  sources: readonly string[];
  clusters: readonly ClusterMetricsState[];
  /** Skipped tasks per reason, from the last decisions of every cluster. */
  skippedTasks: ReadonlyMap<string, number>;
  /** Skipped containers per reason, from the last decisions of every cluster. */
  skippedContainers: ReadonlyMap<string, number>;
  /** Containers whose targets went without labels at the limits, per bound reason (label-too-long, …). */
  boundedContainers?: ReadonlyMap<string, number>;
  /** Every file_sd file written (or tried) so far. */
  files?: readonly FileMetricsState[];
}

/** Registers the current-state gauges in `registry`; each reads `state()` when scraped (nothing before a provider is set). */
export function registerStateGauges(registry: Registry, state: () => MetricsState | undefined): void {
  new Gauge({
    name: 'ecs_sd_targets',
    help: 'Current targets by source, cluster and job.',
    labelNames: ['source', 'cluster', 'job'],
    registers: [registry],
    collect() {
      this.reset();
      for (const cluster of state()?.clusters ?? []) {
        for (const [job, count] of cluster.targetsByJob) {
          this.set({ source: cluster.source, cluster: cluster.cluster, job }, count);
        }
      }
    },
  });
  new Gauge({
    name: 'ecs_sd_skipped_tasks',
    help: 'Tasks without targets in the last decisions, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of state()?.skippedTasks ?? []) this.set({ reason }, count);
    },
  });
  new Gauge({
    name: 'ecs_sd_skipped_containers',
    help: 'Containers skipped in the last decisions, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of state()?.skippedContainers ?? []) this.set({ reason }, count);
    },
  });
  new Gauge({
    name: 'ecs_sd_bounded_containers',
    help: 'Containers whose targets went without labels at the size limits in the last decisions, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of state()?.boundedContainers ?? []) this.set({ reason }, count);
    },
  });
  new Gauge({
    name: 'ecs_sd_cluster_last_success_timestamp_seconds',
    help: 'Unix time of the last successful refresh of a cluster.',
    labelNames: ['source', 'cluster'],
    registers: [registry],
    collect() {
      this.reset();
      for (const cluster of state()?.clusters ?? []) {
        this.set({ source: cluster.source, cluster: cluster.cluster }, cluster.lastSuccessSeconds);
      }
    },
  });
  new Gauge({
    name: 'ecs_sd_cluster_stale',
    help: '1 while a cluster serves its last good targets because its last refresh failed.',
    labelNames: ['source', 'cluster'],
    registers: [registry],
    collect() {
      this.reset();
      for (const cluster of state()?.clusters ?? []) {
        this.set({ source: cluster.source, cluster: cluster.cluster }, cluster.stale ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'ecs_sd_cluster_stale_seconds',
    help: 'Age of the last good targets a stale cluster serves (seconds since its last successful refresh); 0 when fresh.',
    labelNames: ['source', 'cluster'],
    registers: [registry],
    collect() {
      this.reset();
      const nowSeconds = Date.now() / 1000;
      for (const cluster of state()?.clusters ?? []) {
        this.set(
          { source: cluster.source, cluster: cluster.cluster },
          cluster.stale ? Math.max(0, nowSeconds - cluster.lastSuccessSeconds) : 0,
        );
      }
    },
  });
  new Gauge({
    name: 'ecs_sd_file_last_write_successful',
    help: '1 when the last write (or unchanged check) of a file_sd file succeeded, 0 while it fails and the file holds older targets.',
    labelNames: ['file'],
    registers: [registry],
    collect() {
      this.reset();
      for (const file of state()?.files ?? []) this.set({ file: file.file }, file.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ecs_sd_file_invalid_unicode_targets',
    help: 'Targets in the last rendering of a file_sd file whose address or labels held lone UTF-16 surrogates, written as U+FFFD.',
    labelNames: ['file'],
    registers: [registry],
    collect() {
      this.reset();
      for (const file of state()?.files ?? []) this.set({ file: file.file }, file.replaced);
    },
  });
  new Gauge({
    name: 'ecs_sd_clusters',
    help: 'Clusters currently discovered, by source.',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      const current = state();
      for (const source of current?.sources ?? []) {
        this.set({ source }, current?.clusters.filter((cluster) => cluster.source === source).length ?? 0);
      }
    },
  });
}
