/** The AWS edge: clients per source, request counting middleware, and the cached, batched fetcher. */

export { budgetKey, budgetMiddleware, RateBudgets, registerRateBudgetMetrics } from './budget-plugin.ts';
export { BoundedCache, type CacheLookupListener } from './cache.ts';
export { createSourceClients, ROLE_SESSION_NAME, type SourceClients } from './clients.ts';
export {
  type ClusterRef,
  type ClusterSelection,
  type FetcherOptions,
  SourceFetcher,
  type TaskListing,
} from './fetcher.ts';
export { HostBatch, type HostTicket } from './host-batch.ts';
export { countingPlugin, isThrottle, operationName } from './middleware.ts';
export { RateBudget } from './rate-budget.ts';
