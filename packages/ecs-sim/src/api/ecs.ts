import type { RequestContext } from './context.ts';
import {
  createCluster,
  deleteCluster,
  describeClusters,
  listClusters,
  listTagsForResource,
  tagResource,
  untagResource,
} from './ecs-clusters.ts';
import {
  deregisterContainerInstance,
  describeContainerInstances,
  listContainerInstances,
  registerContainerInstance,
} from './ecs-container-instances.ts';
import type { Body } from './ecs-input.ts';
import {
  createService,
  deleteService,
  describeServices,
  listServices,
  updateService,
} from './ecs-services.ts';
import {
  deregisterTaskDefinition,
  describeTaskDefinition,
  listTaskDefinitionFamilies,
  registerTaskDefinition,
} from './ecs-task-definitions.ts';
import { describeTasks, listTasks, runTask, startTaskOp, stopTaskOp } from './ecs-tasks.ts';

export {
  DESCRIBE_CLUSTERS_MAX,
  DESCRIBE_CONTAINER_INSTANCES_MAX,
  DESCRIBE_SERVICES_MAX,
  DESCRIBE_TASKS_MAX,
  LIST_PAGE_MAX,
  LIST_SERVICES_DEFAULT,
  RUN_TASK_MAX,
} from './ecs-limits.ts';
export { requestClusterName } from './ecs-refs.ts';

/** ECS operations by name (AWS JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113). */
export const ECS_HANDLERS: Record<string, (ctx: RequestContext, body: Body) => unknown> = {
  CreateCluster: createCluster,
  DeleteCluster: deleteCluster,
  ListClusters: listClusters,
  DescribeClusters: describeClusters,
  RegisterTaskDefinition: registerTaskDefinition,
  DeregisterTaskDefinition: deregisterTaskDefinition,
  DescribeTaskDefinition: describeTaskDefinition,
  ListTaskDefinitionFamilies: listTaskDefinitionFamilies,
  RegisterContainerInstance: registerContainerInstance,
  DeregisterContainerInstance: deregisterContainerInstance,
  ListContainerInstances: listContainerInstances,
  DescribeContainerInstances: describeContainerInstances,
  CreateService: createService,
  UpdateService: updateService,
  DeleteService: deleteService,
  ListServices: listServices,
  DescribeServices: describeServices,
  RunTask: runTask,
  StartTask: startTaskOp,
  StopTask: stopTaskOp,
  ListTasks: listTasks,
  DescribeTasks: describeTasks,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
};
