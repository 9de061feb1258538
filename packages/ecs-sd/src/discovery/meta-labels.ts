/**
 * The `__meta_ecs_*` labels: the names and value semantics of Prometheus's own ECS discovery
 * (`discovery/aws/ecs.go`) for every field the snapshot has, plus container-level ones it lacks.
 */
import type { Container, ContainerDefinition, Service, Tag, Task } from '@aws-sdk/client-ecs';
import type { MetaLabelSet } from '../config/types.ts';
import type { Pattern } from '../lib/pattern.ts';
import type { EniInfo, Placement } from './address.ts';
import { sanitizeLabelName } from './labels.ts';
import type { ClusterSnapshot, Convention } from './types.ts';

/** Prefix of every discovery meta label, as in Prometheus. */
export const META = '__meta_ecs_';

/** The service name of a task started by a service (`group` is `service:NAME`), undefined for standalone tasks. */
export function serviceNameFromGroup(group: string | undefined): string | undefined {
  return group?.startsWith('service:') ? group.slice('service:'.length) : undefined;
}

function set(labels: Record<string, string>, name: string, value: string | number | undefined | null): void {
  if (value === undefined || value === null || value === '') return;
  labels[META + name] = String(value);
}

function tags(labels: Record<string, string>, prefix: string, entries: Iterable<[string, string]>): void {
  for (const [k, v] of entries) set(labels, `tag_${prefix}_${sanitizeLabelName(k)}`, v);
}

function tagPairs(list: readonly Tag[] | undefined): [string, string][] {
  return (list ?? []).flatMap((t) =>
    t.key !== undefined && t.value !== undefined ? [[t.key, t.value]] : [],
  );
}

/** What the task-level meta labels are built from. */
export interface TaskFacts {
  snapshot: ClusterSnapshot;
  task: Task;
  taskArn: string;
  taskId: string;
  networkMode: string;
  family?: string;
  revision?: string;
  accountId?: string;
  ip: string;
  eni: EniInfo;
  placement: Placement;
  serviceName?: string;
  service?: Service;
}

/** Task-level meta labels; tags from the cluster, the service (when services were read), the task and the EC2 host. */
export function taskMetaLabels(f: TaskFacts): Record<string, string> {
  const { snapshot, task, placement, eni } = f;
  const host = placement.host;
  const labels: Record<string, string> = {};
  set(labels, 'cluster', snapshot.clusterName);
  set(labels, 'cluster_arn', snapshot.clusterArn);
  set(labels, 'service', f.serviceName);
  if (f.service) {
    set(labels, 'service_arn', f.service.serviceArn);
    set(labels, 'service_status', f.service.status);
  }
  set(labels, 'task_group', task.group);
  set(labels, 'task_arn', f.taskArn);
  set(labels, 'task_definition', task.taskDefinitionArn);
  set(labels, 'launch_type', task.launchType);
  set(labels, 'desired_status', task.desiredStatus);
  set(labels, 'last_status', task.lastStatus);
  set(labels, 'health_status', task.healthStatus);
  set(labels, 'platform_family', task.platformFamily);
  set(labels, 'platform_version', task.platformVersion);
  set(labels, 'ip_address', f.ip);
  set(labels, 'subnet_id', eni.subnetId ?? host?.subnetId);
  set(labels, 'availability_zone', task.availabilityZone ?? host?.availabilityZone);
  set(labels, 'region', snapshot.region);
  // Prometheus reads the ENI's public IP with DescribeNetworkInterfaces; the snapshot has the host's only.
  if (f.networkMode !== 'awsvpc') set(labels, 'public_ip', host?.publicIpAddress);
  set(labels, 'network_mode', f.networkMode);
  set(labels, 'container_instance_arn', placement.containerInstanceArn);
  set(labels, 'ec2_instance_id', host?.ec2InstanceId ?? placement.containerInstance?.ec2InstanceId);
  set(labels, 'ec2_instance_type', host?.instanceType);
  set(labels, 'ec2_instance_private_ip', host?.privateIpAddress);
  set(labels, 'ec2_instance_public_ip', host?.publicIpAddress);
  set(labels, 'task_id', f.taskId);
  set(labels, 'task_definition_family', f.family);
  set(labels, 'task_definition_revision', f.revision);
  set(labels, 'account_id', f.accountId);
  tags(labels, 'cluster', Object.entries(snapshot.clusterTags ?? {}));
  if (f.service) tags(labels, 'service', tagPairs(f.service.tags));
  tags(labels, 'task', tagPairs(task.tags));
  if (host) tags(labels, 'ec2', Object.entries(host.tags ?? {}));
  return labels;
}

/** Container-level meta labels: name, image, ports, convention, and the docker labels the allowlist admits. */
export function containerMetaLabels(
  container: Container,
  definition: ContainerDefinition,
  containerPort: number,
  hostPort: number | undefined,
  convention: Convention,
  allowlist: Pattern | null,
  extra: { ruleName?: string; endpointName?: string },
): Record<string, string> {
  const labels: Record<string, string> = {};
  set(labels, 'container_name', container.name);
  set(labels, 'container_arn', container.containerArn);
  set(labels, 'container_image', container.image ?? definition.image);
  set(labels, 'container_port', containerPort);
  set(labels, 'container_host_port', hostPort);
  set(labels, 'convention', convention);
  set(labels, 'rule', extra.ruleName);
  set(labels, 'endpoint', extra.endpointName);
  if (allowlist) {
    for (const [k, v] of Object.entries(definition.dockerLabels ?? {})) {
      if (allowlist.test(k)) set(labels, `container_label_${sanitizeLabelName(k)}`, v);
    }
  }
  return labels;
}

/**
 * The meta labels `output.meta_labels: minimal` keeps (names without the prefix), besides the
 * allowlisted docker labels the user asked for by name: where a target runs and what it is, the
 * labels relabeling rules and the status page use most. Tags and the rest are left out.
 */
export const MINIMAL_META_LABELS: ReadonlySet<string> = new Set([
  'account_id',
  'region',
  'availability_zone',
  'cluster',
  'service',
  'task_id',
  'task_definition_family',
  'task_definition_revision',
  'launch_type',
  'container_name',
  'container_port',
  'convention',
  'rule',
  'endpoint',
]);

/** The meta labels of a set (`all`: these labels themselves). */
export function selectMetaLabels(
  labels: Readonly<Record<string, string>>,
  set: MetaLabelSet | undefined,
): Readonly<Record<string, string>> {
  if (set === undefined || set === 'all') return labels;
  if (set === 'none') return {};
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    const short = name.slice(META.length);
    if (MINIMAL_META_LABELS.has(short) || short.startsWith('container_label_')) kept[name] = value;
  }
  return kept;
}
