/** Label name helpers shared by every convention. */

/** A label name made of `[a-zA-Z0-9_]`: every other character becomes `_`, as Prometheus's strutil.SanitizeLabelName does for tags. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** True for a name Prometheus accepts as a label name and that is not reserved (`__` prefix). */
export function isUserLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) && !name.startsWith('__');
}
