/**
 * The configured sources as the runtime holds them, keyed by name: each with its AWS clients (every
 * call through the rate budget of its account or role and Region), its fetcher and caches, its
 * cluster reads in progress and, in event mode, its consumer. Built from a `SourceConfig`, so a
 * config reload can keep the sources whose config did not change (caches, queue position) and
 * build only the others.
 */
import type { MetadataBearer, Pluggable } from '@smithy/types';
import type { Logger } from 'pino';
import { budgetKey, budgetMiddleware, type RateBudgets } from '../aws/budget-plugin.ts';
import type { SourceClients, SourceClientsOptions } from '../aws/clients.ts';
import { SourceFetcher } from '../aws/fetcher.ts';
import { type Config, needsServices, type SourceConfig } from '../config/types.ts';
import type { Metrics } from '../metrics.ts';
import type { EventMode } from './event-mode.ts';
import type { ClusterReads } from './source-refresh.ts';
import type { DiscoveryState } from './state.ts';

/** Creates a source's clients with the given plugins (the rate budget) and options (timeouts, logger). */
export type CreateClients = (
  source: SourceConfig,
  metrics: Metrics,
  plugins: readonly Pluggable<object, MetadataBearer>[],
  options: SourceClientsOptions,
) => SourceClients;

/** One configured source at run time. */
export interface SourceRuntime {
  config: SourceConfig;
  clients: SourceClients;
  fetcher: SourceFetcher;
  /** Cluster reads in progress (a slow one outlives the refresh that started it). */
  reads: ClusterReads;
  /** Event mode, when the source has an events queue. */
  events: EventMode | undefined;
  /** Its queue became unreadable since the loop's last full refresh, which then stands in for events. */
  queueOutage: boolean;
  /** Aborted when the runtime stops or a reload removes (or rebuilds) the source: every call of its reads ends. */
  signal: AbortSignal;
  /** Aborts `signal` for this source alone (a reload). */
  controller: AbortController;
}

/** What building a source needs. */
export interface SourceDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  budgets: RateBudgets;
  createClients: CreateClients;
  clientOptions: SourceClientsOptions;
  now: () => number;
  /** Aborted when the runtime stops: calls that several cluster reads share. */
  signal: AbortSignal;
}

/** Builds one source (its event mode is attached by the caller, which owns what it calls back). */
export function createSource(source: SourceConfig, deps: SourceDeps): SourceRuntime {
  const controller = new AbortController();
  const signal = AbortSignal.any([deps.signal, controller.signal]);
  let clients: SourceClients | undefined;
  // Keyed by role (or default credentials) and Region: sources of one account and Region share a budget.
  const budget = budgetMiddleware(async () =>
    deps.budgets.get(
      budgetKey({
        roleArn: source.roleArn,
        region: source.region ?? (await clients!.region()),
        endpoint: source.endpoint,
      }),
    ),
  );
  clients = deps.createClients(source, deps.metrics, [budget], deps.clientOptions);
  const fetcher = new SourceFetcher(
    source,
    clients,
    deps.metrics,
    deps.log.child({ component: 'aws', source: source.name }),
    {
      includeServices: needsServices(deps.config),
      signal,
      clusterRereadAfterMs: deps.config.clusterRereadIntervalMs,
      now: deps.now,
    },
  );
  return {
    config: source,
    clients,
    fetcher,
    reads: new Map(),
    events: undefined,
    queueOutage: false,
    signal,
    controller,
  };
}

/**
 * What a source's clients and fetcher are built from: its own config and the settings of the
 * config they take in. Sources whose fingerprint did not change keep their caches over a reload.
 */
export function sourceFingerprint(source: SourceConfig, config: Config): string {
  return JSON.stringify({
    source,
    includeServices: needsServices(config),
    clusterRereadIntervalMs: config.clusterRereadIntervalMs ?? null,
    awsRequestMs: config.timeouts.awsRequestMs,
    rateBudget: config.rateBudget,
  });
}

/**
 * Stops one source: its events consumer (given its grace to delete what it handled), every read of
 * its clusters, and its clients. Its clusters stay in the state; the caller removes them if it must.
 */
export async function stopSource(source: SourceRuntime): Promise<void> {
  source.events?.cancel();
  source.controller.abort(new Error(`source "${source.config.name}" is stopping`));
  await source.events?.stop();
  await source.events?.drain();
  await Promise.all([...source.reads.values()].map((read) => read.done));
  source.clients.destroy();
}

/** Removes the clusters of sources a reload removed from the state, and their per-source gauges. */
export function forgetSources(
  state: DiscoveryState,
  metrics: Pick<Metrics, 'eventsHealthy'>,
  names: readonly string[],
): void {
  for (const name of names) {
    for (const entry of state.clustersOf(name)) state.remove(name, entry.clusterArn);
    metrics.eventsHealthy.remove({ source: name });
  }
}

/** Where a Region can be given, for the problem of a source without one. */
const REGION_SOURCES =
  'region: in the source, --aws.region or ECS_SD_AWS_REGION (single source), AWS_REGION, AWS_DEFAULT_REGION, or region in the AWS profile (AWS_PROFILE, ~/.aws/config)';

/**
 * One problem line per source whose Region neither its config nor the SDK's chain (environment,
 * profile) gives: without one every call fails, so it is a start-up (or reload) error naming the
 * source and where a Region can be set.
 */
export async function regionProblems(config: Config, sources: readonly SourceRuntime[]): Promise<string[]> {
  const problems: string[] = [];
  for (const source of sources) {
    if (source.config.region !== undefined) continue;
    const region = await source.clients.region().catch(() => undefined);
    if (typeof region === 'string' && region !== '') continue;
    const index = config.sources.findIndex((candidate) => candidate.name === source.config.name);
    problems.push(
      `sources[${index}] (source "${source.config.name}"): no AWS Region found, expected ${REGION_SOURCES}`,
    );
  }
  return problems;
}
