/** Small pieces the scale-out tasks share: health checks, cdk-nag acknowledgments, optional props. */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';

/** A health check with the image's busybox wget (Prometheus, Grafana). */
export function wgetHealthCheck(port: number, path: string): ecs.HealthCheck {
  return {
    command: ['CMD-SHELL', `wget -q --spider http://127.0.0.1:${port}${path} || exit 1`],
    interval: Duration.seconds(30),
    timeout: Duration.seconds(5),
    retries: 3,
    startPeriod: Duration.seconds(60),
  };
}

/** cdk-nag's ECS2 on task definitions whose environment holds only non-secret settings. */
export function acknowledgeEnvironment(task: ecs.TaskDefinition): void {
  Validations.of(task).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'the environment holds only non-secret settings (bucket name, config hash, Grafana paths); the Grafana admin password comes from Secrets Manager',
  });
}

/** `{ [key]: value }` when value is defined, else `{}`: optional props without `undefined` values. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
