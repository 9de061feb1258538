/**
 * One scrape target from a declaration: its address, its labels (visible, meta and scrape labels,
 * cut to the limits by importance), its interval bucket, or the typed skip when Prometheus would
 * drop it. Pure, like the rest of discovery/.
 */
import type { Container, ContainerDefinition } from '@aws-sdk/client-ecs';
import { nameFromArn } from '../lib/arn.ts';
import { bucketFor, type Interval, parseInterval } from '../lib/intervals.ts';
import { hostPart } from './address.ts';
import type { Declaration } from './declaration.ts';
import { internLabelValue } from './intern.ts';
import {
  type BoundedLabels,
  boundLabels,
  type DroppedLabel,
  jsonBytesWithin,
  LIMITS,
  withinLimits,
} from './limits.ts';
import { containerMetaLabels, META, selectMetaLabels, type TaskFacts } from './meta-labels.ts';
import { scrapeProblem } from './prometheus-checks.ts';
import type { DiscoveryOptions, Skip, Target } from './types.ts';
import { quote } from './values.ts';

function intervalOf(d: Declaration, options: DiscoveryOptions): Interval {
  if (!d.interval) return options.defaultInterval;
  return parseInterval(d.interval.text) ?? bucketFor(d.interval.ms);
}

/** The target of one declared endpoint of a container, with the labels the limits left out; or why it is skipped. */
export function buildTarget(
  d: Declaration,
  key: string,
  f: TaskFacts,
  container: Container,
  definition: ContainerDefinition,
  resolved: { port: number; containerPort: number; hostPort?: number },
  taskLabels: Readonly<Record<string, string>>,
  options: DiscoveryOptions,
): { target: Target; dropped: DroppedLabel[] } | { skip: Skip } {
  const address = `${d.serverName ?? hostPart(f.ip)}:${resolved.port}`;
  if (jsonBytesWithin(address, LIMITS.labelValueBytes) === undefined) {
    return {
      skip: {
        reason: 'target-too-large',
        message: `address ${quote(address)} is over the limit of ${LIMITS.labelValueBytes} bytes for a label value`,
      },
    };
  }
  const family = f.family ?? '';
  const job = d.job ?? family;
  const visible: Record<string, string> = {};
  const ecsLabels = (): void => {
    visible['ecs_task_id'] = f.taskId;
    if (f.revision !== undefined) visible['ecs_task_version'] = f.revision;
    visible['ecs_cluster'] = f.snapshot.clusterName;
    if (f.placement.containerInstanceArn !== undefined) {
      if (container.containerArn) visible['ecs_container_id'] = nameFromArn(container.containerArn);
      const instanceId = f.placement.host?.ec2InstanceId ?? f.placement.containerInstance?.ec2InstanceId;
      if (instanceId) visible['instance_id'] = instanceId;
    }
  };
  switch (d.convention) {
    case 'prometheus-ecs-sd':
      visible['metrics_path'] = d.path;
      if (d.noLabels) {
        visible['instance'] = family;
      } else {
        visible['instance'] = address;
        ecsLabels();
      }
      break;
    case 'prometheus-ecs-discovery':
      visible['task_arn'] = f.taskArn;
      visible['task_name'] = family;
      if (f.revision !== undefined) visible['task_revision'] = f.revision;
      if (f.task.group) visible['task_group'] = f.task.group;
      visible['cluster_arn'] = f.snapshot.clusterArn;
      visible['container_name'] = container.name ?? '';
      if (container.containerArn) visible['container_arn'] = container.containerArn;
      if (container.image ?? definition.image)
        visible['docker_image'] = (container.image ?? definition.image)!;
      ecsLabels();
      break;
    case 'ecs-sd-labels':
    case 'rule':
      ecsLabels();
      visible['ecs_container'] = container.name ?? '';
      Object.assign(visible, d.labels);
      break;
  }
  visible['job'] = job;

  const scrape: Record<string, string> = { __metrics_path__: d.path };
  if (d.scheme) scrape['__scheme__'] = d.scheme;
  if (d.interval) scrape['__scrape_interval__'] = d.interval.text;
  if (d.timeout) scrape['__scrape_timeout__'] = d.timeout.text;
  else if (d.interval && d.interval.ms < 15_000) scrape['__scrape_timeout__'] = d.interval.text;

  const meta = containerMetaLabels(
    container,
    definition,
    resolved.containerPort,
    resolved.hostPort,
    d.convention,
    options.dockerLabelAllowlist,
    {
      ...(d.ruleName !== undefined ? { ruleName: d.ruleName } : {}),
      ...(d.endpointName !== undefined ? { endpointName: d.endpointName } : {}),
    },
  );
  const all: Record<string, string> = {
    ...selectMetaLabels(taskLabels, options.metaLabels),
    ...selectMetaLabels(meta, options.metaLabels),
    ...scrape,
    ...visible,
  };
  const names = Object.keys(all).sort();
  const interval = intervalOf(d, options);
  let labels: Record<string, string>;
  let dropped: DroppedLabel[] = [];
  if (withinLimits(all, names)) {
    labels = compactLabels(names.map((name) => [name, all[name]!]));
  } else {
    const bounded = bound(d, all, scrape, visible);
    if ('tooLong' in bounded) {
      return {
        skip: {
          reason: 'target-too-large',
          message: `${bounded.tooLong.name}=${quote(all[bounded.tooLong.name]!)} is over the limit of ${LIMITS.labelValueBytes} bytes for a label value, and a target cannot go without it`,
        },
      };
    }
    labels = compactLabels(
      names
        .filter((name) => Object.hasOwn(bounded.labels, name))
        .map((name) => [name, bounded.labels[name]!]),
    );
    dropped = bounded.dropped;
  }
  const problem = scrapeProblem(address, labels, interval, d.interval?.name, d.timeout?.name);
  if (problem) return { skip: problem };
  return {
    target: {
      key,
      address,
      interval,
      job,
      clusterName: f.snapshot.clusterName,
      convention: d.convention,
      labels,
    },
    dropped,
  };
}

