/**
 * YAML scalars that Prometheus reads back exactly. Prometheus parses file_sd YAML with go-yaml
 * (YAML 1.1), whose reader refuses a whole file for one control character (C0 other than tab and
 * line breaks, DEL, C1, U+FFFE, U+FFFF; lone surrogates cannot even be encoded), and which treats
 * U+0085, U+2028 and U+2029 as line breaks, so a label value holding one changes or breaks the file.
 * A string is written plain only when it is made of characters both parsers read as themselves and
 * no YAML 1.1 or 1.2 resolver reads it as anything but that string (`yes`, `0x1f`, `1e3`, `~`, …);
 * otherwise double-quoted, with every other character escaped (`\xXX`, `\uXXXX`).
 * Pure.
 */
import { toWellFormed } from './unicode.ts';

/** Characters written raw: printable ASCII and non-ASCII other than C1, line/paragraph separators, BOM, U+FFFE/U+FFFF. */
const RAW = /^[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;

/** One character that is not written raw (a surrogate pair is one character, so astral ones stay raw). */
const NOT_RAW = /[^\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/gu;

/**
 * Shapes a plain scalar cannot take: a leading indicator or space, `- `, `? `, `: ` or ` #` inside,
 * a trailing space or colon, a document marker at the start.
 */
const NOT_PLAIN = /^[ ,[\]{}#&*!|>'"%@`]|^[?:-]( |$)|: | #| $|:$|^(---|\.\.\.)/;

/**
 * Plain scalars that some YAML 1.1 or 1.2 resolver reads as null, a boolean, a number, a timestamp,
 * a merge key or a value key. go-yaml keeps the text of such a scalar when the target is a string,
 * except null (`~`, `null`, empty): that becomes "". Quoting all of them keeps every reader exact.
 */
const RESOLVES = [
  /^(~|null|Null|NULL)$/,
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  // Integers and floats, 1.1 and 1.2 (underscores, 0b/0o/0x, exponents without a dot as Go's ParseFloat reads them).
  /^[-+]?[0-9_]*\.?[0-9_]*([eE][-+]?[0-9]+)?$/,
  /^[-+]?0[bB][01_]+$/,
  /^[-+]?0[oO][0-7_]+$/,
  /^[-+]?0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*([pP][-+]?[0-9]+)?$/,
  // Sexagesimal (base 60) integers and floats of YAML 1.1: 1:20, 190:20:30.15.
  /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/,
  /^[-+]?\.(inf|Inf|INF)$/,
  /^\.(nan|NaN|NAN)$/,
  /^[-+](inf|infinity|nan)$/i,
  // Timestamps of YAML 1.1: 2001-12-14, 2001-12-14t21:59:43.10-05:00.
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
  /^(<<|=)$/,
];

function escapeChar(char: string): string {
  switch (char) {
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    default: {
      const code = char.codePointAt(0)!;
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
}

/** The string as a double-quoted YAML scalar: `"` and `\` escaped, every character not written raw as an escape. */
export function doubleQuoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`).replace(NOT_RAW, escapeChar)}"`;
}

/** True when the string can be written as a plain scalar and every YAML reader reads back exactly it. */
export function plainSafe(value: string): boolean {
  if (value === '' || !RAW.test(value) || NOT_PLAIN.test(value)) return false;
  if (/^[-+.0-9~<=nNyYtTfFoO]/.test(value) && RESOLVES.some((pattern) => pattern.test(value))) return false;
  return true;
}

/**
 * A string as a YAML scalar Prometheus reads back exactly: plain when that is safe, else
 * double-quoted with escapes. Lone surrogates (not UTF-16, not encodable in UTF-8) become U+FFFD,
 * which is what Prometheus's JSON parser makes of the `\udXXX` escape JSON.stringify writes for them.
 */
export function yamlScalar(value: string): string {
  const wellFormed = toWellFormed(value);
  return plainSafe(wellFormed) ? wellFormed : doubleQuoted(wellFormed);
}
