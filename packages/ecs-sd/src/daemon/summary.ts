/** What one refresh did, from the state it left: for logs, the `--once` summary line and the CLI's exit code. */
import { taskSkipReason } from '../discovery/task-skip.ts';
import type { SourceRefreshResult } from './source-refresh.ts';
import type { DiscoveryState } from './state.ts';

/** What one refresh of every source did, for logs and the `--once` summary. */
export interface RefreshSummary {
  /** True when every source and every cluster was read successfully. */
  complete: boolean;
  clusters: number;
  tasks: number;
  targets: number;
  /** Tasks without targets, by reason. */
  skipped: ReadonlyMap<string, number>;
  failures: string[];
  sources: SourceRefreshResult[];
  /** file_sd files rewritten by this refresh. */
  written: string[];
  /** One line per file_sd file whose last write failed (it keeps its previous content). */
  fileFailures: string[];
}

/** The summary of a refresh from the state it left behind. */
export function summarize(
  state: DiscoveryState,
  outcome: { complete: boolean; failures: string[]; sources: SourceRefreshResult[]; written: string[] },
): RefreshSummary {
  const decisions = state.decisions();
  const skipped = new Map<string, number>();
  for (const decision of decisions) {
    const reason = taskSkipReason(decision);
    if (reason !== undefined) skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  }
  return {
    ...outcome,
    clusters: state.clusters().length,
    tasks: decisions.length,
    targets: state.targets().length,
    skipped,
    fileFailures: state.outputProblems(),
  };
}

/** The one-line `--once` summary: clusters, tasks seen, targets, skipped by reason. */
export function formatSummary(summary: RefreshSummary): string {
  const skipped = [...summary.skipped.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, count]) => `${reason}=${count}`)
    .join(' ');
  const failed = summary.failures.length > 0 ? `, ${summary.failures.length} failures` : '';
  return `${summary.clusters} clusters, ${summary.tasks} tasks, ${summary.targets} targets, skipped: ${skipped === '' ? 'none' : skipped}${failed}`;
}
