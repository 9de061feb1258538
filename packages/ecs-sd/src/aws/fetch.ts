/**
 * Facts and helpers every AWS read of ecs-sd shares: the page and batch limits of each API, the
 * bounds of the caches, the name and account of a cluster ARN, and batching. The reads themselves
 * live next to this file: `fetcher.ts` (one source), `cluster-directory.ts` (which clusters),
 * `ecs-reads.ts` and `hosts.ts` (the calls), `task-definitions.ts` and `cluster-cache.ts` (caches).
 */

/** ListClusters returns at most 100 cluster ARNs per page. */
export const LIST_CLUSTERS_PAGE_SIZE = 100;
/** DescribeClusters accepts at most 100 clusters. */
export const DESCRIBE_CLUSTERS_MAX = 100;
/** ListTasks returns at most 100 task ARNs per page. */
export const LIST_TASKS_PAGE_SIZE = 100;
/** DescribeTasks accepts at most 100 tasks. */
export const DESCRIBE_TASKS_MAX = 100;
/** DescribeContainerInstances accepts at most 100 container instances. */
export const DESCRIBE_CONTAINER_INSTANCES_MAX = 100;
/** ListServices returns at most 100 service ARNs per page (maxResults; 10 by default). */
export const LIST_SERVICES_PAGE_SIZE = 100;
/** DescribeServices accepts at most 10 services. */
export const DESCRIBE_SERVICES_MAX = 10;
/** EC2 DescribeInstances has no documented InstanceId.N limit; 100 matches the container instance batches. */
export const DESCRIBE_INSTANCES_IDS_MAX = 100;
/** SSM DescribeInstanceInformation returns at most 50 instances per page (MaxResults 5–50). */
export const DESCRIBE_INSTANCE_INFORMATION_PAGE_SIZE = 50;
/** DescribeTaskDefinition takes one task definition per call; this many run at once. */
export const DESCRIBE_TASK_DEFINITION_CONCURRENCY = 4;

/** Bound of the task definition cache (revision ARNs are immutable, so only memory limits it). */
export const TASK_DEFINITION_CACHE_MAX = 5000;
/** Bound of each per-cluster cache (tasks, container instances, hosts). */
export const CLUSTER_CACHE_MAX = 50_000;

/** The name part of a cluster ARN (`arn:aws:ecs:r:a:cluster/NAME`), or the input when it is a name. */
export function clusterNameOf(clusterArnOrName: string): string {
  const slash = clusterArnOrName.indexOf(':cluster/');
  return slash === -1 ? clusterArnOrName : clusterArnOrName.slice(slash + ':cluster/'.length);
}

/** The account id of an ARN, or undefined. */
export function accountIdOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account === undefined || account === '' ? undefined : account;
}

/** Splits a list into batches of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let index = 0; index < items.length; index += size) out.push(items.slice(index, index + size));
  return out;
}

/** Maps with at most `limit` promises in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
