/**
 * One string object per distinct label value that many targets share (a cluster's ARN, an
 * availability zone, a task definition, a host's id and tags, an image), instead of one copy per
 * target from each DescribeTasks response: at 10,000 targets about 4.7 MiB of duplicates, at
 * 100,000 ten times that. Values that are one task's or one container's own (its ARN, id, address)
 * are not kept here, so the table holds what is shared; it is bounded and starts over when full
 * (hostile tag values cannot grow it), which costs only one more copy of each value afterwards.
 */

/** Label names whose values belong to one task or container: interning them would only fill the table. */
const OWN_VALUES: ReadonlySet<string> = new Set([
  '__meta_ecs_task_arn',
  '__meta_ecs_task_id',
  '__meta_ecs_container_arn',
  'ecs_task_id',
  'task_arn',
  'container_arn',
  'ecs_container_id',
  'instance',
]);

/** Most distinct values kept; the table starts over past it. */
const MAX_VALUES = 50_000;
/** Longer values are kept as they are: a huge value is rare, and hashing it costs more than it saves. */
const MAX_VALUE_LENGTH = 1024;

const values = new Map<string, string>();

/** The shared copy of a label's value (the value itself when the label is not one many targets share). */
export function internLabelValue(name: string, value: string): string {
  if (OWN_VALUES.has(name) || value.length > MAX_VALUE_LENGTH) return value;
  const known = values.get(value);
  if (known !== undefined) return known;
  if (values.size >= MAX_VALUES) values.clear();
  values.set(value, value);
  return value;
}
