/**
 * One Prometheus server: a single EC2 instance in one subnet (so one availability zone) with a
 * persistent EBS volume, running Prometheus, ecs-sd, Alertmanager and Grafana in one ECS task.
 */
import { createHash } from 'node:crypto';
import { Duration, Names, RemovalPolicy, Size, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ASSUME_ROLE_IAM_ACTIONS, DISCOVERY_IAM_ACTIONS, EVENT_MODE_IAM_ACTIONS } from 'ecs-sd/iam';
import { IMAGES } from '../versions.ts';
import {
  ALERTMANAGER_CLUSTER_PORT,
  type DiscoverySource,
  eventClusters,
  REPLICA_LABEL,
  type RemoteWriteTarget,
  renderAlertmanagerConfig,
  renderEcsSdConfig,
  renderGrafanaProvisioning,
  renderPrometheusConfig,
  sourceProblems,
  TASK_PATHS,
  TASK_PORTS,
  toYaml,
} from './config.ts';
import { MONITORING_EXCLUDES, readYamlMapping, resolveMonitoringDirectory } from './monitoring-content.ts';
import { DATA_VOLUME_ATTRIBUTE, renderDataVolumeScript } from './user-data.ts';

/** Tag on the data volume and the instance; ec2:AttachVolume is allowed only where both carry it. */
export const DATA_VOLUME_TAG_KEY = 'ecs-sd:data-volume';

/** Device name requested when attaching the data volume (Nitro instances show it as NVMe instead). */
export const DATA_VOLUME_DEVICE = '/dev/xvdf';

/** Mount point of the data volume on the instance. */
export const DATA_MOUNT_POINT = '/data';

/** uid:gid the containers write as: prom images run as nobody, Grafana as 472, the ecs-sd image as distroless nonroot. */
const OWNERS = {
  prometheus: '65534:65534',
  alertmanager: '65534:65534',
  grafana: '472:0',
  ecsSd: '65532:65532',
};

/** `ecs-sd healthcheck` in the ecs-sd image (distroless, packages/ecs-sd/Dockerfile): no shell, no wget, node off the PATH. */
const ECS_SD_HEALTHCHECK = ['/nodejs/bin/node', '/app/dist/cli.js', 'healthcheck'];

