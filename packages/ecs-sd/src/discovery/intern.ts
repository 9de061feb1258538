/**
 * Label values through the shared table of lib/intern.ts: a value many targets share (a cluster's
 * ARN, an availability zone, a task definition, a host's id and tags, an image) is one string
 * object, the same one the task cache and the decisions hold. Values that are one task's or one
 * container's own (its ARN, id, address) are not kept there, so the table holds what is shared.
 */
import { intern } from '../lib/intern.ts';

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

/** The shared copy of a label's value (the value itself when the label is not one many targets share). */
export function internLabelValue(name: string, value: string): string {
  return OWN_VALUES.has(name) ? value : intern(value);
}
