/**
 * The daemon's discovery state: per cluster, the last good targets and decisions, whether they are
 * stale (the last refresh of that cluster failed) and when they last succeeded; per file_sd file,
 * whether its last write succeeded. Implements the read-only `DiscoveryView` the web server reads.
 */
import { taskSkipReason } from '../discovery/task-skip.ts';
import type { Target, TaskDecision } from '../discovery/types.ts';
import { taskIdFromArn } from '../lib/arn.ts';
import { resort } from '../lib/resort.ts';
import type { DiscoveryView } from '../server/view.ts';
import type { ClusterMetricsState, MetricsState } from '../state-gauges.ts';

/** What the state keeps for one cluster of one source. */
export interface ClusterEntry {
  source: string;
  clusterArn: string;
  clusterName: string;
  /** The cluster's tags the decisions were made with: when they change, every task is decided again. */
  clusterTags: Readonly<Record<string, string>>;
  targets: readonly Target[];
  decisions: readonly TaskDecision[];
  /** True while serving these targets after a failed refresh. */
  stale: boolean;
  /** Epoch milliseconds of the last successful refresh. */
  lastSuccessMs: number;
  /** The `decisionsVersion` the decisions were made under; an older one is described and decided again. */
  decidedWith: number;
}

/** The outcome of the last write (or unchanged check) of one file_sd file. */
export interface FileStatus {
  file: string;
  ok: boolean;
  /** Why the last write failed (a `FileSdFailureReason`), while it did. */
  reason?: string;
  /** One line: what failed and why, while it did. */
  message?: string;
  /** Epoch milliseconds of the first failure in a row, while failing. */
  failingSinceMs?: number;
  /** Targets of the last rendering whose lone surrogates were written as U+FFFD. */
  replaced: number;
}

