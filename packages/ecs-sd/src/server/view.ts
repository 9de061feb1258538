/**
 * What the web server and the outputs read from the running daemon: the current targets and
 * the per-task decisions behind them. The daemon implements it; the server only reads it.
 */
import type { Target, TaskDecision } from '../discovery/types.ts';

/** Read-only view of discovery state for http_sd, the "why" API and the health endpoints. */
export interface DiscoveryView {
  /** True once a first discovery has completed, so a restarted daemon never serves an empty list. */
  ready(): boolean;
  /** One line per output that is failing (a file_sd file whose last write failed); readiness reports them. */
  outputProblems?(): readonly string[];
  /** Every current target, in deterministic order. */
  targets(): readonly Target[];
  /** The decision for one task, by task ARN (either format) or bare task id. */
  decision(taskIdOrArn: string): TaskDecision | undefined;
  /** Every decision from the last refresh of each cluster: a new array whenever they change, so readers may cache on its identity. */
  decisions(): readonly TaskDecision[];
}