/** Props of PrometheusServer. */
export interface PrometheusServerProps {
  /** The ECS cluster the server's capacity provider is added to. */
  readonly cluster: ecs.Cluster;
  /** The VPC of the cluster. */
  readonly vpc: ec2.IVpc;
  /** The subnet (and so the availability zone) of the instance, its task and its data volume; needs egress to AWS APIs and image registries. */
  readonly subnet: ec2.ISubnet;
  /** Cloud Map namespace the task is registered in (A record `<name>.<namespace>`). */
  readonly cloudMapNamespace: servicediscovery.INamespace;
  /** Name of the server: Cloud Map service name and the `prometheus_replica` external label. @default - the construct id, lowercased */
  readonly name?: string;
  /** Accounts and Regions ecs-sd reads. @default - one source: this stack's account and Region, every cluster */
  readonly sources?: readonly DiscoverySource[];
  /** ecs-sd's refresh interval (Prometheus duration). @default '60s' */
  readonly refreshInterval?: string;
  /** Event mode: an EventBridge rule sends `aws.ecs` task and container instance state changes to an SQS queue ecs-sd reads. @default false */
  readonly eventMode?: boolean;
  /** remote_write endpoints. @default - none */
  readonly remoteWrite?: readonly RemoteWriteTarget[];
  /** ARNs of Amazon Managed Service for Prometheus workspaces the task role may write to (aps:RemoteWrite). @default - none */
  readonly remoteWriteWorkspaceArns?: readonly string[];
  /** TSDB retention by time (`--storage.tsdb.retention.time`). @default '15d' */
  readonly retention?: string;
  /** TSDB retention by size (`--storage.tsdb.retention.size`), e.g. '40GB'; keep it below the volume size. @default - none */
  readonly retentionSize?: string;
  /** Extra external labels (e.g. region, environment). @default - only `prometheus_replica` */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Instance type of the single container instance. @default t3.medium */
  readonly instanceType?: ec2.InstanceType;
  /** Size of the persistent data volume (Prometheus, Alertmanager and Grafana data). @default 50 GiB */
  readonly dataVolumeSize?: Size;
  /** What happens to the data volume when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly dataVolumeRemovalPolicy?: RemovalPolicy;
  /** Memory reserved for Prometheus, in MiB (soft limit; it may use more when the instance has it). @default 2048 */
  readonly prometheusMemoryMiB?: number;
  /** The monitoring content folder. @default the repository's monitoring/ folder */
  readonly monitoringDirectory?: string;
  /** Base Prometheus config inside monitoringDirectory; its scrape jobs are kept, alerting, rule_files and remote_write are set by the construct. When missing, built-in jobs are used. @default 'prometheus/prometheus.yml' */
  readonly prometheusConfigPath?: string;
  /** Folder of rule files (`*.yml`, `*.yaml`) inside monitoringDirectory. @default 'rules' */
  readonly rulesPath?: string;
  /** Folder of Grafana dashboard JSON files inside monitoringDirectory. @default 'grafana/dashboards' */
  readonly grafanaDashboardsPath?: string;
  /** Alertmanager config inside monitoringDirectory, used instead of the generated SNS receiver. @default - generated: every alert to the SNS topic */
  readonly alertmanagerConfigPath?: string;
  /** Cloud Map names of the other servers of an HA pair (e.g. ['prometheus-b']): their Alertmanagers gossip on 9094 as one cluster, so an alert is notified once, and Prometheus sends alerts to all of them. Call `allowPeer` on both servers to open the ports. @default - none: a lone Alertmanager */
  readonly alertmanagerPeers?: readonly string[];
  /** SNS topic Alertmanager publishes to. @default - a new topic encrypted with the AWS managed key */
  readonly alertTopic?: sns.ITopic;
  /** Peers allowed to reach Prometheus (9090), Alertmanager (9093) and Grafana (3000), e.g. a VPN CIDR. @default - none */
  readonly allowFrom?: readonly ec2.IPeer[];
  /** Let AWS Systems Manager Session Manager reach the instance (AmazonSSMManagedInstanceCore) and the instance forward ports to the task's UIs: `aws ssm start-session` port forwarding, no VPN or bastion. @default false */
  readonly sessionManagerAccess?: boolean;
  /** Name of the task role, so a monitored account's DiscoveryRole can trust it before it exists. @default - generated by CloudFormation */
  readonly taskRoleName?: string;
  /** ecs-sd image; `ecs.ContainerImage.fromEcrRepository` also grants the pull. @default ContainerImage.fromRegistry(IMAGES.ecsSd) */
  readonly ecsSdImage?: ecs.ContainerImage;
  /** AMI of the instance; it must be an ECS-optimized Amazon Linux 2023 image (dnf, xfs, the ECS agent). @default EcsOptimizedImage.amazonLinux2023() (x86_64) */
  readonly machineImage?: ec2.IMachineImage;
  /** Retention of the containers' CloudWatch logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/** A Prometheus server for one availability zone; deploy two with different subnets for an HA pair. */
export class PrometheusServer extends Construct {
  /** Security group of the task ENI: the source of every scrape; open scrape ports to it. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Role of the task (discovery, config download, alert publishing, remote_write). */
  readonly taskRole: iam.Role;
  /** Role of the container instance (ECS agent, attaching the data volume). */
  readonly instanceRole: iam.Role;
  /** The persistent data volume. */
  readonly dataVolume: ec2.Volume;
  /** The ECS service: one task, registered in Cloud Map. */
  readonly service: ecs.Ec2Service;
  /** The task definition (awsvpc): config-loader, ecs-sd, Prometheus, Alertmanager, Grafana. */
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  /** The auto-scaling group of exactly one instance. */
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The capacity provider the service runs on, only this server's instance. */
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** The SNS topic alerts go to (undefined when alertmanagerConfigPath is used). */
  readonly alertTopic?: sns.ITopic;
  /** The event mode queue (undefined without event mode). */
  readonly eventsQueue?: sqs.Queue;
  /** Secret holding Grafana's admin password (user `admin`). */
  readonly grafanaAdminSecret: secretsmanager.Secret;
  /** Bucket holding the monitoring content the init container copies into the task. */
  readonly configBucket: s3.Bucket;
  /** Value of the `ecs-sd:data-volume` tag on this server's volume and instance. */
  readonly dataVolumeTag: string;