/**
 * The labels object a target keeps for its life, in this order, its shared values interned (see
 * intern.ts). Built in one go (Object.fromEntries) so V8 keeps it in fast mode: an object grown by
 * ~40 `labels[name] = value` stores becomes a hash table, about 1.2 KiB more per target.
 */
function compactLabels(entries: [string, string][]): Record<string, string> {
  for (const entry of entries) entry[1] = internLabelValue(entry[0], entry[1]);
  return Object.fromEntries(entries);
}

/** A target's labels cut to the limits (boundLabels), by importance. */
function bound(
  d: Declaration,
  all: Readonly<Record<string, string>>,
  scrape: Readonly<Record<string, string>>,
  visible: Readonly<Record<string, string>>,
): BoundedLabels {
  // Most important first: what the target cannot go without, the convention's own labels, the fixed meta
  // labels, tags, then the labels anyone can add many of (user labels, allowlisted docker labels).
  const essential: Record<string, string> = {};
  const classes: Record<string, string>[] = [{}, {}, {}, {}, {}];
  const user = d.convention === 'ecs-sd-labels' || d.convention === 'rule' ? d.labels : {};
  for (const [name, value] of Object.entries(all)) {
    if (name === 'job' || Object.hasOwn(scrape, name)) essential[name] = value;
    else if (Object.hasOwn(user, name)) classes[3]![name] = value;
    else if (Object.hasOwn(visible, name)) classes[0]![name] = value;
    else if (name.startsWith(`${META}container_label_`)) classes[4]![name] = value;
    else if (name.startsWith(`${META}tag_`)) classes[2]![name] = value;
    else classes[1]![name] = value;
  }
  return boundLabels(essential, classes);
}
