import { invalidParameter } from '../protocols/errors.ts';

/** Encodes an opaque `nextToken` pointing after the item with this sequence number. */
export function encodeToken(kind: string, seq: number): string {
  return Buffer.from(JSON.stringify({ k: kind, s: seq })).toString('base64url');
}

/** Decodes a `nextToken`; a token from another call or garbage is an InvalidParameterException as on ECS. */
export function decodeToken(kind: string, token: string | undefined, error = invalidParameter): number {
  if (token === undefined || token === '') return -1;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; s?: unknown };
    if (v.k === kind && typeof v.s === 'number') return v.s;
  } catch {
    // fall through
  }
  throw error('Invalid token: the nextToken value is not valid for this request.');
}

/** Takes up to `max` items after `afterSeq`, in sequence order, and the token for the next page. */
export function page<T>(
  items: Iterable<T>,
  seqOf: (t: T) => number,
  afterSeq: number,
  max: number,
  kind: string,
): { items: T[]; nextToken: string | undefined } {
  const out: T[] = [];
  let more = false;
  for (const it of items) {
    if (seqOf(it) <= afterSeq) continue;
    if (out.length === max) {
      more = true;
      break;
    }
    out.push(it);
  }
  const last = out[out.length - 1];
  return { items: out, nextToken: more && last !== undefined ? encodeToken(kind, seqOf(last)) : undefined };
}
