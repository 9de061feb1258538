/** DescribeTasks accepts at most 100 tasks. */
export const DESCRIBE_TASKS_MAX = 100;
/** DescribeContainerInstances accepts at most 100 container instances. */
export const DESCRIBE_CONTAINER_INSTANCES_MAX = 100;
/** DescribeServices accepts at most 10 services. */
export const DESCRIBE_SERVICES_MAX = 10;
/** DescribeClusters accepts at most 100 clusters. */
export const DESCRIBE_CLUSTERS_MAX = 100;
/** ListServices returns 10 per page unless maxResults (up to 100) says otherwise. */
export const LIST_SERVICES_DEFAULT = 10;
/** ListTasks, ListClusters and ListContainerInstances return up to 100 per page. */
export const LIST_PAGE_MAX = 100;
/** RunTask starts at most 10 tasks per call. */
export const RUN_TASK_MAX = 10;