function entryKey(source: string, clusterArn: string): string {
  return `${source}\u0000${clusterArn}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Mutable discovery state behind the read-only view; only the refresh loop writes it. */
export class DiscoveryState implements DiscoveryView {
  readonly #clusters = new Map<string, ClusterEntry>();
  #ready = false;
  #version = 0;
  #dirty = false;
  #targets: readonly Target[] = [];
  #decisions: readonly TaskDecision[] = [];
  #byArn = new Map<string, TaskDecision>();
  #byId = new Map<string, TaskDecision>();
  readonly #files = new Map<string, FileStatus>();
  #decisionsVersion = 0;

  /**
   * Stores a cluster's fresh targets and decisions (a successful refresh); no `clusterTags`: none. No
   * `decidedWith`: the cluster's previous one (events decided only some tasks), else the current.
   */
  update(
    entry: Omit<ClusterEntry, 'stale' | 'clusterTags' | 'decidedWith'> &
      Partial<Pick<ClusterEntry, 'clusterTags' | 'decidedWith'>>,
  ): void {
    const key = entryKey(entry.source, entry.clusterArn);
    const clusterTags = entry.clusterTags ?? {};
    const decidedWith = entry.decidedWith ?? this.#clusters.get(key)?.decidedWith ?? this.#decisionsVersion;
    this.#clusters.set(key, { ...entry, clusterTags, decidedWith, stale: false });
    this.#reindex();
  }

  /** Grows when a reload changed how tasks are decided (rules, conventions, defaults). */
  get decisionsVersion(): number {
    return this.#decisionsVersion;
  }

  /** Every cluster's decisions are out of date: the next read of each describes and decides all its tasks again. */
  redecideAll(): void {
    this.#decisionsVersion++;
  }

  /** The entry of one cluster, if the state has it. */
  entry(source: string, clusterArn: string): Readonly<ClusterEntry> | undefined {
    return this.#clusters.get(entryKey(source, clusterArn));
  }

  /** Records a successful refresh that found nothing new (its targets stand); false when the cluster is unknown. */
  touch(source: string, clusterArn: string, lastSuccessMs: number): boolean {
    const entry = this.#clusters.get(entryKey(source, clusterArn));
    if (entry === undefined) return false;
    entry.stale = false;
    entry.lastSuccessMs = lastSuccessMs;
    return true;
  }

  /** Marks a cluster stale after a failed refresh, keeping its last good targets. */
  markStale(source: string, clusterArn: string): void {
    const entry = this.#clusters.get(entryKey(source, clusterArn));
    if (entry !== undefined) entry.stale = true;
  }

  /** Removes a cluster that was deleted or is no longer selected. */
  remove(source: string, clusterArn: string): void {
    if (this.#clusters.delete(entryKey(source, clusterArn))) this.#reindex();
  }

  /** The clusters a source currently has. */
  clustersOf(source: string): ClusterEntry[] {
    return [...this.#clusters.values()].filter((entry) => entry.source === source);
  }

  /** Every cluster, ordered by source then name. */
  clusters(): ClusterEntry[] {
    return [...this.#clusters.values()].sort(
      (a, b) => compare(a.source, b.source) || compare(a.clusterName, b.clusterName),
    );
  }

  /** Called after the first refresh in which every source and every cluster succeeded. */
  markReady(): void {
    this.#ready = true;
  }

  ready(): boolean {
    return this.#ready;
  }

  /** The last outcome of one file_sd file, if it was written or tried. */
  file(path: string): Readonly<FileStatus> | undefined {
    return this.#files.get(path);
  }

  /** Records a file_sd file written or found unchanged (`replaced`: see FileStatus). */
  recordFileWritten(file: string, replaced: number): void {
    this.#files.set(file, { file, ok: true, replaced });
  }

  /** Records a file_sd file whose write failed; it keeps its previous content. */
  recordFileFailed(file: string, reason: string, message: string, atMs: number): void {
    const previous = this.#files.get(file);
    this.#files.set(file, {
      file,
      ok: false,
      reason,
      message,
      failingSinceMs: previous?.ok === false ? previous.failingSinceMs! : atMs,
      replaced: previous?.replaced ?? 0,
    });
  }

  /** The last outcome of every file_sd file written so far, by path. */
  files(): FileStatus[] {
    return [...this.#files.values()].sort((a, b) => compare(a.file, b.file));
  }

  /** One line per file_sd file whose last write failed (readiness reports them). */
  outputProblems(): string[] {
    return this.files()
      .filter((status) => !status.ok)
      .map(
        (status) =>
          `file_sd file "${status.file}" not written since ${new Date(status.failingSinceMs!).toISOString()} (${status.reason}): ${status.message}`,
      );
  }

  targets(): readonly Target[] {
    this.#index();
    return this.#targets;
  }

  decision(taskIdOrArn: string): TaskDecision | undefined {
    this.#index();
    const exact = this.#byArn.get(taskIdOrArn);
    if (exact !== undefined) return exact;
    // Either ARN format (task/CLUSTER/ID or task/ID) or a bare id: the id is the last segment.
    return this.#byId.get(taskIdOrArn.startsWith('arn:') ? taskIdFromArn(taskIdOrArn) : taskIdOrArn);
  }

  decisions(): readonly TaskDecision[] {
    this.#index();
    return this.#decisions;
  }

  /** The current-state gauges' view of this state. */
  metricsState(sources: readonly string[]): MetricsState {
    const clusters: ClusterMetricsState[] = this.clusters().map((entry) => {
      const targetsByJob = new Map<string, number>();
      for (const target of entry.targets)
        targetsByJob.set(target.job, (targetsByJob.get(target.job) ?? 0) + 1);
      return {
        source: entry.source,
        cluster: entry.clusterName,
        stale: entry.stale,
        lastSuccessSeconds: entry.lastSuccessMs / 1000,
        targetsByJob,
      };
    });
    const skippedTasks = new Map<string, number>();
    const skippedContainers = new Map<string, number>();
    const boundedContainers = new Map<string, number>();
    for (const decision of this.decisions()) {
      const reason = taskSkipReason(decision);
      if (reason !== undefined) skippedTasks.set(reason, (skippedTasks.get(reason) ?? 0) + 1);
      for (const container of decision.containers) {
        for (const skip of container.skips) {
          skippedContainers.set(skip.reason, (skippedContainers.get(skip.reason) ?? 0) + 1);
        }
        for (const bound of container.bounded ?? []) {
          boundedContainers.set(bound.reason, (boundedContainers.get(bound.reason) ?? 0) + 1);
        }
      }
    }
    const files = this.files().map(({ file, ok, replaced }) => ({ file, ok, replaced }));
    return { sources, clusters, skippedTasks, skippedContainers, boundedContainers, files };
  }

  /** Grows each time the targets may have changed (a cluster updated or removed): unchanged, nothing to rewrite. */
  get version(): number {
    return this.#version;
  }

  /** Marks the indexes out of date; they are rebuilt once, on the next read (not once per cluster of a refresh). */
  #reindex(): void {
    this.#version++;
    this.#dirty = true;
  }

  #index(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const entries = this.clusters();
    // Sorted by key, reusing the last order: a refresh that changed 5% of the targets sorts 5%.
    this.#targets = resort(
      entries.flatMap((entry) => entry.targets),
      this.#targets,
      (a, b) => compare(a.key, b.key),
    );
    this.#decisions = entries.flatMap((entry) => entry.decisions);
    this.#byArn = new Map(this.#decisions.map((decision) => [decision.taskArn, decision]));
    this.#byId = new Map(this.#decisions.map((decision) => [decision.taskId, decision]));
  }
}
