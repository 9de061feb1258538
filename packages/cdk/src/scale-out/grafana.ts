/**
 * Grafana on the scale-out topology's store: one Fargate task with the store as its provisioned
 * default data source (SigV4 with its task role for AMP) and the monitoring dashboards. Stateless:
 * dashboards and data sources come from files, so anything made in the UI is lost on replacement.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { TASK_PATHS } from '../prometheus-server/config.ts';
import { IMAGES } from '../versions.ts';
import { type AmpWorkspaceRef, SCALE_OUT_PORTS } from './config.ts';
import { ConfigDelivery } from './config-delivery.ts';
import { acknowledgeEnvironment, wgetHealthCheck } from './tasks.ts';

/** Actions Grafana needs to query an AMP workspace. */
export const AMP_QUERY_ACTIONS = [
  'aps:QueryMetrics',
  'aps:GetSeries',
  'aps:GetLabels',
  'aps:GetMetricMetadata',
] as const;

/** Generated files Grafana reads, under `generated/`. */
export const GRAFANA_FILES = {
  datasources: 'grafana/provisioning/datasources/store.yml',
  dashboards: 'grafana/provisioning/dashboards/ecs-sd.yml',
} as const;

/** Props of StoreGrafana. */
export interface StoreGrafanaProps {
  readonly cluster: ecs.ICluster;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly cloudMapNamespace: servicediscovery.INamespace;
  /** Cloud Map name. */
  readonly name: string;
  /** Peers allowed to reach 3000. */
  readonly allowFrom: readonly ec2.IPeer[];
  /** Delivers GRAFANA_FILES and the dashboards. */
  readonly config: ConfigDelivery;
  readonly logging: (prefix: string) => ecs.LogDriver;
  /** The AMP workspace to query with SigV4. @default - a store that needs no signing */
  readonly workspace?: AmpWorkspaceRef;
}

/** Grafana's service, security group, role and admin secret. */
export class StoreGrafana extends Construct {
  readonly service: ecs.FargateService;
  /** 3000 from allowFrom only. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Config reads, and the AMP query actions on the workspace. */
  readonly taskRole: iam.Role;
  /** Admin password (user `admin`). */
  readonly adminSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: StoreGrafanaProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Grafana of the scale-out topology: 3000 from allowFrom only',
      allowAllOutbound: true,
    });
    for (const peer of props.allowFrom) {
      this.securityGroup.addIngressRule(peer, ec2.Port.tcp(SCALE_OUT_PORTS.grafana), 'Grafana UI');
    }
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Grafana of the scale-out topology: config reads and queries of the store',
    });
    props.config.grantRead(this.taskRole);
    if (props.workspace !== undefined) {
      this.taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'QueryStore',
          actions: [...AMP_QUERY_ACTIONS],
          resources: [props.workspace.workspaceArn],
        }),
      );
    }
    this.adminSecret = new secretsmanager.Secret(this, 'AdminPassword', {
      description: 'Grafana admin password of the scale-out topology (user admin)',
      generateSecretString: { excludePunctuation: true, passwordLength: 32 },
    });
    Validations.of(this.adminSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Grafana reads GF_SECURITY_ADMIN_PASSWORD only when it creates its database; a rotated secret would no longer match the stored password',
    });
    const task = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 256,
      memoryLimitMiB: 512,
      taskRole: this.taskRole,
    });
    const afterConfig = props.config.addLoader(task, {
      version: props.config.version([GRAFANA_FILES.datasources, GRAFANA_FILES.dashboards], true),
      logging: props.logging('config-loader'),
    });
    const grafana = task.addContainer('grafana', {
      image: ecs.ContainerImage.fromRegistry(IMAGES.grafana),
      essential: true,
      environment: {
        GF_PATHS_PROVISIONING: `${TASK_PATHS.generated}/grafana/provisioning`,
        GF_SECURITY_ADMIN_USER: 'admin',
        GF_USERS_ALLOW_SIGN_UP: 'false',
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
        // SigV4 on the AMP data source, with the default AWS chain: the task role.
        ...(props.workspace === undefined ? {} : { GF_AUTH_SIGV4_AUTH_ENABLED: 'true' }),
      },
      secrets: { GF_SECURITY_ADMIN_PASSWORD: ecs.Secret.fromSecretsManager(this.adminSecret) },
      portMappings: [{ containerPort: SCALE_OUT_PORTS.grafana, name: 'grafana' }],
      healthCheck: wgetHealthCheck(SCALE_OUT_PORTS.grafana, '/api/health'),
      logging: props.logging('grafana'),
    });
    ConfigDelivery.mount(grafana);
    grafana.addContainerDependencies(afterConfig);
    acknowledgeEnvironment(task);
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: 1,
      // Nothing to hand over (no volume): the new task starts before the old one stops.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      securityGroups: [this.securityGroup],
      vpcSubnets: props.subnets,
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
      cloudMapOptions: {
        cloudMapNamespace: props.cloudMapNamespace,
        name: props.name,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
    });
    this.service.node.addDependency(props.config.deployment);
  }
}
