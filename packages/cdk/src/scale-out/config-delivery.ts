/**
 * Delivers the monitoring content and the generated files to the scale-out tasks: one S3 bucket, one
 * BucketDeployment, and in each task a non-essential init container that syncs them into a
 * task-scoped volume the other containers mount read-only (the single-server topology's way).
 */
import { createHash } from 'node:crypto';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { TASK_PATHS } from '../prometheus-server/config.ts';
import { MONITORING_EXCLUDES } from '../prometheus-server/monitoring-content.ts';
import { acknowledgeBucketDeploymentHandler } from '../prometheus-server/prometheus-server.ts';
import { IMAGES } from '../versions.ts';

/** Props of ConfigDelivery. */
export interface ConfigDeliveryProps {
  /** The monitoring content folder, resolved. */
  readonly monitoringDirectory: string;
  /** Generated files by their path under `generated/`. */
  readonly files: Readonly<Record<string, string>>;
}

/** Name of the task-scoped volume holding the delivered content in every task. */
export const CONFIG_VOLUME = 'monitoring-config';

const KEY_PREFIX = 'monitoring/';

/** The bucket and deployment of the scale-out topology's configuration. */
export class ConfigDelivery extends Construct {
  readonly bucket: s3.Bucket;
  readonly deployment: s3deploy.BucketDeployment;
  private readonly assetHash: string;
  private readonly files: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ConfigDeliveryProps) {
    super(scope, id);
    this.files = props.files;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'the bucket only holds configuration written by this stack and read by its task roles; access logs would need a second bucket for no audit value',
    });
    const content = new s3assets.Asset(this, 'MonitoringContent', {
      path: props.monitoringDirectory,
      exclude: [...MONITORING_EXCLUDES],
    });
    this.assetHash = content.assetHash;
    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: KEY_PREFIX,
      sources: [
        s3deploy.Source.bucket(content.bucket, content.s3ObjectKey),
        ...Object.entries(props.files).map(([key, body]) => s3deploy.Source.data(`generated/${key}`, body)),
      ],
      prune: true,
      retainOnDelete: false,
    });
    acknowledgeBucketDeploymentHandler(Stack.of(this), this.deployment, this.bucket);
  }

  /** Lets `role` read the delivered prefix, and only that. */
  grantRead(role: iam.Role): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadConfig',
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${KEY_PREFIX}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListConfig',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${KEY_PREFIX}*`] } },
      }),
    );
    const stack = Stack.of(this);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${KEY_PREFIX}*]`,
      reason: 'the init container syncs every object under the config prefix of this topology’s own bucket',
    });
  }

  /**
   * A digest of the files a task uses (and of the monitoring content when it reads it): a new value
   * is a new task definition revision, so ECS replaces that task and only that one.
   */
  version(generated: readonly string[], withContent: boolean): string {
    const hash = createHash('sha256');
    if (withContent) hash.update(this.assetHash);
    for (const key of generated)
      hash.update(key).update(JSON.stringify(Stack.of(this).resolve(this.files[key])));
    return hash.digest('hex').slice(0, 16);
  }

  /**
   * Adds the volume and the init container to a task definition; `chown` hands task-scoped volumes to
   * the users of the images that write them. Returns the dependency the other containers wait on.
   */
  addLoader(
    taskDefinition: ecs.TaskDefinition,
    options: {
      version: string;
      logging: ecs.LogDriver;
      writable?: readonly { volume: string; path: string; owner: string }[];
    },
  ): ecs.ContainerDependency {
    taskDefinition.addVolume({ name: CONFIG_VOLUME });
    for (const w of options.writable ?? []) taskDefinition.addVolume({ name: w.volume });
    const loader = taskDefinition.addContainer('config-loader', {
      image: ecs.ContainerImage.fromRegistry(IMAGES.awsCli),
      essential: false,
      memoryReservationMiB: 64,
      entryPoint: ['/bin/sh', '-c'],
      command: [
        [
          'set -eu',
          `aws s3 sync "s3://$CONFIG_BUCKET/${KEY_PREFIX}" ${TASK_PATHS.configRoot}/ --delete --only-show-errors`,
          ...(options.writable ?? []).map((w) => `chown ${w.owner} ${w.path}`),
        ].join('; '),
      ],
      environment: { CONFIG_BUCKET: this.bucket.bucketName, CONFIG_VERSION: options.version },
      logging: options.logging,
    });
    loader.addMountPoints(
      { sourceVolume: CONFIG_VOLUME, containerPath: TASK_PATHS.configRoot, readOnly: false },
      ...(options.writable ?? []).map((w) => ({
        sourceVolume: w.volume,
        containerPath: w.path,
        readOnly: false,
      })),
    );
    return { container: loader, condition: ecs.ContainerDependencyCondition.SUCCESS };
  }

  /** Mounts the delivered content read-only at /etc/monitoring in `container`. */
  static mount(container: ecs.ContainerDefinition): void {
    container.addMountPoints({
      sourceVolume: CONFIG_VOLUME,
      containerPath: TASK_PATHS.configRoot,
      readOnly: true,
    });
  }
}
