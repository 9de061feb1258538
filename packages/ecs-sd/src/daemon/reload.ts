/**
 * What a config reload changes, planned from the running config and the new one. Pure: the
 * runtime applies the plan (runtime.ts). Sources are keyed by name: a source whose clients and
 * fetcher would be built the same (`sourceFingerprint`) keeps them, and with them its caches, its
 * reads in progress and its events consumer; a changed one is rebuilt; removed ones stop and their
 * clusters leave the state; added ones start. The state keeps every cluster's last good targets.
 */
import type { Config } from '../config/types.ts';
import { formatDuration } from '../lib/duration.ts';
import { sourceFingerprint } from './sources.ts';

/** What a reload does, and the lines that say so. */
export interface ReloadPlan {
  /** Sources whose clients, caches and consumer stay. */
  keep: string[];
  /** Sources built again (their config, or a setting their clients take, changed). */
  rebuild: string[];
  add: string[];
  remove: string[];
  /** Tasks are decided differently (rules, conventions, defaults, labels): every cluster is described and decided again. */
  redecide: boolean;
  /** The file_sd outputs changed: written at once where the new config says. */
  outputs: boolean;
  /** The rate budget changed: new budgets (which rebuilds every source). */
  budgets: boolean;
  /** One line per change, for the log and the reply of `/-/reload`. */
  changes: string[];
  /** Settings a reload cannot apply, one line each: they take effect on the next start. */
  needsRestart: string[];
}

const json = (value: unknown): string => JSON.stringify(value ?? null);

/** How tasks are decided: what `discoverCluster` and the fetcher's labels take from the config. */
function decisionInputs(config: Config): string {
  return json({ discovery: config.discovery, labels: config.labels });
}

/** Plans the reload from `current` to `next`. */
export function planReload(current: Config, next: Config): ReloadPlan {
  const before = new Map(current.sources.map((source) => [source.name, source]));
  const after = new Map(next.sources.map((source) => [source.name, source]));
  const plan: ReloadPlan = {
    keep: [],
    rebuild: [],
    add: [],
    remove: [],
    redecide: decisionInputs(current) !== decisionInputs(next),
    outputs:
      json(current.output) !== json(next.output) ||
      current.discovery.defaultInterval !== next.discovery.defaultInterval,
    budgets: json(current.rateBudget) !== json(next.rateBudget),
    changes: [],
    needsRestart: [],
  };
  for (const [name, source] of after) {
    const old = before.get(name);
    if (old === undefined) plan.add.push(name);
    else if (sourceFingerprint(old, current) === sourceFingerprint(source, next)) plan.keep.push(name);
    else plan.rebuild.push(name);
  }
  for (const name of before.keys()) if (!after.has(name)) plan.remove.push(name);

  for (const name of plan.add) plan.changes.push(`source "${name}" added`);
  for (const name of plan.remove) plan.changes.push(`source "${name}" removed, with its clusters' targets`);
  for (const name of plan.rebuild)
    plan.changes.push(`source "${name}" changed: rebuilt, its targets stand until it is read again`);
  if (plan.redecide)
    plan.changes.push('discovery or labels changed: every task is described and decided again');
  if (plan.outputs)
    plan.changes.push('output changed: the file_sd files are written where the new config says');
  if (plan.budgets) plan.changes.push('rate_budget changed');
  if (current.refreshIntervalMs !== next.refreshIntervalMs)
    plan.changes.push(
      `refresh_interval changed from ${formatDuration(current.refreshIntervalMs)} to ${formatDuration(next.refreshIntervalMs)}`,
    );
  if (json(current.timeouts) !== json(next.timeouts)) plan.changes.push('timeouts changed');
  if (json(current.pools) !== json(next.pools))
    plan.changes.push('pools changed: each pool is assigned again on its next http_sd request');
  if (current.ha.replicas !== next.ha.replicas)
    plan.changes.push(
      `ha.replicas changed from ${current.ha.replicas} to ${next.ha.replicas}: this replica's share of the rate budget follows`,
    );
  if (current.taskRereadIntervalMs !== next.taskRereadIntervalMs)
    plan.changes.push('discovery.task_reread_interval changed');

  const restart = (key: string, from: string, to: string) => {
    if (from !== to)
      plan.needsRestart.push(
        `${key}: changed from ${JSON.stringify(from)} to ${JSON.stringify(to)}, which takes effect only on a restart; ${JSON.stringify(from)} stays in use`,
      );
  };
  restart('web.listen_address', current.web.listenAddress, next.web.listenAddress);
  restart('log.level', current.log.level, next.log.level);
  restart('log.format', current.log.format, next.log.format);
  return plan;
}
