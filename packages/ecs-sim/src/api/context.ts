import type { Account } from '../state/model.ts';
import type { World } from '../state/world.ts';

/** Hooks the fault injector gives handlers for cluster-scoped faults (access denied, cluster deleted after a List). */
export interface ClusterFaultHooks {
  /** Called with every cluster name a request touches; throws AccessDeniedException when a fault denies it. */
  checkCluster(clusterName: string): void;
  /** Called after a List call returned these clusters' resources (may delete the cluster before the Describe). */
  listed(clusterNames: string[]): void;
}

/** What an operation handler receives: the world, the calling account and principal, and the fault hooks. */
export interface RequestContext {
  world: World;
  account: Account;
  operation: string;
  requestId: string;
  principalArn: string;
  accessKeyId: string | undefined;
  /** `http://host:port` of this listener, for SQS queue URLs. */
  endpoint: string;
  faults: ClusterFaultHooks;
  /** Resolves when the request's connection closes or the server shuts down (ends SQS long polls). */
  aborted: AbortSignal;
}

/** The world and the calling account: enough to resolve names and ARNs. */
export type AccountScope = Pick<RequestContext, 'world' | 'account'>;

/** An operation handler: parsed input in, response shape out; throws ApiError for AWS errors. */
export type Handler<I> = (ctx: RequestContext, input: I) => unknown;
