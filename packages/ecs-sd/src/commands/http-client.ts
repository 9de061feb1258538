/**
 * How the CLI asks a running ecs-sd (explain --url, healthcheck): one GET over HTTP or HTTPS, with
 * basic auth, a CA to trust or the daemon's own certificate pinned, a client certificate when the
 * daemon requires one, and a timeout; and what went wrong, in words. No message ever holds a
 * credential: URLs are shown without their user and password.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { ConfigError } from '../errors.ts';

/** Where the CLI writes. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The client flags of the command line. */
export interface ClientFlags {
  username?: string;
  passwordFile?: string;
  caFile?: string;
}

/** Reads a file a flag names; a problem names the flag, never the content. */
export async function readFlagFile(flag: string, path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(
      [`${flag}: cannot read ${JSON.stringify(path)} (${code}), expected a readable ${what}`],
      {
        cause: error,
      },
    );
  }
}

/** Basic auth from the flags (the password file's first line), else from the URL's user and password. */
export async function clientCredentials(
  flags: ClientFlags,
  url?: URL,
): Promise<ClientOptions['credentials']> {
  if (flags.username !== undefined) {
    const password =
      flags.passwordFile === undefined
        ? ''
        : (await readFlagFile('--url.password-file', flags.passwordFile, 'file holding the password')).split(
            /\r?\n/,
          )[0]!;
    return { username: flags.username, password };
  }
  if (url !== undefined && (url.username !== '' || url.password !== ''))
    return { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  return undefined;
}

/** How to reach the daemon. */
export interface ClientOptions {
  /** Basic auth; sent only over a connection whose server was verified (or plain HTTP, as given). */
  credentials?: { username: string; password: string };
  /** PEM CA certificates to trust instead of the system's (`--url.ca-file`). */
  ca?: string;
  /** Trust exactly this certificate (PEM, its first certificate), whatever its name: the daemon's own cert_file. */
  pinnedCert?: string;
  /** A client certificate and key, for a daemon that requires one. */
  clientCert?: { cert: string; key: string };
  timeoutMs: number;
}

/** The daemon's answer. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request that got no answer; the message says why in words, without credentials. */
export class RequestFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RequestFailedError';
  }
}

/** The URL without user and password, for messages: `https://127.0.0.1:9888/`. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    // Not a URL: drop anything that looks like userinfo before a host.
    return String(url).replace(/\/\/[^/@\s]*@/, '//');
  }
}

/** Answers read at most this long: a decision is small, a page of /api/v1/tasks is not asked for. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** Why a request got no answer, in words. */
export function describeRequestError(error: unknown, url: URL, timeoutMs: number): string {
  const where = `${url.protocol}//${url.host}`;
  const err = error as NodeJS.ErrnoException & { reason?: string };
  const code = err?.code ?? '';
  if (err?.name === 'TimeoutError' || code === 'ETIMEDOUT')
    return `no answer from ${where} within ${timeoutMs / 1000}s`;
  if (code === 'ECONNREFUSED') return `nothing listens at ${where} (connection refused)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host ${JSON.stringify(url.hostname)} not found`;
  if (code === 'ECONNRESET' || err?.message === 'socket hang up')
    return `${where} closed the connection without an answer${url.protocol === 'http:' ? ' (does the daemon serve https? then use an https:// URL)' : ''}`;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || /wrong version number/i.test(err?.message ?? ''))
    return `the TLS handshake with ${where} failed (${err.message.split('\n')[0]})${url.protocol === 'https:' ? '; does the daemon serve plain HTTP? then use an http:// URL' : ''}`;
  if (TLS_TRUST_CODES.has(code))
    return `the TLS certificate of ${where} is not trusted (${code}), expected it signed by a CA given with --url.ca-file`;
  if (code === 'CERT_HAS_EXPIRED') return `the TLS certificate of ${where} has expired`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the TLS certificate of ${where} is not for ${JSON.stringify(url.hostname)} (${err.reason ?? code})`;
  if (code === 'ECS_SD_CERT_NOT_PINNED')
    return `${where} presented another certificate than the daemon's tls_server_config.cert_file`;
  return `asking ${where} failed: ${err?.message ?? String(error)}`;
}

/** What an answer that is not 200 means, in words; undefined for statuses the caller reads itself. */
export function describeStatus(answer: HttpAnswer, sentCredentials: boolean): string | undefined {
  const retry = answer.headers['retry-after'];
  switch (answer.status) {
    case 401:
      return sentCredentials
        ? '401 Unauthorized: wrong user name or password'
        : '401 Unauthorized: the daemon asks for basic auth, expected --url.username and --url.password-file';
    case 403:
      return `403 Forbidden: ${answer.body.trim() || 'refused'}`;
    case 429:
      return `429 Too Many Requests: too many failed authentications from this address${retry === undefined ? '' : `, retry in ${retry}s`}`;
    default:
      return undefined;
  }
}

/** The first certificate of a PEM bundle. */
function firstCertificate(pem: string): X509Certificate {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  return new X509Certificate(match?.[0] ?? pem);
}

/** GETs `url`; resolves with any answer, rejects with a `RequestFailedError` when none came. */
export function get(url: URL, options: ClientOptions): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json, text/plain' };
  if (options.credentials !== undefined) {
    const { username, password } = options.credentials;
    headers['authorization'] = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  const target = new URL(url.href);
  target.username = '';
  target.password = '';
  const pinned = options.pinnedCert === undefined ? undefined : firstCertificate(options.pinnedCert);
  const tls =
    target.protocol === 'https:'
      ? {
          ...(pinned === undefined
            ? options.ca === undefined
              ? {}
              : { ca: options.ca }
            : {
                // Trust the daemon's own certificate as an anchor, whatever CA issued it, and only it.
                ca: options.pinnedCert,
                allowPartialTrustChain: true,
                checkServerIdentity: (_host: string, cert: PeerCertificate) =>
                  cert.fingerprint256 === pinned.fingerprint256
                    ? undefined
                    : Object.assign(new Error('another certificate'), { code: 'ECS_SD_CERT_NOT_PINNED' }),
              }),
          ...(options.clientCert === undefined ? {} : options.clientCert),
        }
      : {};
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) =>
      reject(
        new RequestFailedError(describeRequestError(error, target, options.timeoutMs), { cause: error }),
      );
    const req = send(
      target,
      { method: 'GET', headers, signal: AbortSignal.timeout(options.timeoutMs), ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) res.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', fail);
      },
    );
    req.on('error', (error: Error) =>
      fail(error.cause instanceof Error && error.name === 'AbortError' ? error.cause : error),
    );
    req.end();
  });
}
