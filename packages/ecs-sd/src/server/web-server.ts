/**
 * The web server of a loaded web config (web-config.ts): plain HTTP, as exporters do, or TLS with
 * client certificates as configured; basic auth; extra response headers. A reload
 * (`applyWebConfig`) swaps the users, the headers and the TLS certificate and key for the next
 * connection and request; switching TLS on or off, or the kind of client certificate asked for,
 * needs a restart, and the reload says so.
 */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import {
  type BasicAuthHandler,
  type BasicAuthOptions,
  createWorkerVerifier,
  withBasicAuth,
} from './basic-auth.ts';
import type { WebConfig } from './web-config.ts';

/** Options of `createWebServer`: what basic auth counts in and, for tests, its verifier, limits and clock. */
export type WebServerOptions = BasicAuthOptions;

/** An http or https server (not yet listening) whose web config a reload can replace. */
export type WebServer = (Server | HttpsServer) & {
  /**
   * Applies a reloaded web config to the next requests (users, headers) and TLS connections
   * (certificate, key, CA, versions); returns one line per setting that needs a restart instead.
   */
  applyWebConfig(next: WebConfig | undefined): string[];
};

function secureContextOptions(tls: NonNullable<WebConfig['tls']>) {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca !== undefined && { ca: tls.ca }),
    minVersion: tls.minVersion,
    ...(tls.maxVersion !== undefined && { maxVersion: tls.maxVersion }),
  };
}

/**
 * A server for the app with the web config's TLS, basic auth and headers. Without a config: plain
 * HTTP. Closing the server stops basic auth's bcrypt worker.
 */
export function createWebServer(
  config: WebConfig | undefined,
  listener: RequestListener,
  options: WebServerOptions = {},
): WebServer {
  // One worker for the server's life: a reload builds new users and caches around the same one.
  const verifier = options.verifier ?? createWorkerVerifier();
  let auth: BasicAuthHandler | undefined;
  let headers: [string, string][] = [];
  const apply = (next: WebConfig | undefined) => {
    auth =
      next?.basicAuthUsers === undefined
        ? undefined
        : withBasicAuth(next.basicAuthUsers, listener, { ...options, verifier });
    headers = Object.entries(next?.headers ?? {});
  };
  apply(config);
  const handler: RequestListener = (req, res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    (auth?.listener ?? listener)(req, res);
  };
  const tls = config?.tls;
  let server: Server | HttpsServer;
  if (tls === undefined) {
    server = createHttpServer(handler);
  } else {
    const mode = tls.clientAuthType;
    const withClientCheck: RequestListener = (req, res) => {
      const socket = req.socket as TLSSocket;
      // An empty object when the client sent no certificate.
      const given = Object.keys(socket.getPeerCertificate()).length > 0;
      if (
        (mode === 'RequireAnyClientCert' && !given) ||
        (mode === 'VerifyClientCertIfGiven' && given && !socket.authorized)
      ) {
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('client certificate rejected\n');
        return;
      }
      handler(req, res);
    };
    server = createHttpsServer(
      {
        ...secureContextOptions(tls),
        requestCert: mode !== 'NoClientCert',
        rejectUnauthorized: mode === 'RequireAndVerifyClientCert',
      },
      mode === 'NoClientCert' || mode === 'RequestClientCert' || mode === 'RequireAndVerifyClientCert'
        ? handler
        : withClientCheck,
    );
  }
  server.on('close', () => void verifier.close());
  return Object.assign(server, {
    applyWebConfig(next: WebConfig | undefined): string[] {
      const restart: string[] = [];
      const nextTls = next?.tls;
      if ((tls === undefined) !== (nextTls === undefined)) {
        restart.push(
          `tls_server_config: TLS ${tls === undefined ? 'on' : 'off'}, which takes effect only on a restart; the server keeps serving ${tls === undefined ? 'plain HTTP' : 'TLS'} with the previous certificate`,
        );
      } else if (tls !== undefined && nextTls !== undefined) {
        if (tls.clientAuthType !== nextTls.clientAuthType)
          restart.push(
            `tls_server_config.client_auth_type: changed from ${tls.clientAuthType} to ${nextTls.clientAuthType}, which takes effect only on a restart`,
          );
        (server as HttpsServer).setSecureContext(secureContextOptions(nextTls));
      }
      apply(next);
      return restart;
    },
  });
}
