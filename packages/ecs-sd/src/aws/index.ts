/** The AWS edge: clients per source, request counting middleware, and the cached, batched fetcher. */
export { BoundedCache, type CacheLookupListener } from './cache.ts';
export { createSourceClients, ROLE_SESSION_NAME, type SourceClients } from './clients.ts';
export {
  type ClusterFetch,
  type ClusterRef,
  type ClusterSelection,
  type FetcherOptions,
  SourceFetcher,
} from './fetch.ts';
export { countingPlugin, isThrottle, operationName } from './middleware.ts';
export {
  AWS_BUCKETS,
  budgetKey,
  budgetMiddleware,
  categoryOf,
  DEFAULT_BUDGET_SCALE,
  RATE_CATEGORIES,
  RateBudget,
  RateBudgets,
  type RateCategory,
  registerRateBudgetMetrics,
} from './rate-budget.ts';
