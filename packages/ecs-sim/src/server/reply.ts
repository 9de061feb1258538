import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WireResponse } from '../protocols/json.ts';

/**
 * How a call ends on the wire: a response, which a fault may mangle (`truncate`: the connection drops halfway through
 * the body; `malformed`: the body is not valid JSON or XML), or a connection reset with no response at all.
 */
export type Reply =
  | { kind: 'respond'; wire: WireResponse; mangle?: 'truncate' | 'malformed' | undefined }
  | { kind: 'reset' };

/** Step "send": writes a reply (nothing once the client has gone). */
export function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  if (reply.kind === 'reset') {
    req.socket.destroy();
    return;
  }
  const w = reply.wire;
  if (res.destroyed) return;
  if (reply.mangle === 'truncate') {
    const cut = w.body.slice(0, Math.max(1, Math.floor(w.body.length / 2)));
    res.writeHead(w.status, { ...w.headers, 'content-length': String(Buffer.byteLength(w.body)) });
    res.write(cut);
    // End the connection mid-body: the client sees a short read, as with a proxy that drops the stream.
    setImmediate(() => res.destroy());
    return;
  }
  let body = w.body;
  if (reply.mangle === 'malformed') {
    body = w.headers['content-type']?.includes('xml')
      ? '<?xml version="1.0"?><Broken><unclosed>'
      : '{"malformed": [tru';
  }
  res.writeHead(w.status, { ...w.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
