/**
 * The AWS API actions ecs-sd calls: the one source of truth for the least-privilege IAM
 * policies in the deploy kit (CDK and Terraform tests assert their policies equal these lists).
 * test/integration/iam-actions.test.ts derives the same lists from the calls ecs-sim serves while
 * the runtime runs through every code path, so they cannot drift from the code.
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
  'ecs:DescribeContainerInstances',
  'ec2:DescribeInstances',
  'ssm:DescribeInstanceInformation',
] as const;

/** Actions event mode adds, scoped to its SQS queue (DeleteMessageBatch is authorised by sqs:DeleteMessage). */
export const EVENT_MODE_IAM_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage'] as const;

/** Action needed on a cross-account role_arn. */
export const ASSUME_ROLE_IAM_ACTIONS = ['sts:AssumeRole'] as const;
