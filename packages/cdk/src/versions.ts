/**
 * Every container image the constructs run, pinned by tag in one place: bump a version here and
 * every task definition that uses it changes on the next deploy.
 */

/** The ecs-sd release the constructs default to; the image is published per release tag. */
export const ECS_SD_VERSION = '0.1.0';

/** Pinned images by role; tags, never `latest`, so a deploy is reproducible. */
export const IMAGES = {
  ecsSd: `ghcr.io/ecs-sd/ecs-sd:${ECS_SD_VERSION}`,
  prometheus: 'prom/prometheus:v3.5.0',
  alertmanager: 'prom/alertmanager:v0.28.1',
  grafana: 'grafana/grafana:12.1.1',
  nodeExporter: 'prom/node-exporter:v1.9.1',
  cadvisor: 'gcr.io/cadvisor/cadvisor:v0.49.1',
  /** Runs the init container that copies the monitoring content from S3 into the task. */
  awsCli: 'amazon/aws-cli:2.27.50',
} as const;
