/**
 * A complete deployment: a VPC, an HA pair of Prometheus servers (one per availability zone) in a
 * monitoring cluster, and an application cluster whose instances run node-exporter and cAdvisor.
 * `npm run synth -w @ecs-sd/cdk` writes the cloud assembly to packages/cdk/cdk.out (offline).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, type Environment, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import cdkNag from 'cdk-nag';
import type { Construct } from 'constructs';
import { CadvisorDaemon, NodeExporterDaemon, PrometheusServer } from '../src/index.ts';

/** Props of the example stack. */
export interface ExampleStackProps extends StackProps {
  /** Monitoring content folder. @default the repository's monitoring/ folder */
  readonly monitoringDirectory?: string;
}

/** The whole example in one stack, so `cdk deploy` brings up a working monitoring setup. */
export class ExampleStack extends Stack {
  readonly servers: readonly PrometheusServer[];

  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.42.0.0/16'),
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: { rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });

    // --- monitoring: two servers, one per availability zone, both discovering the same fleet
    const monitoring = new ecs.Cluster(this, 'MonitoringCluster', { vpc });
    acknowledgeNoContainerInsights(monitoring);
    const namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: 'monitoring.internal',
      vpc,
    });
    const [first, second] = vpc.privateSubnets;
    if (first === undefined || second === undefined)
      throw new Error('the VPC has fewer than 2 private subnets');
    const common = {
      cluster: monitoring,
      vpc,
      cloudMapNamespace: namespace,
      // ECS events through an SQS queue per server: new tasks are scraped within seconds, polls every 10 minutes.
      eventMode: true,
      sessionManagerAccess: true,
      ...(props.monitoringDirectory === undefined ? {} : { monitoringDirectory: props.monitoringDirectory }),
    };
    // An HA pair: same targets, one Alertmanager cluster so each alert is notified once.
    const a = new PrometheusServer(this, 'PrometheusA', {
      ...common,
      subnet: first,
      name: 'prometheus-a',
      alertmanagerPeers: ['prometheus-b'],
    });
    const b = new PrometheusServer(this, 'PrometheusB', {
      ...common,
      subnet: second,
      name: 'prometheus-b',
      alertmanagerPeers: ['prometheus-a'],
    });
    a.allowPeer(b);
    b.allowPeer(a);
    this.servers = [a, b];
    for (const [label, server] of [
      ['A', a],
      ['B', b],
    ] as const) {
      new CfnOutput(this, `Prometheus${label}GrafanaSecret`, { value: server.grafanaAdminSecret.secretArn });
      new CfnOutput(this, `Prometheus${label}AutoScalingGroup`, {
        value: server.autoScalingGroup.autoScalingGroupName,
      });
      new CfnOutput(this, `Prometheus${label}AlertTopic`, { value: server.alertTopic?.topicArn ?? 'none' });
    }

    // --- an application cluster: its instances get node-exporter and cAdvisor
    const apps = new ecs.Cluster(this, 'AppsCluster', { vpc });
    acknowledgeNoContainerInsights(apps);
    const hostSecurityGroup = new ec2.SecurityGroup(this, 'AppsHostSecurityGroup', {
      vpc,
      description: 'application container instances',
    });
    const hostRole = new iam.Role(this, 'AppsHostRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    });
    for (const finding of ['Resource::*', 'Action::ecs:Submit*']) {
      Validations.of(hostRole).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          'the ECS agent actions aws-cdk-lib grants a container instance support no resource-level permissions',
      });
    }
    const launchTemplate = new ec2.LaunchTemplate(this, 'AppsLaunchTemplate', {
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      instanceType: new ec2.InstanceType('t3.small'),
      userData: ec2.UserData.forLinux(),
      role: hostRole,
      securityGroup: hostSecurityGroup,
      requireImdsv2: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }),
        },
      ],
    });
    const appsGroup = new autoscaling.AutoScalingGroup(this, 'AppsAutoScalingGroup', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: 1,
      maxCapacity: 2,
    });
    Validations.of(appsGroup).acknowledge({
      id: 'AwsSolutions-AS3',
      reason: 'example application capacity: scaling events are visible in the ECS and Auto Scaling consoles',
    });
    apps.addAsgCapacityProvider(
      new ecs.AsgCapacityProvider(this, 'AppsCapacity', { autoScalingGroup: appsGroup }),
    );

    const scrapeAccess = {
      prometheusSecurityGroups: this.servers.map((server) => server.securityGroup),
      hostSecurityGroups: [hostSecurityGroup],
    };
    new NodeExporterDaemon(this, 'NodeExporter', { cluster: apps, ...scrapeAccess });
    new CadvisorDaemon(this, 'Cadvisor', { cluster: apps, ...scrapeAccess });
    // The monitoring instances are hosts too.
    new NodeExporterDaemon(this, 'MonitoringNodeExporter', {
      cluster: monitoring,
      prometheusSecurityGroups: scrapeAccess.prometheusSecurityGroups,
    });
  }
}

function acknowledgeNoContainerInsights(cluster: ecs.Cluster): void {
  Validations.of(cluster).acknowledge({
    id: 'AwsSolutions-ECS4',
    reason:
      'container metrics come from cAdvisor into Prometheus; CloudWatch Container Insights would bill the same metrics a second time',
  });
}

/** Options of buildExampleApp. */
export interface ExampleAppOptions {
  /** Cloud assembly directory. @default 'cdk.out' in the working directory */
  readonly outdir?: string;
  readonly monitoringDirectory?: string;
  /** Account and Region. @default - environment-agnostic */
  readonly env?: Environment;
}

/** The example app with cdk-nag's AWS Solutions checks registered; synthesis fails on an unacknowledged finding. */
export function buildExampleApp(options: ExampleAppOptions = {}): { app: App; stack: ExampleStack } {
  const app = new App(options.outdir === undefined ? {} : { outdir: options.outdir });
  const stack = new ExampleStack(app, 'EcsSdExample', {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.monitoringDirectory === undefined
      ? {}
      : { monitoringDirectory: options.monitoringDirectory }),
  });
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
  return { app, stack };
}

// Run as a script (`node examples/app.ts`, or the aws-cdk CLI's `--app`), not when imported by the tests.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The aws-cdk CLI passes CDK_OUTDIR (the App reads it); run directly, write ./cdk.out like `cdk synth`.
  const { app } = buildExampleApp(process.env['CDK_OUTDIR'] === undefined ? { outdir: 'cdk.out' } : {});
  const assembly = app.synth();
  console.log(`synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} into ${assembly.directory}`);
}
