/**
 * The scale-out topology: ecs-sd as its own ECS service (HA replicas behind one Cloud Map name) that
 * crawls ECS once and serves a pool of agent-mode Prometheus scrapers each its share over http_sd;
 * the scrapers remote-write to a store that evaluates the rules, and Grafana reads that store.
 */
import { Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type DiscoverySource,
  eventClusters,
  renderGrafanaProvisioning,
  TASK_PATHS,
  toYaml,
} from '../prometheus-server/config.ts';
import { readYamlMapping, resolveMonitoringDirectory } from '../prometheus-server/monitoring-content.ts';
import { IMAGES } from '../versions.ts';
import { AmpStore } from './amp-store.ts';
import {
  type AmpWorkspaceRef,
  COMPONENT_JOBS,
  type MetricsStore,
  membersSource,
  renderScaleOutAgentConfig,
  renderScaleOutEcsSdConfig,
  renderStoreDatasource,
  SCALE_OUT_PORTS,
  scaleOutProblems,
  storeRemoteWrite,
} from './config.ts';
import { ConfigDelivery } from './config-delivery.ts';
import { EcsSdReplicas } from './ecs-sd-replicas.ts';
import { createEventsQueue } from './events-queue.ts';
import { GRAFANA_FILES, StoreGrafana } from './grafana.ts';
import { acknowledgeEnvironment, optional, wgetHealthCheck } from './tasks.ts';

