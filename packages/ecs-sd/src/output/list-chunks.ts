/**
 * The text of a rendered list (`RenderedParts` of target-groups.ts) in chunks: as strings, or as
 * UTF-8 bytes to write to a file. Each group's text is already rendered; this adds the brackets and
 * separators of the style, and never builds the whole list as one string.
 */

/**
 * How a list is serialized: `file` as file_sd's JSON (2-space indent, final newline), `compact` for
 * http_sd, `yaml` as file_sd's YAML (block style, scalars Prometheus's YAML 1.1 parser reads exactly).
 */
export type GroupsStyle = 'file' | 'compact' | 'yaml';

/** Length of the chunks `listChunks` yields (code units): big enough for few writes, small beside a file. */
export const CHUNK_LENGTH = 1024 * 1024;

/** The brackets and separators of a list in a style: text before the first group, between two, after the last. */
function listFrame(style: GroupsStyle): readonly [string, string, string] {
  return style === 'compact'
    ? ['[', ',', ']']
    : style === 'yaml'
      ? ['', '\n', '\n']
      : ['[\n', ',\n', '\n]\n'];
}

/**
 * The text of a list of rendered groups, in chunks of about `chunkLength` code units: joined, they
 * are exactly `file` (`JSON.stringify(groups, null, 2)` and a newline), `compact` or `yaml`.
 */
export function* listChunks(
  parts: readonly string[],
  style: GroupsStyle,
  chunkLength: number = CHUNK_LENGTH,
): Generator<string> {
  if (parts.length === 0) {
    yield style === 'compact' ? '[]' : '[]\n';
    return;
  }
  const [open, separator, close] = listFrame(style);
  let chunk: string[] = [open];
  let length = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) chunk.push(separator);
    chunk.push(parts[i]!);
    length += parts[i]!.length;
    if (length >= chunkLength) {
      yield chunk.join('');
      chunk = [];
      length = 0;
    }
  }
  chunk.push(close);
  yield chunk.join('');
}

/**
 * The UTF-8 bytes of a list of rendered groups (the text of `listChunks`), in chunks of about
 * `chunkBytes`. What a file is written from: each group is encoded on its own and the chunk's bytes
 * concatenated, several times cheaper than joining 1 MiB strings and encoding those (a 5% churn of
 * the 10,000-task fleet rewrites 23 MB).
 */
export function* listByteChunks(
  parts: readonly string[],
  style: GroupsStyle,
  chunkBytes: number = CHUNK_LENGTH,
): Generator<Buffer> {
  if (parts.length === 0) {
    yield Buffer.from(style === 'compact' ? '[]' : '[]\n', 'utf8');
    return;
  }
  const [open, separator, close] = listFrame(style).map((text) => Buffer.from(text, 'utf8'));
  let chunk: Buffer[] = [open!];
  let length = open!.length;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) {
      chunk.push(separator!);
      length += separator!.length;
    }
    const bytes = Buffer.from(parts[i]!, 'utf8');
    chunk.push(bytes);
    length += bytes.length;
    if (length >= chunkBytes) {
      yield Buffer.concat(chunk, length);
      chunk = [];
      length = 0;
    }
  }
  chunk.push(close!);
  yield Buffer.concat(chunk, length + close!.length);
}
