/**
 * Streaming of large JSON responses: serialised item by item into chunks of about `CHUNK_BYTES`,
 * written one at a time with backpressure and a turn of the event loop between two chunks, so one
 * response holds neither the whole body in memory nor the event loop for its whole length.
 */
import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Target size of one write: large enough to amortise the writes, small enough to yield often. */
export const CHUNK_BYTES = 64 * 1024;
/** A client that reads nothing for this long is cut off: its response holds the decisions it was promised. */
export const STALL_MS = 30_000;

/**
 * `prefix`, the items as JSON separated by commas, then `suffix`, in chunks of about `chunkBytes`
 * (an item larger than that is a chunk of its own). Lazy: an item is serialised when its chunk is asked for.
 */
export function* jsonArrayChunks(
  prefix: string,
  items: Iterable<unknown>,
  suffix: string,
  chunkBytes: number = CHUNK_BYTES,
): Generator<string> {
  let chunk = prefix;
  let first = true;
  for (const item of items) {
    chunk += (first ? '' : ',') + JSON.stringify(item);
    first = false;
    // String length counts UTF-16 units, close enough to bytes for a chunk size.
    if (chunk.length >= chunkBytes) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk + suffix;
}

/** Resolves true on 'drain', false when the response closes first or the client stalls (then it is destroyed). */
function drained(res: ServerResponse, stallMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => {
      res.destroy();
      done(false);
    }, stallMs);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Writes `chunks` to a response whose head is already written, then ends it: waits for 'drain'
 * when the socket's buffer is full, yields to the event loop between chunks, stops when the
 * client goes away.
 */
export async function writeChunks(
  res: ServerResponse,
  chunks: Iterable<string>,
  stallMs: number = STALL_MS,
): Promise<void> {
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (res.write(chunk)) await nextTurn();
    else if (!(await drained(res, stallMs))) return;
  }
  res.end();
}
