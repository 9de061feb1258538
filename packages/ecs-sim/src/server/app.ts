import type { IncomingMessage, ServerResponse } from 'node:http';
import { type PipelineDeps, serveApi } from './pipeline.ts';

/** Largest accepted request body (AWS rejects far smaller bodies; this only guards the process). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** What the HTTP app needs: the pipeline's world and machinery, and the admin API. */
export interface AppDeps extends PipelineDeps {
  /** Handles `/_sim/...` admin routes. */
  admin: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>;
}

/** Reads the whole body; undefined once it passes MAX_BODY_BYTES (the request is then destroyed). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Builds the request handler: admin routes under `/_sim/`, everything else through the AWS request pipeline. */
export function buildApp(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const body = await readBody(req).catch(() => undefined);
      if (body === undefined) {
        if (!res.destroyed) {
          res.writeHead(413, { 'content-type': 'text/plain' });
          res.end('request body too large');
        }
        return;
      }
      if (req.url?.startsWith('/_sim/') || req.url === '/_sim') await deps.admin(req, res, body);
      else await serveApi(deps, req, res, body);
    })().catch((err: unknown) => {
      process.emitWarning(`ecs-sim: request failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"__type":"InternalFailure","message":"internal error"}');
      } else res.destroy();
    });
  };
}
