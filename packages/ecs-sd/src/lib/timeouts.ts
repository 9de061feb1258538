/**
 * How long AWS reads may take: the defaults and bounds of `timeouts.aws_request` (each attempt of
 * a call) and `timeouts.cluster_refresh` (each cluster's whole read in a refresh), in one place for
 * the config schema, the AWS clients and callers that build no config. Pure.
 */

/**
 * An attempt of an AWS call that has not answered (headers, then no byte for as long) after this
 * long is aborted and retried. ECS and EC2 reads answer in well under a second.
 */
export const AWS_REQUEST_TIMEOUT_MS = 10_000;
/** A connection not established after this long (or the request timeout, if shorter) is abandoned and retried. */
export const AWS_CONNECTION_TIMEOUT_MS = 5_000;
/**
 * Deadline of one cluster's read in a refresh. Generous, because rate-budget waits count: a cold
 * start of a 10,000-task cluster takes ~200 calls at the default budget's 10 per second, shared
 * with the other clusters. A hung call fails long before, after its attempts time out.
 */
export const CLUSTER_REFRESH_TIMEOUT_MS = 5 * 60_000;

/** Bounds of `timeouts.aws_request`. */
export const AWS_REQUEST_TIMEOUT_RANGE_MS = { min: 100, max: 5 * 60_000 } as const;
/** Bounds of `timeouts.cluster_refresh`. */
export const CLUSTER_REFRESH_TIMEOUT_RANGE_MS = { min: 1000, max: 60 * 60_000 } as const;

/** The timeouts of a daemon's AWS reads. */
export interface Timeouts {
  /** Per attempt of one AWS call. */
  awsRequestMs: number;
  /** Per cluster per refresh (and for selecting a source's clusters). */
  clusterRefreshMs: number;
}

/** The defaults, for callers that build no config (tests, the library). */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  awsRequestMs: AWS_REQUEST_TIMEOUT_MS,
  clusterRefreshMs: CLUSTER_REFRESH_TIMEOUT_MS,
};
