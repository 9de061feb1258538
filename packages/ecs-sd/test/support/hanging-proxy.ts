/**
 * Endpoints that never answer, as a hung AWS endpoint or a black-holed connection looks to the SDK:
 * a proxy in front of ecs-sim that forwards every call except those `hold` picks, which it reads
 * and then keeps open without a byte of answer; and a listener that accepts connections and never
 * reads or writes at all. Both listen on 127.0.0.1 and end every connection on close().
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { clusterNameFromArn } from '../../src/lib/arn.ts';

/** One call as the proxy saw it: the API operation and, for ECS calls naming one, the cluster name. */
export interface ProxiedCall {
  operation: string;
  cluster: string | undefined;
}

/** A forwarding proxy that holds chosen calls open forever. */
export interface HangingProxy {
  /** `http://127.0.0.1:PORT`, the endpoint to give the SDK (or ecs-sd's `sources[].endpoint`). */
  readonly endpoint: string;
  /** Which calls to hold open; undefined (the default) forwards every call. */
  hold: ((call: ProxiedCall) => boolean) | undefined;
  /** Every call held so far, in order. */
  held(): ProxiedCall[];
  /** Calls held open right now (not yet given up by the client). */
  open(): number;
  /** Holds nothing more and resets the held connections (the SDK sees ECONNRESET and retries). */
  release(): void;
  close(): Promise<void>;
}

/** The operation of an AWS call: `X-Amz-Target` (JSON protocols) or `Action=` (Query protocol). */
function operationOf(headers: IncomingMessage['headers'], body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  return new URLSearchParams(body).get('Action') ?? 'Unknown';
}

/** The cluster name of an ECS call's `cluster` member (a name or an ARN), if it has one. */
function clusterOf(body: string): string | undefined {
  try {
    const cluster = (JSON.parse(body) as { cluster?: unknown }).cluster;
    return typeof cluster === 'string' ? clusterNameFromArn(cluster) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a proxy to `target` (e.g. ecs-sim's endpoint) on 127.0.0.1:0. */
export async function startHangingProxy(target: string): Promise<HangingProxy> {
  const upstream = new URL(target);
  const heldCalls: ProxiedCall[] = [];
  const holding = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const call = { operation: operationOf(req.headers, text), cluster: clusterOf(text) };
      if (proxy.hold?.(call)) {
        heldCalls.push(call);
        holding.add(res);
        res.on('close', () => holding.delete(res));
        return;
      }
      forward(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const proxy: HangingProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    hold: undefined,
    held: () => [...heldCalls],
    open: () => holding.size,
    release() {
      proxy.hold = undefined;
      for (const res of holding) res.socket?.destroy();
    },
    async close() {
      proxy.release();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** A listener that accepts TCP connections and never reads or writes: every call to it hangs. */
export interface BlackHole {
  readonly endpoint: string;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections open right now (a call the client has not given up yet). */
  open(): number;
  close(): Promise<void>;
}

/** Starts a black hole on 127.0.0.1:0. */
export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createTcpServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Never read: the request sits in the kernel's buffers, unanswered.
    socket.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    open: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
