/**
 * Event mode's count check of one source (docs/events.md): every `consistency_check_interval`, one
 * DescribeClusters call per 100 selected clusters reads their RUNNING and PENDING task counts, which
 * are compared with what events hold (count-check.ts). A cluster that disagrees in two checks in a
 * row is swept (its tasks listed, what is new described); the rare scheduled sweep reads each
 * cluster once per `full_sweep_interval`, a few clusters per check. While the queue is unreadable,
 * or before the first complete refresh, nothing is checked: polling does the work then.
 */
import type { Logger } from 'pino';
import type { ClusterCounts } from '../aws/ecs-reads.ts';
import type { TaskStore } from '../events/task-store.ts';
import { UNREF_TIMER } from '../lib/timer.ts';
import type { Metrics } from '../metrics.ts';
import {
  COUNT_LAG_ALLOWANCE_MS,
  compareCounts,
  nextStreaks,
  type ReportedCounts,
  type SweepAge,
  scheduledSweeps,
} from './count-check.ts';
import { servicesDisagreeing } from './service-sweep.ts';

/** Why a cluster was swept in event mode (the `reason` of `ecs_sd_event_sweeps_total`). */
export type SweepReason = 'count-mismatch' | 'scheduled' | 'queue-unhealthy' | 'start';

/** The longest wait after the DescribeClusters call for the events of changes its counts already show. */
export const CHECK_GRACE_MAX_MS = 2000;

/** What the check reads and calls in the event mode it belongs to. */
export interface CountCheckHost {
  source: string;
  store: TaskStore;
  /** The source's clusters the discovery state holds. */
  clusters(): { clusterArn: string; clusterName: string }[];
  /** True once the first complete refresh made the state whole. */
  ready(): boolean;
  /** True while the events queue is readable. */
  healthy(): boolean;
  /** DescribeClusters counts of these clusters by clusterArn (absent: MISSING or INACTIVE). */
  describeCounts(clusterArns: readonly string[], signal: AbortSignal): Promise<Map<string, ClusterCounts>>;
  /** Sweeps these clusters (by name) now. */
  sweep(clusterNames: ReadonlySet<string>): Promise<unknown>;
  /** DescribeServices counts of these services of a cluster, by serviceName. */
  serviceCounts(
    clusterArn: string,
    services: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, ReportedCounts>>;
  /** Sweeps these services of a cluster alone. */
  sweepServices(clusterArn: string, services: readonly string[]): Promise<unknown>;
  /** Describes these tasks of a cluster again (DescribeTasks, 100 per call) and applies them as events are. */
  recheckTasks(clusterArn: string, taskArns: readonly string[]): Promise<unknown>;
  /** Aborted when the runtime stops. */
  signal: AbortSignal;
}

/** Intervals of the check. */
export interface CountCheckIntervals {
  checkMs: number;
  fullSweepMs: number;
  /** A task held short of RUNNING this long is described again (`pending_recheck_after`). */
  pendingRecheckMs: number;
}

/** What one check did (for tests and the debug log). */
export interface CheckOutcome {
  checked: number;
  mismatched: string[];
  swept: { reason: SweepReason; clusters: string[] }[];
  /** Services swept alone, as `cluster/service`. */
  services: string[];
  /** Tasks described again because they stayed short of RUNNING too long, by cluster name. */
  rechecked: Map<string, number>;
}

/** The count check of one source: a timer, the mismatch streaks and the scheduled sweeps' credit. */
export class CountChecker {
  readonly #host: CountCheckHost;
  readonly #intervals: () => CountCheckIntervals;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #now: () => number;
  #streaks = new Map<string, number>();
  /** Clusters whose last mismatch was swept by service: if they still disagree, the whole cluster is swept next. */
  #narrowed = new Set<string>();
  #credit = 0;
  #timer: unknown;
  #stopped = false;
  #running: Promise<unknown> | undefined;

  constructor(
    host: CountCheckHost,
    intervals: () => CountCheckIntervals,
    deps: { log: Logger; metrics: Metrics; now: () => number },
  ) {
    this.#host = host;
    this.#intervals = intervals;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#now = deps.now;
  }

  /** Checks every interval from now on (the first check one interval from now). */
  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Checks no more; a check in progress ends with its calls. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) UNREF_TIMER.clear(this.#timer);
    this.#timer = undefined;
  }

  /** Resolves when the check in progress (if any) has ended. */
  async settled(): Promise<void> {
    await this.#running?.catch(() => {});
  }

