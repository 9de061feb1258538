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
      signal: deps.signal,
      clusterRereadAfterMs: deps.config.clusterRereadIntervalMs,
      now: deps.now,
    },
  );
  return { config: source, clients, fetcher, reads: new Map(), events: undefined };
}

/** Every source of a config, by name (names are unique: the config says so). */
export function createSources(config: Config, deps: SourceDeps): Map<string, SourceRuntime> {
  return new Map(config.sources.map((source) => [source.name, createSource(source, deps)]));
}
