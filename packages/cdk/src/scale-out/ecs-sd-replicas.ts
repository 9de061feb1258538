/**
 * ecs-sd in HA for the scale-out topology: N replicas behind one Cloud Map name, each an ECS service
 * of one Fargate task with its own config (its own event queue), sharing one task role that may do
 * exactly the discovery actions ecs-sd declares.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ASSUME_ROLE_IAM_ACTIONS, DISCOVERY_IAM_ACTIONS, EVENT_MODE_IAM_ACTIONS } from 'ecs-sd/iam';
import { type DiscoverySource, TASK_PATHS } from '../prometheus-server/config.ts';
import { IMAGES } from '../versions.ts';
import { COMPONENT_JOBS, SCALE_OUT_PORTS } from './config.ts';
import { ConfigDelivery } from './config-delivery.ts';

/** `ecs-sd healthcheck` in the ecs-sd image (distroless: no shell, no wget, node off the PATH). */
const ECS_SD_HEALTHCHECK = ['/nodejs/bin/node', '/app/dist/cli.js', 'healthcheck'];

/** Props of EcsSdReplicas. */
export interface EcsSdReplicasProps {
  readonly cluster: ecs.ICluster;
  readonly cloudMapNamespace: servicediscovery.INamespace;
  /** Cloud Map name of all replicas. */
  readonly name: string;
  /** Task definition family prefix; replica i is `<family>-<i>`. */
  readonly family: string;
  readonly replicas: number;
  readonly sources: readonly DiscoverySource[];
  /** Replica i's event queue at index i (empty without event mode). */
  readonly queues: readonly sqs.Queue[];
  readonly config: ConfigDelivery;
  /** Replica i's config file under `generated/`. */
  readonly configFile: (replica: number) => string;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly subnets: ec2.SubnetSelection;
  readonly logging: (prefix: string) => ecs.LogDriver;
  /** @default - generated */
  readonly taskRoleName?: string;
  /** @default ContainerImage.fromRegistry(IMAGES.ecsSd) */
  readonly image?: ecs.ContainerImage;
}

/** The replicas, their role and their Cloud Map service. */
export class EcsSdReplicas extends Construct {
  /** Role of every replica: discovery, AssumeRole on the sources' roles, the event queues, config reads. */
  readonly taskRole: iam.Role;
  /** The discovery policy (exactly DISCOVERY_IAM_ACTIONS, plus AssumeRole and the queues). */
  readonly discoveryPolicy: iam.Policy;
  /** One ECS service per replica. */
  readonly services: ecs.FargateService[];
  /** The Cloud Map service all replicas register in (`<name>.<namespace>`). */
  readonly cloudMapService: servicediscovery.Service;

  constructor(scope: Construct, id: string, props: EcsSdReplicasProps) {
    super(scope, id);
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      ...(props.taskRoleName === undefined ? {} : { roleName: props.taskRoleName }),
      description: 'ecs-sd replicas of the scale-out topology: discovery and config reads',
    });
    const statements = [
      new iam.PolicyStatement({ sid: 'Discovery', actions: [...DISCOVERY_IAM_ACTIONS], resources: ['*'] }),
    ];
    const roleArns = props.sources.flatMap((source) =>
      source.roleArn === undefined ? [] : [source.roleArn],
    );
    if (roleArns.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'CrossAccount',
          actions: [...ASSUME_ROLE_IAM_ACTIONS],
          resources: roleArns,
        }),
      );
    }
    if (props.queues.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'EventMode',
          actions: [...EVENT_MODE_IAM_ACTIONS],
          resources: props.queues.map((queue) => queue.queueArn),
        }),
      );
    }
    this.discoveryPolicy = new iam.Policy(this, 'DiscoveryPolicy', { statements });
    this.discoveryPolicy.attachToRole(this.taskRole);
    Validations.of(this.discoveryPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecs-sd reads every cluster it is pointed at: ListClusters, DescribeInstances and DescribeInstanceInformation support no resource-level permissions, and the actions are exactly the read-only list ecs-sd declares',
    });
    props.config.grantRead(this.taskRole);

    this.cloudMapService = new servicediscovery.Service(this, 'CloudMapService', {
      namespace: props.cloudMapNamespace,
      name: props.name,
      description: 'ecs-sd replicas: http_sd of the scraper pool',
      dnsRecordType: servicediscovery.DnsRecordType.A,
      dnsTtl: Duration.seconds(10),
      // ECS reports each task's health: a replica failing its health check leaves the DNS answer.
      customHealthCheck: { failureThreshold: 1 },
    });

    this.services = Array.from({ length: props.replicas }, (_, i) => {
      const task = new ecs.FargateTaskDefinition(this, `Replica${i}TaskDefinition`, {
        cpu: 256,
        memoryLimitMiB: 512,
        taskRole: this.taskRole,
        family: `${props.family}-${i}`,
      });
      const afterConfig = props.config.addLoader(task, {
        version: props.config.version([props.configFile(i)], false),
        logging: props.logging('config-loader'),
      });
      const flags = [
        '--config.file',
        `${TASK_PATHS.generated}/${props.configFile(i)}`,
        '--web.listen-address',
        `0.0.0.0:${SCALE_OUT_PORTS.ecsSd}`,
      ];
      const ecsSd = task.addContainer('ecs-sd', {
        image: props.image ?? ecs.ContainerImage.fromRegistry(IMAGES.ecsSd),
        essential: true,
        user: '65532:65532',
        command: flags,
        portMappings: [{ containerPort: SCALE_OUT_PORTS.ecsSd, name: 'ecs-sd' }],
        // Scraped through the pool like any target; the agent config keeps only job and instance.
        dockerLabels: {
          'ecs-sd.scrape': 'true',
          'ecs-sd.port': String(SCALE_OUT_PORTS.ecsSd),
          'ecs-sd.job': COMPONENT_JOBS.ecsSd,
        },
        readonlyRootFilesystem: true,
        healthCheck: {
          // `ecs-sd healthcheck` with the container's own flags probes what the daemon serves (TLS and basic auth too).
          command: ['CMD', ...ECS_SD_HEALTHCHECK, ...flags],
          interval: Duration.seconds(30),
          timeout: Duration.seconds(5),
          retries: 3,
          startPeriod: Duration.seconds(30),
        },
        logging: props.logging(`ecs-sd-${i}`),
      });
      ConfigDelivery.mount(ecsSd);
      ecsSd.addContainerDependencies(afterConfig);
      Validations.of(task).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason: 'the environment holds only non-secret settings (the config bucket name and hash)',
      });
      const service = new ecs.FargateService(this, `Replica${i}Service`, {
        cluster: props.cluster,
        taskDefinition: task,
        desiredCount: 1,
        // The new task answers before the old one stops; the other replica answers meanwhile too.
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        securityGroups: [props.securityGroup],
        vpcSubnets: props.subnets,
        assignPublicIp: false,
        circuitBreaker: { rollback: true },
      });
      service.associateCloudMapService({ service: this.cloudMapService });
      // Created after its config is in S3 and its role can discover.
      service.node.addDependency(props.config.deployment, this.discoveryPolicy);
      return service;
    });
  }
}
