/**
 * Links to the AWS console page of a task, built from its ARN (partition, Region) and cluster name.
 * They open only where the user is logged in to that account, which is fine. Pure.
 */
import { parseArn, taskIdFromArn } from '../../lib/arn.ts';

/** Console host by partition; other partitions get no link. */
const CONSOLE_HOSTS: Readonly<Record<string, (region: string) => string>> = {
  aws: (region) => `${region}.console.aws.amazon.com`,
  'aws-cn': (region) => `${region}.console.amazonaws.cn`,
  'aws-us-gov': (region) => `${region}.console.amazonaws-us-gov.com`,
};

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * `https://REGION.console.aws.amazon.com/ecs/v2/clusters/CLUSTER/tasks/TASKID?region=REGION`, or
 * undefined when the ARN names no known partition or no Region.
 */
export function taskConsoleUrl(taskArn: string, clusterName: string): string | undefined {
  const arn = parseArn(taskArn);
  if (arn === undefined || !REGION.test(arn.region) || clusterName === '') return undefined;
  const host = CONSOLE_HOSTS[arn.partition];
  if (host === undefined) return undefined;
  const path = `/ecs/v2/clusters/${encodeURIComponent(clusterName)}/tasks/${encodeURIComponent(taskIdFromArn(taskArn))}`;
  return `https://${host(arn.region)}${path}?region=${arn.region}`;
}
