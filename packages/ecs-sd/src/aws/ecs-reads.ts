/**
 * The ECS calls of a poll, each batched or paged at its API's limit and wrapped as AwsReadError:
 * ListClusters, ListTasks, DescribeTasks, DescribeContainerInstances, ListServices and
 * DescribeServices, and the DescribeClusters counts of event mode's check. I/O only, no cache: the fetcher decides what to ask for.
 */
import {
  type ContainerInstance,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  paginateListClusters,
  paginateListServices,
  paginateListTasks,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import type { Logger } from 'pino';
import {
  DESCRIBE_CLUSTERS_MAX,
  DESCRIBE_CONTAINER_INSTANCES_MAX,
  DESCRIBE_SERVICES_MAX,
  DESCRIBE_TASKS_MAX,
  LIST_CLUSTERS_PAGE_SIZE,
  LIST_SERVICES_PAGE_SIZE,
  LIST_TASKS_PAGE_SIZE,
} from '../lib/aws-limits.ts';
import { chunk } from '../lib/batch.ts';
import { awsCall, sendOptions, type What } from './calls.ts';

/** Every cluster ARN of the account and Region, 100 per page. */
export async function listClusterArns(ecs: ECSClient, what: What, signal?: AbortSignal): Promise<string[]> {
  const arns: string[] = [];
  await awsCall('ListClusters', what('list clusters'), async () => {
    for await (const page of paginateListClusters(
      { client: ecs, pageSize: LIST_CLUSTERS_PAGE_SIZE },
      {},
      sendOptions(signal),
    )) {
      arns.push(...(page.clusterArns ?? []));
    }
  });
  return arns;
}

/** A cluster's task and container instance counts as DescribeClusters reports them. */
export interface ClusterCounts {
  running: number;
  pending: number;
  containerInstances: number;
}

/**
 * The counts of these clusters (DescribeClusters, 100 per call, no tags), by clusterArn; a cluster
 * reported MISSING or INACTIVE is absent.
 */
export async function describeClusterCounts(
  ecs: ECSClient,
  clusterArns: readonly string[],
  what: What,
  signal?: AbortSignal,
): Promise<Map<string, ClusterCounts>> {
  const out = new Map<string, ClusterCounts>();
  for (const batch of chunk(clusterArns, DESCRIBE_CLUSTERS_MAX)) {
    const output = await awsCall('DescribeClusters', what('describe clusters (counts)'), () =>
      ecs.send(new DescribeClustersCommand({ clusters: [...batch] }), sendOptions(signal)),
    );
    for (const cluster of output.clusters ?? []) {
      if (cluster.clusterArn === undefined || cluster.status === 'INACTIVE') continue;
      out.set(cluster.clusterArn, {
        running: cluster.runningTasksCount ?? 0,
        pending: cluster.pendingTasksCount ?? 0,
        containerInstances: cluster.registeredContainerInstancesCount ?? 0,
      });
    }
  }
  return out;
}

/** The running and pending counts of these services of a cluster (DescribeServices, 10 per call, no tags), by serviceName. */
export async function describeServiceCounts(
  ecs: ECSClient,
  clusterArn: string,
  serviceNames: readonly string[],
  what: What,
  signal?: AbortSignal,
): Promise<Map<string, { running: number; pending: number }>> {
  const out = new Map<string, { running: number; pending: number }>();
  for (const batch of chunk(serviceNames, DESCRIBE_SERVICES_MAX)) {
    const output = await awsCall('DescribeServices', what('describe services (counts)'), () =>
      ecs.send(
        new DescribeServicesCommand({ cluster: clusterArn, services: [...batch] }),
        sendOptions(signal),
      ),
    );
    for (const service of output.services ?? [])
      if (service.serviceName !== undefined)
        out.set(service.serviceName, {
          running: service.runningCount ?? 0,
          pending: service.pendingCount ?? 0,
        });
  }
  return out;
}

/** The ARNs of a cluster's (or one service's) tasks whose desiredStatus is RUNNING, 100 per page. */
export async function listTaskArns(
  ecs: ECSClient,
  clusterArn: string,
  what: What,
  signal?: AbortSignal,
  serviceName?: string,
): Promise<string[]> {
  const arns: string[] = [];
  await awsCall('ListTasks', what('list tasks'), async () => {
    for await (const page of paginateListTasks(
      { client: ecs, pageSize: LIST_TASKS_PAGE_SIZE },
      {
        cluster: clusterArn,
        desiredStatus: 'RUNNING',
        ...(serviceName === undefined ? {} : { serviceName }),
      },
      sendOptions(signal),
    )) {
      arns.push(...(page.taskArns ?? []));
    }
  });
  return arns;
}

/** DescribeTasks (with tags) of exactly these tasks, 100 per call; tasks ECS reports as failures are logged at debug. */
export async function describeTasks(
  ecs: ECSClient,
  clusterArn: string,
  taskArns: readonly string[],
  what: What,
  log: Logger,
  signal?: AbortSignal,
): Promise<Task[]> {
  const tasks: Task[] = [];
  for (const batch of chunk(taskArns, DESCRIBE_TASKS_MAX)) {
    const output = await awsCall('DescribeTasks', what('describe tasks'), () =>
      ecs.send(
        new DescribeTasksCommand({ cluster: clusterArn, tasks: batch, include: ['TAGS'] }),
        sendOptions(signal),
      ),
    );
    tasks.push(...(output.tasks ?? []));
    for (const failure of output.failures ?? [])
      log.debug({ clusterArn, arn: failure.arn, reason: failure.reason }, 'task not described');
  }
  return tasks;
}

/** DescribeContainerInstances of exactly these container instances, 100 per call. */
export async function describeContainerInstances(
  ecs: ECSClient,
  clusterArn: string,
  arns: readonly string[],
  what: What,
  signal?: AbortSignal,
): Promise<ContainerInstance[]> {
  const out: ContainerInstance[] = [];
  for (const batch of chunk(arns, DESCRIBE_CONTAINER_INSTANCES_MAX)) {
    const output = await awsCall('DescribeContainerInstances', what('describe container instances'), () =>
      ecs.send(
        new DescribeContainerInstancesCommand({ cluster: clusterArn, containerInstances: batch }),
        sendOptions(signal),
      ),
    );
    out.push(...(output.containerInstances ?? []));
  }
  return out;
}

/** Every service of a cluster (with tags) by serviceName: ListServices 100 per page, DescribeServices 10 per call. */
export async function readServices(
  ecs: ECSClient,
  clusterArn: string,
  what: What,
  signal?: AbortSignal,
): Promise<Map<string, Service>> {
  const arns: string[] = [];
  await awsCall('ListServices', what('list services'), async () => {
    for await (const page of paginateListServices(
      { client: ecs, pageSize: LIST_SERVICES_PAGE_SIZE },
      { cluster: clusterArn },
      sendOptions(signal),
    )) {
      arns.push(...(page.serviceArns ?? []));
    }
  });
  const out = new Map<string, Service>();
  for (const batch of chunk(arns, DESCRIBE_SERVICES_MAX)) {
    const output = await awsCall('DescribeServices', what('describe services'), () =>
      ecs.send(
        new DescribeServicesCommand({ cluster: clusterArn, services: batch, include: ['TAGS'] }),
        sendOptions(signal),
      ),
    );
    for (const service of output.services ?? []) {
      if (service.serviceName !== undefined) out.set(service.serviceName, service);
    }
  }
  return out;
}
