/** Parsing of the small values conventions carry as strings (ports, booleans, schemes). */

/** A TCP port number 1–65535 written in decimal digits only, undefined otherwise. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text.trim())) return undefined;
  const port = Number(text.trim());
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** true/1/yes/on and false/0/no/off (any case); undefined for anything else. */
export function parseBool(text: string): boolean | undefined {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off', ''].includes(value)) return false;
  return undefined;
}

/** `http` or `https` (any case), undefined otherwise. */
export function parseScheme(text: string): 'http' | 'https' | undefined {
  const value = text.trim().toLowerCase();
  return value === 'http' || value === 'https' ? value : undefined;
}

/** Longest value a message quotes whole; a longer one is cut to its first 64 characters and its length. */
const QUOTE_MAX = 256;
const QUOTE_HEAD = 64;

/** A value quoted for a message or the explain text; a value of 40,000 characters does not make a 40 KB message. */
export function quote(value: string): string {
  if (value.length <= QUOTE_MAX) return JSON.stringify(value);
  let head = value.slice(0, QUOTE_HEAD);
  // Never cut a surrogate pair in two.
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return `${JSON.stringify(`${head}…`)} (${value.length} characters)`;
}