  #schedule(): void {
    if (this.#stopped || this.#host.signal.aborted) return;
    this.#timer = UNREF_TIMER.set(() => {
      this.#timer = undefined;
      const run = this.check().catch((err: unknown) => this.#log.warn({ err }, 'count check failed'));
      this.#running = run;
      void run.finally(() => this.#schedule());
    }, this.#intervals().checkMs);
  }

  /** One check: counts compared, then the sweeps it earned. */
  async check(): Promise<CheckOutcome> {
    const outcome: CheckOutcome = {
      checked: 0,
      mismatched: [],
      swept: [],
      services: [],
      rechecked: new Map(),
    };
    const host = this.#host;
    if (!host.ready() || !host.healthy() || host.signal.aborted) return outcome;
    const clusters = host.clusters();
    if (clusters.length === 0) return outcome;
    const { checkMs, fullSweepMs, pendingRecheckMs } = this.#intervals();
    await this.#recheckStuck(clusters, pendingRecheckMs, outcome);
    if (host.signal.aborted) return outcome;
    const calledAt = this.#now();
    const reported = await host.describeCounts(
      clusters.map((cluster) => cluster.clusterArn),
      host.signal,
    );
    // Counts may already show a change whose event is still on its way: wait for it a moment.
    await sleep(Math.min(CHECK_GRACE_MAX_MS, checkMs / 4), host.signal);
    if (host.signal.aborted || !host.healthy()) return outcome;
    const to = this.#now();
    const from = calledAt - COUNT_LAG_ALLOWANCE_MS;
    const labels = { source: host.source };
    this.#metrics.eventCountChecks.inc(labels);
    const agreed = new Map<string, boolean>();
    for (const { clusterArn, clusterName } of clusters) {
      outcome.checked++;
      const counts = reported.get(clusterArn);
      const comparison =
        counts === undefined
          ? undefined
          : compareCounts(counts, host.store.countsSince(clusterArn, from), from, to);
      const agree = comparison?.agree === true;
      agreed.set(clusterName, agree);
      if (agree) continue;
      outcome.mismatched.push(clusterName);
      this.#metrics.eventCountMismatches.inc({ ...labels, cluster: clusterName });
      this.#log.debug(
        comparison === undefined
          ? { cluster: clusterName }
          : {
              cluster: clusterName,
              differing: comparison.differing,
              reported: comparison.reported,
              believed: comparison.believed,
            },
        comparison === undefined
          ? 'cluster counts missing: DescribeClusters did not report the cluster ACTIVE'
          : `cluster counts disagree: ${comparison.differing.join(' and ')}`,
      );
    }
    const { streaks, sweep: mismatched } = nextStreaks(this.#streaks, agreed);
    this.#streaks = streaks;
    for (const [cluster, agree] of agreed) if (agree) this.#narrowed.delete(cluster);
    const sweep: string[] = [];
    for (const name of mismatched) {
      const arn = clusters.find((cluster) => cluster.clusterName === name)!.clusterArn;
      if (!(await this.#sweptServices(name, arn, outcome))) sweep.push(name);
    }
    const ages: SweepAge[] = clusters.map(({ clusterArn, clusterName }) => ({
      cluster: clusterName,
      sweptAt: host.store.polledAt(clusterArn),
    }));
    const scheduled = scheduledSweeps(this.#credit, ages, checkMs, fullSweepMs);
    this.#credit = scheduled.credit;
    const mismatch = new Set(sweep);
    const due = scheduled.sweep.filter((cluster) => !mismatch.has(cluster));
    if (sweep.length > 0) await this.#sweep('count-mismatch', sweep, outcome);
    if (due.length > 0 && !host.signal.aborted) await this.#sweep('scheduled', due, outcome);
    this.#setAges(clusters);
    return outcome;
  }

  /**
   * Sweeps the services of a mismatched cluster whose DescribeServices counts disagree; false when
   * none does (or the last sweep of this cluster was by service already): the cluster is swept.
   */
  async #sweptServices(cluster: string, clusterArn: string, outcome: CheckOutcome): Promise<boolean> {
    const host = this.#host;
    if (this.#narrowed.delete(cluster)) return false;
    const believed = host.store.serviceCounts(clusterArn);
    if (believed.size === 0) return false;
    let services: string[];
    try {
      const reported = await host.serviceCounts(clusterArn, [...believed.keys()].sort(), host.signal);
      services = servicesDisagreeing(reported, believed);
    } catch (err) {
      this.#log.warn({ err, cluster }, 'reading the service counts failed, sweeping the cluster');
      return false;
    }
    if (services.length === 0) return false;
    this.#narrowed.add(cluster);
    this.#metrics.eventServiceSweeps.inc({ source: host.source }, services.length);
    this.#log.debug({ cluster, services }, 'sweeping services whose counts disagree');
    outcome.services.push(...services.map((service) => `${cluster}/${service}`));
    await host.sweepServices(clusterArn, services);
    return true;
  }

  /**
   * Describes again the tasks events have held short of RUNNING for longer than the bound: a lost
   * RUNNING event leaves a task PENDING for good, and under churn the cluster's counts may hide it.
   * Done before the counts are read, so that what it heals does not count as a mismatch.
   */
  async #recheckStuck(
    clusters: readonly { clusterArn: string; clusterName: string }[],
    boundMs: number,
    outcome: CheckOutcome,
  ): Promise<void> {
    const host = this.#host;
    const before = this.#now() - boundMs;
    for (const { clusterArn, clusterName } of clusters) {
      if (host.signal.aborted) return;
      const stuck = host.store.takeStuckTasks(clusterArn, before);
      if (stuck.length === 0) continue;
      this.#metrics.eventPendingRechecks.inc({ source: host.source }, stuck.length);
      this.#log.debug(
        { cluster: clusterName, tasks: stuck.length, boundSeconds: boundMs / 1000 },
        'describing again tasks held short of RUNNING too long',
      );
      outcome.rechecked.set(clusterName, stuck.length);
      try {
        await host.recheckTasks(clusterArn, stuck);
      } catch (err) {
        this.#log.warn({ err, cluster: clusterName }, 'describing tasks held short of RUNNING failed');
      }
    }
  }

  async #sweep(reason: SweepReason, clusters: string[], outcome: CheckOutcome): Promise<void> {
    this.#metrics.eventSweeps.inc({ source: this.#host.source, reason }, clusters.length);
    this.#log.debug({ clusters, reason }, 'sweeping clusters');
    outcome.swept.push({ reason, clusters });
    await this.#host.sweep(new Set(clusters));
  }

  #setAges(clusters: readonly { clusterArn: string; clusterName: string }[]): void {
    const now = this.#now();
    for (const { clusterArn, clusterName } of clusters) {
      const at = this.#host.store.polledAt(clusterArn);
      if (at === undefined) continue;
      this.#metrics.eventFullSweepAge.set(
        { source: this.#host.source, cluster: clusterName },
        Math.max(0, (now - at) / 1000),
      );
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
