/**
 * Event mode for one ecs-sd replica: its own SQS queue and EventBridge rule. Two consumers of one
 * queue would each see only part of the events, so every replica gets a queue of its own.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue that receives `aws.ecs` task and container instance state changes of this account and
 * Region: of `clusters` (names or ARNs) when given, of every cluster otherwise.
 */
export function createEventsQueue(
  scope: Construct,
  id: string,
  options: { description: string; clusters: readonly string[] | undefined },
): sqs.Queue {
  const stack = Stack.of(scope);
  const queue = new sqs.Queue(scope, `${id}Queue`, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.hours(1),
    visibilityTimeout: Duration.seconds(30),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'ECS events are hints between full refreshes: a lost or unprocessable event is repaired by the next refresh, so a dead-letter queue would only collect stale events',
  });
  new events.Rule(scope, `${id}Rule`, {
    description: options.description,
    eventPattern: {
      source: ['aws.ecs'],
      detailType: ['ECS Task State Change', 'ECS Container Instance State Change'],
      ...(options.clusters === undefined
        ? {}
        : {
            detail: {
              clusterArn: options.clusters.map((cluster) =>
                cluster.startsWith('arn:')
                  ? cluster
                  : stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: cluster }),
              ),
            },
          }),
    },
    targets: [new eventsTargets.SqsQueue(queue)],
  });
  return queue;
}
