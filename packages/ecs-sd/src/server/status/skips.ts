/**
 * The Skipped view's rows: every task or container that declared an intent to be scraped but is
 * not a target, with the reason and the message `explain` gives, grouped by reason. Tasks that
 * declared nothing (`no-container-opted-in`) are only counted. Pure.
 */
import { SKIP_REASONS, type SkipReason } from '../../discovery/skip-reasons.ts';
import { taskSkipReason } from '../../discovery/task-skip.ts';
import type { TaskDecision } from '../../discovery/types.ts';

/** The reason of a task that declared nothing to scrape: counted, not listed. */
export const NOT_OPTED_IN: SkipReason = 'no-container-opted-in';

/** A task that yields no target although it declared an intent to be scraped (or was not looked at yet: not running). */
export function skippedWithIntent(decision: TaskDecision): boolean {
  const reason = taskSkipReason(decision);
  return reason !== undefined && reason !== NOT_OPTED_IN;
}

/** One skip: of a whole task (no `container`), or of one container of it. */
export interface SkipRow {
  decision: TaskDecision;
  container?: string;
  reason: SkipReason;
  message: string;
}

/** What each reason means, in a few words, for the group headings. */
export const REASON_HINTS: Readonly<Partial<Record<SkipReason, string>>> = {
  'task-not-running': 'containers are looked at once the task runs',
  'task-missing-fields': 'ECS answered without a field discovery needs',
  'task-definition-missing': 'its task definition could not be read yet',
  'container-not-running': 'the container declared an endpoint but does not run',
  'port-not-a-number': 'the declared port is not a port number',
  'port-missing': 'the container declares no port to scrape',
  'invalid-endpoint': 'an endpoint declaration cannot be read',
  'invalid-label-value': 'a label value cannot be used',
  'invalid-env-value': 'an environment value cannot be used',
  'binding-not-assigned-yet': 'the host port is not assigned yet; looked at again next refresh',
  'container-instance-missing': 'the task’s container instance could not be read',
  'host-missing': 'the task’s host could not be read',
  'no-address': 'the task has no address to scrape',
  'network-mode-none': 'network mode none has no address',
  'unknown-network-mode': 'the network mode is not one ecs-sd knows',
  'invalid-address': 'the address cannot be scraped',
  'too-many-endpoints': 'over the limit of endpoints per container',
  'too-many-targets': 'over the limit of targets per task',
  'target-too-large': 'a label the target needs is over the limits',
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every skip of the decisions except `no-container-opted-in`, ordered by reason (the most frequent
 * first), then cluster, task ARN and container; and how many tasks declared nothing.
 */
export function skipRows(decisions: readonly TaskDecision[]): { rows: SkipRow[]; notOptedIn: number } {
  const rows: SkipRow[] = [];
  let notOptedIn = 0;
  for (const decision of decisions) {
    if (decision.skip !== undefined) {
      if (decision.skip.reason === NOT_OPTED_IN) notOptedIn++;
      else rows.push({ decision, reason: decision.skip.reason, message: decision.skip.message });
    }
    for (const container of decision.containers) {
      for (const skip of container.skips)
        rows.push({
          decision,
          container: container.containerName,
          reason: skip.reason,
          message: skip.message,
        });
    }
  }
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.reason, (counts.get(row.reason) ?? 0) + 1);
  rows.sort(
    (a, b) =>
      counts.get(b.reason)! - counts.get(a.reason)! ||
      SKIP_REASONS.indexOf(a.reason) - SKIP_REASONS.indexOf(b.reason) ||
      compare(a.decision.clusterName, b.decision.clusterName) ||
      compare(a.decision.taskArn, b.decision.taskArn) ||
      compare(a.container ?? '', b.container ?? ''),
  );
  return { rows, notOptedIn };
}
