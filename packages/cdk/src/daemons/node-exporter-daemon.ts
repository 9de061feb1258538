/**
 * node-exporter on every container instance of a cluster, as node-exporter's documentation runs it
 * in a container: host network, host PID namespace, the host's root filesystem read-only at /host
 * and `--path.rootfs=/host`, so its filesystem, process and network metrics describe the host.
 */
import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IMAGES } from '../versions.ts';
import { discoverableExporterOptions, hostDaemonService } from './host-daemon.ts';
import { allowScrapes, type ScrapeAccessProps } from './scrape-access.ts';

/** Where the host's root filesystem appears inside the container. */
export const NODE_EXPORTER_ROOTFS = '/host';

/** Props of NodeExporterDaemon. */
export interface NodeExporterDaemonProps extends ScrapeAccessProps {
  /** The cluster whose EC2 container instances are monitored. */
  readonly cluster: ecs.ICluster;
  /** Port node-exporter listens on, on the host. @default 9100 */
  readonly port?: number;
  /** Image. @default IMAGES.nodeExporter */
  readonly image?: string;
  /** Memory reserved per instance, in MiB. @default 64 */
  readonly memoryReservationMiB?: number;
  /** Retention of the daemon's logs. @default one week */
  readonly logRetention?: logs.RetentionDays;
}

/** A DAEMON service running node-exporter on every instance, opted into ecs-sd by PROMETHEUS=true and PROMETHEUS_PORT. */
export class NodeExporterDaemon extends Construct {
  /** The DAEMON service: one node-exporter task per container instance. */
  readonly service: ecs.Ec2Service;
  /** The task definition (host network). */
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  /** The port scraped on each instance. */
  readonly port: number;

  constructor(scope: Construct, id: string, props: NodeExporterDaemonProps) {
    super(scope, id);
    this.port = props.port ?? 9100;
    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.HOST,
      pidMode: ecs.PidMode.HOST,
      volumes: [{ name: 'host-root', host: { sourcePath: '/' } }],
    });
    const container = this.taskDefinition.addContainer('node-exporter', {
      image: ecs.ContainerImage.fromRegistry(props.image ?? IMAGES.nodeExporter),
      essential: true,
      memoryReservationMiB: props.memoryReservationMiB ?? 64,
      command: [
        `--path.rootfs=${NODE_EXPORTER_ROOTFS}`,
        `--web.listen-address=:${this.port}`,
        // Container runtime and ECS agent mounts are per-container noise, not host filesystems.
        '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/docker/.+|var/lib/containerd/.+|var/lib/ecs/.+)($|/)',
      ],
      ...discoverableExporterOptions(this, {
        name: 'node-exporter',
        port: this.port,
        healthPath: '/metrics',
        startPeriod: Duration.seconds(15),
        logRetention: props.logRetention,
      }),
    });
    container.addMountPoints({
      sourceVolume: 'host-root',
      containerPath: NODE_EXPORTER_ROOTFS,
      readOnly: true,
    });
    this.service = hostDaemonService(this, props.cluster, this.taskDefinition);
    allowScrapes(props, this.port, 'node-exporter');
  }
}