/** Props of ScaleOutMonitoring. */
export interface ScaleOutMonitoringProps {
  /** The cluster ecs-sd, the scrapers and Grafana run in (Fargate); ecs-sd reads it for the pool's members. */
  readonly cluster: ecs.ICluster;
  /** The VPC of the cluster. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the tasks; they need egress to the AWS APIs, the image registries and the store. @default - the VPC's private subnets with egress */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Cloud Map namespace ecs-sd (and Grafana) register in. */
  readonly cloudMapNamespace: servicediscovery.INamespace;
  /** Where the scrapers write and where the rules are evaluated. */
  readonly store: MetricsStore;
  /** Accounts and Regions ecs-sd reads; the first source read with the task role also reads the scrapers' cluster. @default - one source: this stack's account and Region, every cluster */
  readonly sources?: readonly DiscoverySource[];
  /** ecs-sd's refresh interval (Prometheus duration). @default '60s' */
  readonly refreshInterval?: string;
  /** Event mode: each ecs-sd replica reads ECS events from a queue of its own. @default false */
  readonly eventMode?: boolean;
  /** ecs-sd replicas, each an ECS service of one task with its share of the rate budget (`ha.replicas`). @default 2 */
  readonly ecsSdReplicas?: number;
  /** Scraper tasks (Prometheus in agent mode); each scrapes about 1/N of the targets. @default 2 */
  readonly scrapers?: number;
  /** Scrapers per target; 2 needs a store that deduplicates identical series. @default 1 */
  readonly replication?: number;
  /** Name of the pool in ecs-sd's config and the http_sd URL. @default 'agents' */
  readonly poolName?: string;
  /** Extra external labels of the scrapers (e.g. region, environment). @default - only the agent config's `prometheus: ecs` */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Cloud Map name of ecs-sd: the scrapers' http_sd host. @default 'ecs-sd' */
  readonly ecsSdName?: string;
  /** Run Grafana on the store (needs `store.queryUrl` for a remote-write store). @default true */
  readonly grafana?: boolean;
  /** Cloud Map name of Grafana. @default 'grafana' */
  readonly grafanaName?: string;
  /** Peers allowed to reach Grafana (3000), e.g. a VPN CIDR. @default - none */
  readonly allowFrom?: readonly ec2.IPeer[];
  /** Topic the alert manager of a created AMP workspace publishes to; it must let aps.amazonaws.com publish. @default - a new topic with a KMS key AMP may use */
  readonly alertTopic?: sns.ITopic;
  /** The monitoring content folder. @default the repository's monitoring/ folder */
  readonly monitoringDirectory?: string;
  /** Agent config inside monitoringDirectory; its http_sd on `ecs-sd:9888` is pointed at the pool. @default 'prometheus/prometheus-agent.yml' (built in when missing) */
  readonly agentConfigPath?: string;
  /** Folder of rule files inside monitoringDirectory, loaded into AMP. @default 'rules' */
  readonly rulesPath?: string;
  /** Alertmanager config inside monitoringDirectory whose routes a created AMP workspace's alert manager keeps. @default 'alertmanager/alertmanager.yml' */
  readonly alertmanagerConfigPath?: string;
  /** Folder of Grafana dashboards inside monitoringDirectory. @default 'grafana/dashboards' */
  readonly grafanaDashboardsPath?: string;
  /** Name of ecs-sd's task role, so a monitored account's DiscoveryRole can trust it before it exists. @default - generated */
  readonly ecsSdTaskRoleName?: string;
  /** ecs-sd image. @default ContainerImage.fromRegistry(IMAGES.ecsSd) */
  readonly ecsSdImage?: ecs.ContainerImage;
  /** CPU units of a scraper task (Fargate sizes). @default 512 */
  readonly scraperCpu?: number;
  /** Memory of a scraper task, MiB; an agent needs roughly 2–4 KiB per active series of its share. @default 1024 */
  readonly scraperMemoryLimitMiB?: number;
  /** Retention of the containers' logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/** ecs-sd in HA serving a pool of agent-mode scrapers that remote-write to a store. */
export class ScaleOutMonitoring extends Construct {
  /** The scrapers' security group: open your targets' scrape ports (and the store's port) to it. */
  readonly scraperSecurityGroup: ec2.SecurityGroup;
  /** ecs-sd's security group: 9888 from the scrapers only. */
  readonly ecsSdSecurityGroup: ec2.SecurityGroup;
  /** ecs-sd's replicas, role and Cloud Map service. */
  readonly ecsSd: EcsSdReplicas;
  /** Role of the scrapers (config reads, aps:RemoteWrite on an AMP workspace). */
  readonly scraperTaskRole: iam.Role;
  /** The scraper service (N tasks; its task definition family names the pool's members). */
  readonly scraperService: ecs.FargateService;
  /** Task definition family of the scrapers. */
  readonly scraperFamily: string;
  /** The URL the scrapers read their share from. */
  readonly httpSdUrl: string;
  /** The AMP side (undefined for a remote-write store). */
  readonly amp?: AmpStore;
  /** Grafana's service, security group and admin secret (undefined without Grafana). */
  readonly grafana?: StoreGrafana;
  /** Event mode queues, one per ecs-sd replica (empty without event mode). */
  readonly eventsQueues: readonly sqs.Queue[];
  /** Bucket and deployment of the configuration. */
  readonly config: ConfigDelivery;

