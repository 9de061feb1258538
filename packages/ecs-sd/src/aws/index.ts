/** The AWS edge: clients per source, request counting middleware, and the cached, batched fetcher. */

export { budgetKey, budgetMiddleware, RateBudgets, registerRateBudgetMetrics } from './budget-plugin.ts';
export { BoundedCache, type CacheLookupListener } from './cache.ts';
export { createSourceClients, ROLE_SESSION_NAME, type SourceClients } from './clients.ts';
export { clusterNameOf } from './fetch.ts';
export {
  type ClusterRef,
  type ClusterSelection,
  type FetcherOptions,
  SourceFetcher,
  type TaskListing,
} from './fetcher.ts';
export { HostBatch, type HostTicket } from './host-batch.ts';
export { DISCOVERY_IAM_ACTIONS } from './iam.ts';
export { countingPlugin, isThrottle, operationName } from './middleware.ts';
export {
  AWS_BUCKETS,
  categoryOf,
  DEFAULT_BUDGET_SCALE,
  RATE_CATEGORIES,
  RateBudget,
  type RateCategory,
} from './rate-budget.ts';
