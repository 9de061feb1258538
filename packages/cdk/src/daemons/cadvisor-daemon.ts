/**
 * cAdvisor on every container instance of a cluster, with the privileges and mounts its
 * documentation's `docker run` gives it: privileged, /dev/kmsg, and read-only /, /var/run, /sys,
 * /var/lib/docker and /dev/disk, so it sees every container's cgroups and the disks.
 */
import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IMAGES } from '../versions.ts';
import { discoverableExporterOptions, hostDaemonService } from './host-daemon.ts';
import { allowScrapes, type ScrapeAccessProps } from './scrape-access.ts';

/** Host paths cAdvisor mounts read-only, as in its documentation (host path → container path). */
export const CADVISOR_MOUNTS = [
  { name: 'rootfs', hostPath: '/', containerPath: '/rootfs' },
  { name: 'var-run', hostPath: '/var/run', containerPath: '/var/run' },
  { name: 'sys', hostPath: '/sys', containerPath: '/sys' },
  { name: 'docker', hostPath: '/var/lib/docker/', containerPath: '/var/lib/docker' },
  { name: 'dev-disk', hostPath: '/dev/disk/', containerPath: '/dev/disk' },
] as const;

/** Props of CadvisorDaemon. */
export interface CadvisorDaemonProps extends ScrapeAccessProps {
  /** The cluster whose EC2 container instances are monitored. */
  readonly cluster: ecs.ICluster;
  /** Port cAdvisor listens on, on the host. @default 8080 */
  readonly port?: number;
  /** Image. @default IMAGES.cadvisor */
  readonly image?: string;
  /** Memory reserved per instance, in MiB. @default 128 */
  readonly memoryReservationMiB?: number;
  /** Retention of the daemon's logs. @default one week */
  readonly logRetention?: logs.RetentionDays;
}

/** A DAEMON service running cAdvisor on every instance, opted into ecs-sd by PROMETHEUS=true and PROMETHEUS_PORT. */
export class CadvisorDaemon extends Construct {
  /** The DAEMON service: one cAdvisor task per container instance. */
  readonly service: ecs.Ec2Service;
  /** The task definition (host network). */
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  /** The port scraped on each instance. */
  readonly port: number;

  constructor(scope: Construct, id: string, props: CadvisorDaemonProps) {
    super(scope, id);
    this.port = props.port ?? 8080;
    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.HOST,
      volumes: CADVISOR_MOUNTS.map((mount) => ({ name: mount.name, host: { sourcePath: mount.hostPath } })),
    });
    const linuxParameters = new ecs.LinuxParameters(this, 'LinuxParameters');
    linuxParameters.addDevices({ hostPath: '/dev/kmsg', containerPath: '/dev/kmsg' });
    const container = this.taskDefinition.addContainer('cadvisor', {
      image: ecs.ContainerImage.fromRegistry(props.image ?? IMAGES.cadvisor),
      essential: true,
      privileged: true,
      linuxParameters,
      memoryReservationMiB: props.memoryReservationMiB ?? 128,
      command: [`--port=${this.port}`, '--docker_only=true', '--housekeeping_interval=30s'],
      ...discoverableExporterOptions(this, {
        name: 'cadvisor',
        port: this.port,
        healthPath: '/healthz',
        startPeriod: Duration.seconds(30),
        logRetention: props.logRetention,
      }),
    });
    container.addMountPoints(
      ...CADVISOR_MOUNTS.map((mount) => ({
        sourceVolume: mount.name,
        containerPath: mount.containerPath,
        readOnly: true,
      })),
    );
    this.service = hostDaemonService(this, props.cluster, this.taskDefinition);
    allowScrapes(props, this.port, 'cAdvisor');
  }
}