  constructor(scope: Construct, id: string, props: ScaleOutMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const sources = props.sources ?? [{ name: 'local', region: stack.region }];
    const replicas = props.ecsSdReplicas ?? 2;
    const scrapers = props.scrapers ?? 2;
    const poolName = props.poolName ?? 'agents';
    const problems = scaleOutProblems({
      replicas,
      scrapers,
      replication: props.replication ?? 1,
      poolName,
      sources,
      region: stack.region,
      store: props.store,
    });
    if (problems.length > 0) throw new Error(`invalid ScaleOutMonitoring props:\n${problems.join('\n')}`);
    const members = membersSource(sources, stack.region)!;
    const base = Names.uniqueResourceName(this, { maxLength: 180, separator: '-' }).toLowerCase();
    this.scraperFamily = `${base}-prometheus-agent`;
    const ecsSdName = props.ecsSdName ?? 'ecs-sd';
    this.httpSdUrl = `http://${ecsSdName}.${props.cloudMapNamespace.namespaceName}:${SCALE_OUT_PORTS.ecsSd}/http-sd?pool=${poolName}`;
    const monitoringDirectory = resolveMonitoringDirectory(props.monitoringDirectory);

    // --- network: ecs-sd answers the scrapers only; the scrapers scrape each other's own metrics
    this.scraperSecurityGroup = new ec2.SecurityGroup(this, 'ScraperSecurityGroup', {
      vpc: props.vpc,
      description: 'Prometheus agents of the pool: scrapes, http_sd and remote_write leave from here',
      allowAllOutbound: true,
    });
    this.scraperSecurityGroup.addIngressRule(
      this.scraperSecurityGroup,
      ec2.Port.tcp(SCALE_OUT_PORTS.agent),
      'agents scrape each other (job prometheus-agent)',
    );
    this.ecsSdSecurityGroup = new ec2.SecurityGroup(this, 'EcsSdSecurityGroup', {
      vpc: props.vpc,
      description: 'ecs-sd replicas: http_sd and /metrics for the pool only; AWS API calls leave from here',
      allowAllOutbound: true,
    });
    this.ecsSdSecurityGroup.addIngressRule(
      this.scraperSecurityGroup,
      ec2.Port.tcp(SCALE_OUT_PORTS.ecsSd),
      'http_sd and /metrics from the scrapers',
    );

    // --- store
    let workspace: AmpWorkspaceRef | undefined;
    if (props.store.kind === 'amp') {
      this.amp = new AmpStore(this, 'Amp', {
        ...(props.store.workspace === undefined ? {} : { workspace: props.store.workspace }),
        alias: base,
        rulesDirectory: `${monitoringDirectory}/${props.rulesPath ?? 'rules'}`,
        alertmanagerBase: readYamlMapping(
          monitoringDirectory,
          props.alertmanagerConfigPath ?? 'alertmanager/alertmanager.yml',
        ),
        ...(props.alertTopic === undefined ? {} : { alertTopic: props.alertTopic }),
      });
      workspace = this.amp.workspace;
    }

    // --- event mode: a queue per replica; the scrapers' cluster is always among the rule's clusters
    const clusters = eventClusters(sources);
    this.eventsQueues =
      props.eventMode === true
        ? Array.from({ length: replicas }, (_, i) =>
            createEventsQueue(this, `EcsSd${i}Events`, {
              description: `ECS task and container instance state changes for ecs-sd replica ${i}`,
              clusters: clusters === undefined ? undefined : [...clusters, props.cluster.clusterName],
            }),
          )
        : [];

    // --- generated files, delivered through S3
    const ecsSdFile = (i: number) => `ecs-sd-${i}.yaml`;
    const files: Record<string, string> = {};
    for (let i = 0; i < replicas; i++) {
      const queue = this.eventsQueues[i];
      files[ecsSdFile(i)] = toYaml(
        renderScaleOutEcsSdConfig({
          sources,
          refreshInterval: props.refreshInterval ?? '60s',
          replicas,
          pool: {
            name: poolName,
            source: members.name,
            cluster: props.cluster.clusterName,
            family: this.scraperFamily,
            replication: props.replication ?? 1,
          },
          ...(queue === undefined ? {} : { eventsQueueUrl: queue.queueUrl }),
        }),
      );
    }
    files['prometheus-agent.yml'] = toYaml(
      renderScaleOutAgentConfig({
        ...optional(
          'base',
          readYamlMapping(monitoringDirectory, props.agentConfigPath ?? 'prometheus/prometheus-agent.yml'),
        ),
        httpSdUrl: this.httpSdUrl,
        remoteWrite: storeRemoteWrite(props.store, workspace, stack.region),
        externalLabels: props.externalLabels ?? {},
      }),
    );
    const datasource = renderStoreDatasource({
      store: props.store,
      ...optional('workspace', workspace),
      region: stack.region,
    });
    const withGrafana = props.grafana !== false && datasource !== undefined;
    if (withGrafana) {
      const provisioning = renderGrafanaProvisioning(
        `${TASK_PATHS.configRoot}/${props.grafanaDashboardsPath ?? 'grafana/dashboards'}`,
      );
      files[GRAFANA_FILES.datasources] = toYaml(datasource);
      files[GRAFANA_FILES.dashboards] = toYaml(provisioning.dashboards);
    }
    this.config = new ConfigDelivery(this, 'Config', { monitoringDirectory, files });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logging = (prefix: string) => ecs.LogDrivers.awsLogs({ streamPrefix: prefix, logGroup });
    const subnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    // --- ecs-sd: one ECS service per replica (each its own config and queue), one Cloud Map name
    this.ecsSd = new EcsSdReplicas(this, 'EcsSd', {
      cluster: props.cluster,
      cloudMapNamespace: props.cloudMapNamespace,
      name: ecsSdName,
      family: `${base}-ecs-sd`,
      replicas,
      sources,
      queues: this.eventsQueues,
      config: this.config,
      configFile: ecsSdFile,
      securityGroup: this.ecsSdSecurityGroup,
      subnets,
      logging,
      ...optional('taskRoleName', props.ecsSdTaskRoleName),
      ...optional('image', props.ecsSdImage),
    });

    // --- the scrapers: N agents, each identified by ecs-sd through its task IP (awsvpc)
    this.scraperTaskRole = new iam.Role(this, 'ScraperTaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Prometheus agents of the pool: config reads and remote_write',
    });
    this.config.grantRead(this.scraperTaskRole);
    if (workspace !== undefined) {
      this.scraperTaskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'RemoteWrite',
          actions: ['aps:RemoteWrite'],
          resources: [workspace.workspaceArn],
        }),
      );
    }
    const scraperTask = new ecs.FargateTaskDefinition(this, 'ScraperTaskDefinition', {
      cpu: props.scraperCpu ?? 512,
      memoryLimitMiB: props.scraperMemoryLimitMiB ?? 1024,
      taskRole: this.scraperTaskRole,
      family: this.scraperFamily,
    });
    const walPath = '/prometheus';
    const afterScraperConfig = this.config.addLoader(scraperTask, {
      version: this.config.version(['prometheus-agent.yml'], false),
      logging: logging('config-loader'),
      writable: [{ volume: 'agent-wal', path: walPath, owner: '65534:65534' }],
    });
    const agent = scraperTask.addContainer('prometheus', {
      image: ecs.ContainerImage.fromRegistry(IMAGES.prometheus),
      essential: true,
      command: [
        // Prometheus 3 (IMAGES.prometheus); 2.x spells it --enable-feature=agent.
        '--agent',
        `--config.file=${TASK_PATHS.generated}/prometheus-agent.yml`,
        `--storage.agent.path=${walPath}`,
        `--web.listen-address=0.0.0.0:${SCALE_OUT_PORTS.agent}`,
      ],
      portMappings: [{ containerPort: SCALE_OUT_PORTS.agent, name: 'prometheus' }],
      // Scraped through the pool like any target, under the job the agent alerts select.
      dockerLabels: {
        'ecs-sd.scrape': 'true',
        'ecs-sd.port': String(SCALE_OUT_PORTS.agent),
        'ecs-sd.job': COMPONENT_JOBS.agent,
      },
      readonlyRootFilesystem: true,
      healthCheck: wgetHealthCheck(SCALE_OUT_PORTS.agent, '/-/healthy'),
      logging: logging('prometheus-agent'),
    });
    ConfigDelivery.mount(agent);
    agent.addMountPoints({ sourceVolume: 'agent-wal', containerPath: walPath, readOnly: false });
    agent.addContainerDependencies(afterScraperConfig);
    acknowledgeEnvironment(scraperTask);
    this.scraperService = new ecs.FargateService(this, 'ScraperService', {
      cluster: props.cluster,
      taskDefinition: scraperTask,
      desiredCount: scrapers,
      // New agents join the pool before old ones leave: ecs-sd moves about 1/N of the targets each time.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      securityGroups: [this.scraperSecurityGroup],
      vpcSubnets: subnets,
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
    });
    this.scraperService.node.addDependency(this.config.deployment);

    if (withGrafana) {
      this.grafana = new StoreGrafana(this, 'Grafana', {
        cluster: props.cluster,
        vpc: props.vpc,
        subnets,
        cloudMapNamespace: props.cloudMapNamespace,
        name: props.grafanaName ?? 'grafana',
        allowFrom: props.allowFrom ?? [],
        config: this.config,
        logging,
        ...optional('workspace', workspace),
      });
    }
  }
}
