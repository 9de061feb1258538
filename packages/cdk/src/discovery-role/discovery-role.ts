/**
 * The role ecs-sd assumes in a monitored account (a source's `role_arn`): exactly the read actions
 * ecs-sd declares, trusted only by the Prometheus servers' task roles.
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DISCOVERY_IAM_ACTIONS } from 'ecs-sd/iam';

/** Props of DiscoveryRole. */
export interface DiscoveryRoleProps {
  /** ARNs of the task roles allowed to assume this role (PrometheusServer.taskRole.roleArn in the monitoring account). */
  readonly trustedRoleArns: readonly string[];
  /** ExternalId the caller must pass (the source's external_id). @default - none */
  readonly externalId?: string;
  /** Role name, so the monitoring account can name it in `role_arn` before it exists. @default - generated */
  readonly roleName?: string;
}

/** A cross-account discovery role to deploy in each monitored account. */
export class DiscoveryRole extends Construct {
  /** The role; its ARN is the source's `roleArn` in the monitoring account. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DiscoveryRoleProps) {
    super(scope, id);
    if (props.trustedRoleArns.length === 0) {
      throw new Error('trustedRoleArns is empty, expected at least one task role ARN');
    }
    const principals = props.trustedRoleArns.map((arn) => new iam.ArnPrincipal(arn));
    const trusted = new iam.CompositePrincipal(...principals);
    this.role = new iam.Role(this, 'Role', {
      assumedBy:
        props.externalId === undefined
          ? trusted
          : trusted.withConditions({ StringEquals: { 'sts:ExternalId': props.externalId } }),
      ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
      description: 'ecs-sd cross-account discovery (read-only ECS, EC2 and SSM reads)',
    });
    const policy = new iam.Policy(this, 'DiscoveryPolicy', {
      statements: [
        new iam.PolicyStatement({ sid: 'Discovery', actions: [...DISCOVERY_IAM_ACTIONS], resources: ['*'] }),
      ],
    });
    policy.attachToRole(this.role);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecs-sd reads every cluster of the account: ListClusters, DescribeInstances and DescribeInstanceInformation support no resource-level permissions, and the actions are exactly the read-only list ecs-sd declares',
    });
  }
}
