/**
 * Lone UTF-16 surrogates: JavaScript strings can hold them (JSON.parse of `"\ud800"` from an AWS
 * response does), UTF-8 cannot encode them. JSON.stringify escapes them, Prometheus's JSON parser
 * reads that escape as U+FFFD, and YAML cannot carry them at all; the outputs write U+FFFD instead.
 * (`String.prototype.toWellFormed` does the same from ES2024; the compile target is older.)
 */

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** True when the string has no lone surrogate (every surrogate is half of a pair). */
export function isWellFormed(value: string): boolean {
  if (!SURROGATE.test(value)) return true;
  LONE_SURROGATE.lastIndex = 0;
  return !LONE_SURROGATE.test(value);
}

/** The string with each lone surrogate replaced by U+FFFD (the string itself when it has none). */
export function toWellFormed(value: string): string {
  return isWellFormed(value) ? value : value.replace(LONE_SURROGATE, '\ufffd');
}
