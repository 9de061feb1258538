/**
 * What node-exporter and cAdvisor daemons share: the container options that make ecs-sd find them
 * (PROMETHEUS=true, PROMETHEUS_PORT, a host port equal to the container port), their health check
 * and logs, and the DAEMON service that runs one task per container instance.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Container options of a host-network exporter that ecs-sd discovers on `port`, health-checked at `healthPath`. */
export function discoverableExporterOptions(
  scope: Construct,
  options: {
    name: string;
    port: number;
    healthPath: string;
    startPeriod: Duration;
    logRetention: logs.RetentionDays | undefined;
  },
): Pick<ecs.ContainerDefinitionOptions, 'environment' | 'portMappings' | 'healthCheck' | 'logging'> {
  const { port } = options;
  return {
    environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: String(port) },
    portMappings: [{ containerPort: port, hostPort: port, protocol: ecs.Protocol.TCP }],
    healthCheck: {
      command: ['CMD-SHELL', `wget -q --spider http://127.0.0.1:${port}${options.healthPath} || exit 1`],
      interval: Duration.seconds(30),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: options.startPeriod,
    },
    logging: ecs.LogDrivers.awsLogs({
      streamPrefix: options.name,
      logGroup: new logs.LogGroup(scope, 'Logs', {
        retention: options.logRetention ?? logs.RetentionDays.ONE_WEEK,
      }),
    }),
  };
}

/** The DAEMON service of a host exporter: one task per container instance, replaced in place on deploys. */
export function hostDaemonService(
  scope: Construct,
  cluster: ecs.ICluster,
  taskDefinition: ecs.Ec2TaskDefinition,
): ecs.Ec2Service {
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'PROMETHEUS=true and PROMETHEUS_PORT are the discovery convention ecs-sd reads from the task definition; nothing secret',
  });
  return new ecs.Ec2Service(scope, 'Service', {
    cluster,
    taskDefinition,
    daemon: true,
    minHealthyPercent: 0,
    maxHealthyPercent: 100,
  });
}
