/**
 * The AWS API actions ecs-sd calls: the one source of truth for the least-privilege IAM
 * policies in the deploy kit (CDK and Terraform tests assert their policies equal these lists).
 */

/** Actions polling discovery needs; ssm:DescribeInstanceInformation resolves ECS Anywhere hosts. */
export const DISCOVERY_IAM_ACTIONS = [
  'ecs:ListClusters',
  'ecs:DescribeClusters',
  'ecs:ListServices',
  'ecs:DescribeServices',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'ecs:DescribeTaskDefinition',
  'ecs:ListContainerInstances',
  'ecs:DescribeContainerInstances',
  'ec2:DescribeInstances',
  'ssm:DescribeInstanceInformation',
] as const;

/** Actions event mode adds, scoped to its SQS queue. */
export const EVENT_MODE_IAM_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
] as const;

/** Action needed on a cross-account role_arn. */
export const ASSUME_ROLE_IAM_ACTIONS = ['sts:AssumeRole'] as const;
