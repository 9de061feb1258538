/**
 * The scale-out topology, complete: a VPC, a monitoring cluster on Fargate with ecs-sd (two replicas,
 * event mode) serving a pool of three Prometheus agents that write to a new Amazon Managed Service for
 * Prometheus workspace (which evaluates monitoring/rules), Grafana on that workspace, and an
 * application cluster whose instances run node-exporter and cAdvisor for the agents to scrape.
 * `npm run synth:scale-out -w @ecs-sd/cdk` writes the cloud assembly to packages/cdk/cdk.out (offline).
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
import { CadvisorDaemon, NodeExporterDaemon, ScaleOutMonitoring } from '../src/index.ts';

/** Props of the scale-out example stack. */
export interface ScaleOutExampleStackProps extends StackProps {
  /** Monitoring content folder. @default the repository's monitoring/ folder */
  readonly monitoringDirectory?: string;
}

/** The whole scale-out example in one stack. */
export class ScaleOutExampleStack extends Stack {
  readonly scaleOut: ScaleOutMonitoring;

  constructor(scope: Construct, id: string, props: ScaleOutExampleStackProps = {}) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.43.0.0/16'),
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      flowLogs: { rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });

    // --- monitoring: ecs-sd, the agents and Grafana on Fargate; ecs-sd reads this cluster for the pool
    const monitoring = new ecs.Cluster(this, 'MonitoringCluster', { vpc });
    acknowledgeNoContainerInsights(monitoring);
    const namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: 'monitoring.internal',
      vpc,
    });
    this.scaleOut = new ScaleOutMonitoring(this, 'ScaleOut', {
      cluster: monitoring,
      vpc,
      cloudMapNamespace: namespace,
      // A new AMP workspace: the agents write to it with SigV4, it evaluates monitoring/rules.
      store: { kind: 'amp' },
      // Each ecs-sd replica reads ECS events from its own queue: a stopped agent's targets move within seconds.
      eventMode: true,
      scrapers: 3,
      ...(props.monitoringDirectory === undefined ? {} : { monitoringDirectory: props.monitoringDirectory }),
    });
    new CfnOutput(this, 'HttpSdUrl', { value: this.scaleOut.httpSdUrl });
    new CfnOutput(this, 'AmpWorkspaceArn', { value: this.scaleOut.amp?.workspace.workspaceArn ?? 'none' });
    new CfnOutput(this, 'AlertTopic', { value: this.scaleOut.amp?.alertTopic?.topicArn ?? 'none' });
    new CfnOutput(this, 'GrafanaSecret', { value: this.scaleOut.grafana?.adminSecret.secretArn ?? 'none' });

    // --- an application cluster: its instances get node-exporter and cAdvisor, scraped by the agents
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
    const appsGroup = new autoscaling.AutoScalingGroup(this, 'AppsAutoScalingGroup', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: new ec2.LaunchTemplate(this, 'AppsLaunchTemplate', {
        machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
        instanceType: new ec2.InstanceType('t3.small'),
        userData: ec2.UserData.forLinux(),
        role: hostRole,
        securityGroup: hostSecurityGroup,
        requireImdsv2: true,
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            volume: ec2.BlockDeviceVolume.ebs(30, {
              volumeType: ec2.EbsDeviceVolumeType.GP3,
              encrypted: true,
            }),
          },
        ],
      }),
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
      prometheusSecurityGroups: [this.scaleOut.scraperSecurityGroup],
      hostSecurityGroups: [hostSecurityGroup],
    };
    new NodeExporterDaemon(this, 'NodeExporter', { cluster: apps, ...scrapeAccess });
    new CadvisorDaemon(this, 'Cadvisor', { cluster: apps, ...scrapeAccess });
  }
}

function acknowledgeNoContainerInsights(cluster: ecs.Cluster): void {
  Validations.of(cluster).acknowledge({
    id: 'AwsSolutions-ECS4',
    reason:
      'container metrics come from cAdvisor into Prometheus; CloudWatch Container Insights would bill the same metrics a second time',
  });
}

/** Options of buildScaleOutExampleApp. */
export interface ScaleOutExampleAppOptions {
  /** Cloud assembly directory. @default 'cdk.out' in the working directory */
  readonly outdir?: string;
  readonly monitoringDirectory?: string;
  /** Account and Region. @default - environment-agnostic */
  readonly env?: Environment;
}

/** The example app with cdk-nag's AWS Solutions checks registered; synthesis fails on an unacknowledged finding. */
export function buildScaleOutExampleApp(options: ScaleOutExampleAppOptions = {}): {
  app: App;
  stack: ScaleOutExampleStack;
} {
  const app = new App(options.outdir === undefined ? {} : { outdir: options.outdir });
  const stack = new ScaleOutExampleStack(app, 'EcsSdScaleOutExample', {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.monitoringDirectory === undefined
      ? {}
      : { monitoringDirectory: options.monitoringDirectory }),
  });
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
  return { app, stack };
}

// Run as a script (`node examples/scale-out.ts`, or the aws-cdk CLI's `--app`), not when imported by the tests.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { app } = buildScaleOutExampleApp(
    process.env['CDK_OUTDIR'] === undefined ? { outdir: 'cdk.out' } : {},
  );
  const assembly = app.synth();
  console.log(`synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} into ${assembly.directory}`);
}