  constructor(scope: Construct, id: string, props: PrometheusServerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = props.name ?? id.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const tagValue = Names.uniqueId(this);
    this.dataVolumeTag = tagValue;
    const sources = props.sources ?? [{ name: 'local', region: stack.region }];
    const problems = sourceProblems(name, sources);
    if (problems.length > 0) throw new Error(`invalid PrometheusServer props:\n${problems.join('\n')}`);
    const peers = (props.alertmanagerPeers ?? []).map(
      (peer) => `${peer}.${props.cloudMapNamespace.namespaceName}`,
    );

    // --- network
    this.securityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: props.vpc,
      description: `Prometheus server ${name}: scrapes and AWS API calls leave from here`,
      allowAllOutbound: true,
    });
    for (const peer of props.allowFrom ?? []) {
      for (const port of [TASK_PORTS.prometheus, TASK_PORTS.alertmanager, TASK_PORTS.grafana]) {
        this.securityGroup.addIngressRule(peer, ec2.Port.tcp(port), `Prometheus server ${name} UI/API`);
      }
    }
    const instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: `Prometheus server ${name} container instance: no inbound`,
      allowAllOutbound: true,
    });
    if (props.sessionManagerAccess === true) {
      for (const port of [TASK_PORTS.prometheus, TASK_PORTS.alertmanager, TASK_PORTS.grafana]) {
        this.securityGroup.addIngressRule(
          instanceSecurityGroup,
          ec2.Port.tcp(port),
          'Session Manager port forwarding',
        );
      }
    }

    // --- data volume, attached by tag from user data
    this.dataVolume = new ec2.Volume(this, 'DataVolume', {
      availabilityZone: props.subnet.availabilityZone,
      size: props.dataVolumeSize ?? Size.gibibytes(50),
      volumeType: ec2.EbsDeviceVolumeType.GP3,
      encrypted: true,
      removalPolicy: props.dataVolumeRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    Tags.of(this.dataVolume).add(DATA_VOLUME_TAG_KEY, tagValue);

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Prometheus server ${name} container instance`,
    });
    if (props.sessionManagerAccess === true) {
      this.instanceRole.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
      );
      Validations.of(this.instanceRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
        reason:
          'opt-in (sessionManagerAccess): the policy AWS maintains for the SSM agent, so operators reach Grafana by port forwarding instead of opening the security group',
      });
    }
    this.instanceRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FindDataVolume',
        actions: ['ec2:DescribeVolumes'],
        resources: ['*'],
      }),
    );
    this.instanceRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AttachDataVolume',
        actions: ['ec2:AttachVolume'],
        resources: [
          stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' }),
          stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' }),
        ],
        conditions: { StringEquals: { [`aws:ResourceTag/${DATA_VOLUME_TAG_KEY}`]: tagValue } },
      }),
    );

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      ...renderDataVolumeScript({
        tagKey: DATA_VOLUME_TAG_KEY,
        tagValue,
        deviceName: DATA_VOLUME_DEVICE,
        mountPoint: DATA_MOUNT_POINT,
        directories: [
          { path: 'prometheus', owner: OWNERS.prometheus },
          { path: 'alertmanager', owner: OWNERS.alertmanager },
          { path: 'grafana', owner: OWNERS.grafana },
        ],
        attachTimeoutSeconds: 900,
      }),
      // awsvpc tasks get credentials from their task role only, never the instance role through IMDS.
      "echo 'ECS_AWSVPC_BLOCK_IMDS=true' >> /etc/ecs/ecs.config",
    );

    // --- capacity: launch template (IMDSv2 only) + auto-scaling group of one + capacity provider
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: props.machineImage ?? ecs.EcsOptimizedImage.amazonLinux2023(),
      instanceType: props.instanceType ?? new ec2.InstanceType('t3.medium'),
      userData,
      role: this.instanceRole,
      securityGroup: instanceSecurityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }),
        },
      ],
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [props.subnet] },
      launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ maxBatchSize: 1, minInstancesInService: 0 }),
    });
    Tags.of(this.autoScalingGroup).add(DATA_VOLUME_TAG_KEY, tagValue, { applyToLaunchedInstances: true });
    this.capacityProvider = new ecs.AsgCapacityProvider(this, 'CapacityProvider', {
      autoScalingGroup: this.autoScalingGroup,
      enableManagedScaling: false,
      enableManagedTerminationProtection: false,
      // ECS drains the task before the instance terminates, without a drain-hook Lambda.
      enableManagedDraining: true,
      machineImageType: ecs.MachineImageType.AMAZON_LINUX_2,
    });
    props.cluster.addAsgCapacityProvider(this.capacityProvider);
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions-AS3',
      reason:
        'a group of exactly one instance whose replacement ECS reports as a service event; scaling notifications would add a topic nobody reads',
    });
    const env = nagEnvironment(stack);
    for (const finding of [
      'Resource::*',
      'Action::ecs:Submit*',
      `Resource::arn:${env.partition}:ec2:${env.region}:${env.account}:volume/*`,
      `Resource::arn:${env.partition}:ec2:${env.region}:${env.account}:instance/*`,
    ]) {
      Validations.of(this.instanceRole).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          "ec2:DescribeVolumes and the ECS agent actions CDK grants (ecs:Submit*, ecr:GetAuthorizationToken) support no resource-level permissions; ec2:AttachVolume is limited by a tag condition to this server's own volume and instance",
      });
    }

    // --- alerting
    if (props.alertmanagerConfigPath === undefined) {
      this.alertTopic =
        props.alertTopic ??
        new sns.Topic(this, 'AlertTopic', {
          displayName: `Prometheus alerts (${name})`,
          enforceSSL: true,
          masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
        });
    }

    // --- event mode
    if (props.eventMode === true) {
      this.eventsQueue = new sqs.Queue(this, 'EventsQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.hours(1),
        visibilityTimeout: Duration.seconds(30),
      });
      Validations.of(this.eventsQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'ECS events are hints between full refreshes: a lost or unprocessable event is repaired by the next refresh, so a dead-letter queue would only collect stale events',
      });
      const clusters = eventClusters(sources);
      new events.Rule(this, 'EcsEventsRule', {
        description: `ECS task and container instance state changes for ecs-sd (${name})`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: ['ECS Task State Change', 'ECS Container Instance State Change'],
          // Only the clusters ecs-sd reads, when the sources name them: fewer messages to receive and pay for.
          ...(clusters === undefined
            ? {}
            : {
                detail: {
                  clusterArn: clusters.map((cluster) =>
                    cluster.startsWith('arn:')
                      ? cluster
                      : stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: cluster }),
                  ),
                },
              }),
        },
        targets: [new eventsTargets.SqsQueue(this.eventsQueue)],
      });
    }

    // --- task role: discovery exactly as ecs-sd declares it, nothing borrowed from managed policies
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      ...(props.taskRoleName === undefined ? {} : { roleName: props.taskRoleName }),
      description: `Prometheus server ${name} task: ecs-sd discovery, config download, alerts`,
    });
    const discoveryStatements = [
      new iam.PolicyStatement({ sid: 'Discovery', actions: [...DISCOVERY_IAM_ACTIONS], resources: ['*'] }),
    ];
    const roleArns = sources.flatMap((source) => (source.roleArn === undefined ? [] : [source.roleArn]));
    if (roleArns.length > 0) {
      discoveryStatements.push(
        new iam.PolicyStatement({
          sid: 'CrossAccount',
          actions: [...ASSUME_ROLE_IAM_ACTIONS],
          resources: roleArns,
        }),
      );
    }
    if (this.eventsQueue !== undefined) {
      discoveryStatements.push(
        new iam.PolicyStatement({
          sid: 'EventMode',
          actions: [...EVENT_MODE_IAM_ACTIONS],
          resources: [this.eventsQueue.queueArn],
        }),
      );
    }
    const discoveryPolicy = new iam.Policy(this, 'DiscoveryPolicy', { statements: discoveryStatements });
    discoveryPolicy.attachToRole(this.taskRole);
    Validations.of(discoveryPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecs-sd reads every cluster it is pointed at: ListClusters, DescribeInstances and DescribeInstanceInformation support no resource-level permissions, and the actions are exactly the read-only list ecs-sd declares',
    });
    if (this.alertTopic !== undefined) {
      this.taskRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'Alerts',
          actions: ['sns:Publish'],
          resources: [this.alertTopic.topicArn],
        }),
      );
    }
    if ((props.remoteWriteWorkspaceArns ?? []).length > 0) {
      this.taskRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'RemoteWrite',
          actions: ['aps:RemoteWrite'],
          resources: [...(props.remoteWriteWorkspaceArns ?? [])],
        }),
      );
    }

    // --- monitoring content: monitoring/ + generated files, copied to S3, pulled by an init container
    const monitoringDirectory = resolveMonitoringDirectory(props.monitoringDirectory);
    const rulesPath = props.rulesPath ?? 'rules';
    const dashboardsPath = props.grafanaDashboardsPath ?? 'grafana/dashboards';
    const generated = this.generatedFiles({
      name,
      peers,
      sources,
      props,
      base: readYamlMapping(monitoringDirectory, props.prometheusConfigPath ?? 'prometheus/prometheus.yml'),
      rulesPath,
      dashboardsPath,
    });
    this.configBucket = new s3.Bucket(this, 'ConfigBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.configBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'the bucket only holds configuration written by this stack and read by this task role; access logs would need a second bucket for no audit value',
    });
    const content = new s3assets.Asset(this, 'MonitoringContent', {
      path: monitoringDirectory,
      exclude: [...MONITORING_EXCLUDES],
    });
    const keyPrefix = 'monitoring/';
    const deployment = new s3deploy.BucketDeployment(this, 'ConfigDeployment', {
      destinationBucket: this.configBucket,
      destinationKeyPrefix: keyPrefix,
      sources: [
        s3deploy.Source.bucket(content.bucket, content.s3ObjectKey),
        ...Object.entries(generated).map(([key, body]) => s3deploy.Source.data(`generated/${key}`, body)),
      ],
      prune: true,
      retainOnDelete: false,
    });
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadConfig',
        actions: ['s3:GetObject'],
        resources: [this.configBucket.arnForObjects(`${keyPrefix}*`)],
      }),
    );
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListConfig',
        actions: ['s3:ListBucket'],
        resources: [this.configBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${keyPrefix}*`] } },
      }),
    );
    Validations.of(this.taskRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.configBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${keyPrefix}*]`,
      reason: "the init container syncs every object under the config prefix of this server's own bucket",
    });
    acknowledgeBucketDeploymentHandler(stack, deployment, this.configBucket);
    // A new hash means a new task definition revision, so ECS replaces the task and the init container re-reads S3.
    const configVersion = createHash('sha256')
      .update(content.assetHash)
      .update(JSON.stringify(stack.resolve(generated)))
      .digest('hex')
      .slice(0, 16);

    // --- task
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logging = (prefix: string) => ecs.LogDrivers.awsLogs({ streamPrefix: prefix, logGroup });
    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.AWS_VPC,
      taskRole: this.taskRole,
      placementConstraints: [
        ecs.PlacementConstraint.memberOf(`attribute:${DATA_VOLUME_ATTRIBUTE} == mounted`),
      ],
    });
    const volumes = {
      prometheusData: 'prometheus-data',
      alertmanagerData: 'alertmanager-data',
      grafanaData: 'grafana-data',
      config: 'monitoring-config',
      fileSd: 'ecs-sd-output',
    } as const;
    this.taskDefinition.addVolume({
      name: volumes.prometheusData,
      host: { sourcePath: `${DATA_MOUNT_POINT}/prometheus` },
    });
    this.taskDefinition.addVolume({
      name: volumes.alertmanagerData,
      host: { sourcePath: `${DATA_MOUNT_POINT}/alertmanager` },
    });
    this.taskDefinition.addVolume({
      name: volumes.grafanaData,
      host: { sourcePath: `${DATA_MOUNT_POINT}/grafana` },
    });
    // Task-scoped volumes (no host path): created empty for each task and shared by its containers.
    this.taskDefinition.addVolume({ name: volumes.config });
    this.taskDefinition.addVolume({ name: volumes.fileSd });

    const configLoader = this.taskDefinition.addContainer('config-loader', {
      image: ecs.ContainerImage.fromRegistry(IMAGES.awsCli),
      essential: false,
      memoryReservationMiB: 128,
      entryPoint: ['/bin/sh', '-c'],
      command: [
        [
          'set -eu',
          `aws s3 sync "s3://$CONFIG_BUCKET/${keyPrefix}" ${TASK_PATHS.configRoot}/ --delete --only-show-errors`,
          `chown ${OWNERS.ecsSd} ${TASK_PATHS.fileSdDirectory}`,
        ].join('; '),
      ],
      environment: { CONFIG_BUCKET: this.configBucket.bucketName, CONFIG_VERSION: configVersion },
      logging: logging('config-loader'),
    });
    configLoader.addMountPoints(
      { sourceVolume: volumes.config, containerPath: TASK_PATHS.configRoot, readOnly: false },
      { sourceVolume: volumes.fileSd, containerPath: TASK_PATHS.fileSdDirectory, readOnly: false },
    );
    const afterConfig = { container: configLoader, condition: ecs.ContainerDependencyCondition.SUCCESS };
    const wget = (port: number, path: string): ecs.HealthCheck => ({
      command: ['CMD-SHELL', `wget -q --spider http://127.0.0.1:${port}${path} || exit 1`],
      interval: Duration.seconds(30),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(60),
    });

    const ecsSdFlags = [
      '--config.file',
      `${TASK_PATHS.generated}/ecs-sd.yaml`,
      '--web.listen-address',
      `127.0.0.1:${TASK_PORTS.ecsSd}`,
      '--output.directory',
      TASK_PATHS.fileSdDirectory,
    ];
    const ecsSd = this.taskDefinition.addContainer('ecs-sd', {
      image: props.ecsSdImage ?? ecs.ContainerImage.fromRegistry(IMAGES.ecsSd),
      essential: true,
      memoryReservationMiB: 256,
      user: OWNERS.ecsSd,
      command: ecsSdFlags,
      healthCheck: {
        // `ecs-sd healthcheck` with the container's own flags probes what the daemon serves (TLS and basic auth too).
        command: ['CMD', ...ECS_SD_HEALTHCHECK, ...ecsSdFlags],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      logging: logging('ecs-sd'),
    });
    ecsSd.addMountPoints(
      { sourceVolume: volumes.config, containerPath: TASK_PATHS.configRoot, readOnly: true },
      { sourceVolume: volumes.fileSd, containerPath: TASK_PATHS.fileSdDirectory, readOnly: false },
    );
    ecsSd.addContainerDependencies(afterConfig);

    const prometheus = this.taskDefinition.addContainer('prometheus', {
      image: ecs.ContainerImage.fromRegistry(IMAGES.prometheus),
      essential: true,
      memoryReservationMiB: props.prometheusMemoryMiB ?? 2048,
      command: [
        `--config.file=${TASK_PATHS.generated}/prometheus.yml`,
        `--storage.tsdb.path=${TASK_PATHS.prometheusData}`,
        `--storage.tsdb.retention.time=${props.retention ?? '15d'}`,
        ...(props.retentionSize === undefined
          ? []
          : [`--storage.tsdb.retention.size=${props.retentionSize}`]),
        `--web.listen-address=0.0.0.0:${TASK_PORTS.prometheus}`,
      ],
      portMappings: [{ containerPort: TASK_PORTS.prometheus, name: 'prometheus' }],
      healthCheck: wget(TASK_PORTS.prometheus, '/-/healthy'),
      logging: logging('prometheus'),
    });
    prometheus.addMountPoints(
      { sourceVolume: volumes.prometheusData, containerPath: TASK_PATHS.prometheusData, readOnly: false },
      { sourceVolume: volumes.config, containerPath: TASK_PATHS.configRoot, readOnly: true },
      { sourceVolume: volumes.fileSd, containerPath: TASK_PATHS.fileSdDirectory, readOnly: true },
    );
    prometheus.addContainerDependencies(afterConfig, {
      container: ecsSd,
      condition: ecs.ContainerDependencyCondition.START,
    });

    const alertmanagerConfig =
      props.alertmanagerConfigPath === undefined
        ? `${TASK_PATHS.generated}/alertmanager.yml`
        : `${TASK_PATHS.configRoot}/${props.alertmanagerConfigPath}`;
    const alertmanager = this.taskDefinition.addContainer('alertmanager', {
      image: ecs.ContainerImage.fromRegistry(IMAGES.alertmanager),
      essential: true,
      memoryReservationMiB: 128,
      command: [
        `--config.file=${alertmanagerConfig}`,
        `--storage.path=${TASK_PATHS.alertmanagerData}`,
        `--web.listen-address=0.0.0.0:${TASK_PORTS.alertmanager}`,
        ...(peers.length === 0
          ? ['--cluster.listen-address=']
          : [
              `--cluster.listen-address=0.0.0.0:${ALERTMANAGER_CLUSTER_PORT}`,
              ...peers.map((peer) => `--cluster.peer=${peer}:${ALERTMANAGER_CLUSTER_PORT}`),
            ]),
      ],
      portMappings: [{ containerPort: TASK_PORTS.alertmanager, name: 'alertmanager' }],
      healthCheck: wget(TASK_PORTS.alertmanager, '/-/healthy'),
      logging: logging('alertmanager'),
    });
    alertmanager.addMountPoints(
      { sourceVolume: volumes.alertmanagerData, containerPath: TASK_PATHS.alertmanagerData, readOnly: false },
      { sourceVolume: volumes.config, containerPath: TASK_PATHS.configRoot, readOnly: true },
    );
    alertmanager.addContainerDependencies(afterConfig);

    this.grafanaAdminSecret = new secretsmanager.Secret(this, 'GrafanaAdminPassword', {
      description: `Grafana admin password of Prometheus server ${name} (user admin)`,
      generateSecretString: { excludePunctuation: true, passwordLength: 32 },
    });
    Validations.of(this.grafanaAdminSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Grafana reads GF_SECURITY_ADMIN_PASSWORD only when it creates its database; a rotated secret would no longer match the stored password',
    });
    const grafana = this.taskDefinition.addContainer('grafana', {
      image: ecs.ContainerImage.fromRegistry(IMAGES.grafana),
      essential: true,
      memoryReservationMiB: 256,
      environment: {
        GF_PATHS_PROVISIONING: `${TASK_PATHS.generated}/grafana/provisioning`,
        GF_PATHS_DATA: TASK_PATHS.grafanaData,
        GF_SECURITY_ADMIN_USER: 'admin',
        GF_USERS_ALLOW_SIGN_UP: 'false',
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
      },
      secrets: { GF_SECURITY_ADMIN_PASSWORD: ecs.Secret.fromSecretsManager(this.grafanaAdminSecret) },
      portMappings: [{ containerPort: TASK_PORTS.grafana, name: 'grafana' }],
      healthCheck: wget(TASK_PORTS.grafana, '/api/health'),
      logging: logging('grafana'),
    });
    grafana.addMountPoints(
      { sourceVolume: volumes.grafanaData, containerPath: TASK_PATHS.grafanaData, readOnly: false },
      { sourceVolume: volumes.config, containerPath: TASK_PATHS.configRoot, readOnly: true },
    );
    grafana.addContainerDependencies(afterConfig);
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'the environment holds only non-secret settings (bucket name, config hash, Grafana paths); the Grafana admin password comes from Secrets Manager',
    });

    // --- service: one task on this server's own capacity, registered in Cloud Map
    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      // One instance and one TSDB directory: stop the old task before starting the new one.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnets: [props.subnet] },
      capacityProviderStrategies: [
        { capacityProvider: this.capacityProvider.capacityProviderName, weight: 1 },
      ],
      circuitBreaker: { rollback: true },
      cloudMapOptions: {
        cloudMapNamespace: props.cloudMapNamespace,
        name,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
    });
    // Created after its config is in S3, its role can discover, and the capacity provider is associated with the cluster.
    this.service.node.addDependency(deployment, discoveryPolicy, props.cluster);
  }

  /** Lets the other server of an HA pair reach this one's Alertmanager API (9093) and gossip (9094 TCP and UDP). */
  allowPeer(other: PrometheusServer): void {
    const description = 'Alertmanager of the HA peer';
    this.securityGroup.addIngressRule(
      other.securityGroup,
      ec2.Port.tcp(TASK_PORTS.alertmanager),
      description,
    );
    this.securityGroup.addIngressRule(
      other.securityGroup,
      ec2.Port.tcp(ALERTMANAGER_CLUSTER_PORT),
      description,
    );
    this.securityGroup.addIngressRule(
      other.securityGroup,
      ec2.Port.udp(ALERTMANAGER_CLUSTER_PORT),
      description,
    );
  }

  /** The generated config files, keyed by their path under `generated/`. */
  private generatedFiles(input: {
    name: string;
    peers: readonly string[];
    sources: readonly DiscoverySource[];
    props: PrometheusServerProps;
    base: Record<string, unknown> | undefined;
    rulesPath: string;
    dashboardsPath: string;
  }): Record<string, string> {
    const { props } = input;
    const stack = Stack.of(this);
    const grafana = renderGrafanaProvisioning(`${TASK_PATHS.configRoot}/${input.dashboardsPath}`);
    const files: Record<string, string> = {
      'ecs-sd.yaml': toYaml(
        renderEcsSdConfig({
          sources: input.sources,
          refreshInterval: props.refreshInterval ?? '60s',
          ...(this.eventsQueue === undefined ? {} : { eventsQueueUrl: this.eventsQueue.queueUrl }),
        }),
      ),
      'prometheus.yml': toYaml(
        renderPrometheusConfig({
          ...(input.base === undefined ? {} : { base: input.base }),
          ruleFiles: [
            `${TASK_PATHS.configRoot}/${input.rulesPath}/*.yml`,
            `${TASK_PATHS.configRoot}/${input.rulesPath}/*.yaml`,
          ],
          alertmanagers: [
            `127.0.0.1:${TASK_PORTS.alertmanager}`,
            ...input.peers.map((peer) => `${peer}:${TASK_PORTS.alertmanager}`),
          ],
          remoteWrite: props.remoteWrite ?? [],
          externalLabels: { ...props.externalLabels, [REPLICA_LABEL]: input.name },
        }),
      ),
      'grafana/provisioning/datasources/prometheus.yml': toYaml(grafana.datasources),
      'grafana/provisioning/dashboards/ecs-sd.yml': toYaml(grafana.dashboards),
    };
    if (this.alertTopic !== undefined) {
      files['alertmanager.yml'] = toYaml(
        renderAlertmanagerConfig({ topicArn: this.alertTopic.topicArn, region: stack.region }),
      );
    }
    return files;
  }
}

/** cdk-nag findings on the stack-wide singleton Lambda that aws-cdk-lib's BucketDeployment creates. */
export function acknowledgeBucketDeploymentHandler(
  stack: Stack,
  deployment: s3deploy.BucketDeployment,
  bucket: s3.Bucket,
): void {
  Validations.of(deployment.handlerRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "aws-cdk-lib's BucketDeployment handler; the managed policy only lets it write its own logs",
  });
  const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  const env = nagEnvironment(stack);
  for (const finding of [
    'Action::s3:GetObject*',
    'Action::s3:GetBucket*',
    'Action::s3:List*',
    'Action::s3:DeleteObject*',
    'Action::s3:Abort*',
    // The default synthesizer's asset bucket (qualifier hnb659fds).
    `Resource::arn:${env.partition}:s3:::cdk-hnb659fds-assets-${env.account}-${env.region}/*`,
    `Resource::<${bucketId}.Arn>/*`,
  ]) {
    Validations.of(deployment.handlerRole).acknowledge({
      id: `AwsSolutions-IAM5[${finding}]`,
      reason:
        "aws-cdk-lib's BucketDeployment syncs a whole asset into the config bucket (copy, overwrite, prune): object wildcards on exactly those two buckets are what a sync needs",
    });
  }
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
      Validations.of(child).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "the handler's runtime is chosen by aws-cdk-lib's BucketDeployment and moves with its version",
      });
    }
  }
}

/** Partition, Region and account as cdk-nag prints them in finding ids: the value, or `<AWS::…>` when a token. */
export function nagEnvironment(stack: Stack): { partition: string; region: string; account: string } {
  const show = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  return {
    partition: show(stack.partition, 'Partition'),
    region: show(stack.region, 'Region'),
    account: show(stack.account, 'AccountId'),
  };
}
