/**
 * One string object per distinct value that many objects hold for long (a cluster's ARN, an
 * availability zone, a task definition's or a container instance's ARN, a host's tags), instead of
 * one copy per task from each DescribeTasks response: at 10,000 tasks about 6 MiB of duplicates, at
 * 100,000 ten times that. The table is bounded and starts over when full (hostile tag values cannot
 * grow it), which costs only one more copy of each value afterwards.
 */

/** Most distinct values kept; the table starts over past it. */
export const MAX_INTERNED = 50_000;
/** Longer values are kept as they are: a huge value is rare, and hashing it costs more than it saves. */
export const MAX_INTERNED_LENGTH = 1024;

const values = new Map<string, string>();

/** The shared copy of a value many objects hold (the value itself when it is too long to keep). */
export function intern(value: string): string {
  if (value.length > MAX_INTERNED_LENGTH) return value;
  const known = values.get(value);
  if (known !== undefined) return known;
  if (values.size >= MAX_INTERNED) values.clear();
  values.set(value, value);
  return value;
}
