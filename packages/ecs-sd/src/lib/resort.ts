/**
 * `items` sorted by `compare`, reusing `previous`, the same kind of list sorted by the same order
 * earlier: the items still there keep their order and only the new ones are sorted and merged in,
 * so after a 5% change 5% is sorted. Items are told apart by identity; a list holding one item
 * twice is sorted from scratch.
 */
export function resort<T>(
  items: readonly T[],
  previous: readonly T[] | undefined,
  compare: (a: T, b: T) => number,
): T[] {
  if (previous !== undefined) {
    const current = new Set(items);
    const known = new Set(previous);
    const kept = previous.filter((item) => current.has(item));
    const added = items.filter((item) => !known.has(item)).sort(compare);
    if (current.size === items.length && kept.length + added.length === items.length) {
      return merge(kept, added, compare);
    }
  }
  return [...items].sort(compare);
}

/** Two sorted lists as one, the first's items first among equals. */
function merge<T>(a: readonly T[], b: readonly T[], compare: (a: T, b: T) => number): T[] {
  const merged: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) merged.push(compare(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) merged.push(a[i++]!);
  while (j < b.length) merged.push(b[j++]!);
  return merged;
}
