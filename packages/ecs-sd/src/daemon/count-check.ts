/**
 * The pure decisions of event mode's count check (docs/events.md): whether a cluster's
 * DescribeClusters counts agree with what events hold, which clusters a mismatch that persisted
 * earns a sweep, and which clusters the rare scheduled sweep reads next. No I/O, no clock.
 */
import type { CountSample } from '../events/count-history.ts';

/** Checks in a row a cluster's counts must disagree before it is swept (counts lag changes a little). */
export const MISMATCH_CHECKS = 2;

/**
 * How far back a reported count may match what events held: ECS's counts trail changes by a lag it
 * does not publish (ecs-sim's bench assumes 5 s), and events arrive within seconds, so a count equal
 * to any believed value of the last 15 s agrees. Longer makes lost events under steady churn harder
 * to see: the believed counts pass through more values, one of which may match by chance.
 */
export const COUNT_LAG_ALLOWANCE_MS = 15_000;

/** What DescribeClusters reported of one cluster. */
export interface ReportedCounts {
  running: number;
  pending: number;
}

/** The outcome of comparing one cluster's counts. */
export interface CountComparison {
  agree: boolean;
  reported: ReportedCounts;
  /** What events held last (at `to`). */
  believed: ReportedCounts;
  /** The counts that disagreed (empty when they agree). */
  differing: ('running' | 'pending')[];
}

/**
 * Compares reported counts with the believed counts in effect at some time in [from, to] (samples
 * oldest first, the first in effect at `from`): they agree when both counts equal one believed
 * moment's. `differing` names the counts that differ from the last believed ones.
 */
export function compareCounts(
  reported: ReportedCounts,
  samples: readonly CountSample[],
  from: number,
  to: number,
): CountComparison {
  const inWindow = samples.filter((sample, i) => sample.at <= to && (samples[i + 1]?.at ?? Infinity) > from);
  const last = inWindow[inWindow.length - 1] ?? samples[samples.length - 1];
  const believed = { running: last?.running ?? 0, pending: last?.pending ?? 0 };
  const candidates = inWindow.length > 0 ? inWindow : [believed];
  const agree = candidates.some(
    (sample) => sample.running === reported.running && sample.pending === reported.pending,
  );
  const differing: CountComparison['differing'] = [];
  if (!agree) {
    if (believed.running !== reported.running) differing.push('running');
    if (believed.pending !== reported.pending) differing.push('pending');
    // Each count matched some moment, never both at once.
    if (differing.length === 0) differing.push('running', 'pending');
  }
  return { agree, reported: { ...reported }, believed, differing };
}

/**
 * The mismatch streaks after a check, and the clusters to sweep: a cluster that disagreed in
 * MISMATCH_CHECKS checks in a row is swept and its streak starts again; one that agreed, or was not
 * checked, starts again too.
 */
export function nextStreaks(
  previous: ReadonlyMap<string, number>,
  agreed: ReadonlyMap<string, boolean>,
): { streaks: Map<string, number>; sweep: string[] } {
  const streaks = new Map<string, number>();
  const sweep: string[] = [];
  for (const [cluster, agree] of agreed) {
    if (agree) continue;
    const streak = (previous.get(cluster) ?? 0) + 1;
    if (streak >= MISMATCH_CHECKS) sweep.push(cluster);
    else streaks.set(cluster, streak);
  }
  return { streaks, sweep: sweep.sort() };
}

/** A cluster and when its last full sweep began (undefined: never). */
export interface SweepAge {
  cluster: string;
  sweptAt: number | undefined;
}

/**
 * The scheduled sweeps of one check, spread over the interval: each check earns
 * clusters × checkInterval / fullSweepInterval sweeps (kept as credit between checks), spent on the
 * clusters swept longest ago. Every cluster is thus swept about once per interval, one at a time.
 */
export function scheduledSweeps(
  credit: number,
  clusters: readonly SweepAge[],
  checkIntervalMs: number,
  fullSweepIntervalMs: number,
): { credit: number; sweep: string[] } {
  if (clusters.length === 0) return { credit: 0, sweep: [] };
  let next = credit + (clusters.length * checkIntervalMs) / fullSweepIntervalMs;
  const oldest = [...clusters].sort(
    (a, b) =>
      (a.sweptAt ?? Number.NEGATIVE_INFINITY) - (b.sweptAt ?? Number.NEGATIVE_INFINITY) ||
      (a.cluster < b.cluster ? -1 : 1),
  );
  const sweep: string[] = [];
  // A little slack: a sum of fractions such as 15 × 1/15 may fall just short of 1.
  while (next >= 1 - 1e-9 && sweep.length < oldest.length) {
    sweep.push(oldest[sweep.length]!.cluster);
    next -= 1;
  }
  // Credit beyond one round of every cluster is not kept: a long pause does not end in a burst.
  return { credit: Math.max(0, Math.min(next, 1)), sweep };
}
