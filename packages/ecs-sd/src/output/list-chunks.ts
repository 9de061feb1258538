/**
 * The text of a rendered list (the group texts of target-groups.ts, produced one by one) in chunks:
 * as strings, or as UTF-8 bytes to write to a file. This adds the brackets and separators of the
 * style, and never builds the whole list as one string.
 */

/**
 * How a list is serialized: `file` as file_sd's JSON (2-space indent, final newline), `compact` for
 * http_sd, `yaml` as file_sd's YAML (block style, scalars Prometheus's YAML 1.1 parser reads exactly).
 */
export type GroupsStyle = 'file' | 'compact' | 'yaml';

/** Length of the chunks `listChunks` yields (code units; bytes for `listByteChunks`): big enough for few writes, small beside a file. */
export const CHUNK_LENGTH = 1024 * 1024;

/** The brackets and separators of a list in a style: text before the first group, between two, after the last. */
function listFrame(style: GroupsStyle): readonly [string, string, string] {
  return style === 'compact'
    ? ['[', ',', ']']
    : style === 'yaml'
      ? ['', '\n', '\n']
      : ['[\n', ',\n', '\n]\n'];
}

/** The pieces of a list's text in order: the groups' texts framed by the style's brackets and separators. */
function* framed(texts: Iterable<string>, style: GroupsStyle): Generator<string> {
  const [open, separator, close] = listFrame(style);
  let first = true;
  for (const text of texts) {
    yield first ? open : separator;
    yield text;
    first = false;
  }
  yield first ? (style === 'compact' ? '[]' : '[]\n') : close;
}

/**
 * The text of a list of rendered groups, in chunks of about `chunkLength` code units: joined, they
 * are exactly `file` (`JSON.stringify(groups, null, 2)` and a newline), `compact` or `yaml`.
 */
export function* listChunks(
  texts: Iterable<string>,
  style: GroupsStyle,
  chunkLength: number = CHUNK_LENGTH,
): Generator<string> {
  let chunk: string[] = [];
  let length = 0;
  for (const piece of framed(texts, style)) {
    chunk.push(piece);
    length += piece.length;
    if (length >= chunkLength) {
      yield chunk.join('');
      chunk = [];
      length = 0;
    }
  }
  if (chunk.length > 0) yield chunk.join('');
}

/** Most UTF-8 bytes one UTF-16 code unit of well-formed text encodes to (a surrogate pair: 4 for 2). */
const MAX_BYTES_PER_UNIT = 3;

/**
 * The UTF-8 bytes of a list of rendered groups (the text of `listChunks`), in chunks of about
 * `chunkBytes`. What a file is written from: each piece is encoded straight into the chunk's
 * buffer, with no string joined and no per-group buffer (a 5% churn of the 10,000-task fleet
 * rewrites 23 MB). The texts must be well-formed (no lone surrogates; target-groups replaces them).
 */
export function* listByteChunks(
  texts: Iterable<string>,
  style: GroupsStyle,
  chunkBytes: number = CHUNK_LENGTH,
): Generator<Buffer> {
  // A chunk of any length is written from buffers of at most CHUNK_LENGTH (bigger for a bigger piece).
  const capacity = Math.min(chunkBytes, CHUNK_LENGTH);
  let buffer = Buffer.allocUnsafe(capacity);
  let used = 0;
  for (const piece of framed(texts, style)) {
    if (used + piece.length * MAX_BYTES_PER_UNIT > buffer.length) {
      const bytes = Buffer.byteLength(piece, 'utf8');
      if (used + bytes > buffer.length) {
        if (used > 0) yield buffer.subarray(0, used);
        buffer = Buffer.allocUnsafe(Math.max(capacity, bytes));
        used = 0;
      }
    }
    used += buffer.write(piece, used, 'utf8');
    if (used >= capacity) {
      yield buffer.subarray(0, used);
      buffer = Buffer.allocUnsafe(capacity);
      used = 0;
    }
  }
  if (used > 0) yield buffer.subarray(0, used);
}
