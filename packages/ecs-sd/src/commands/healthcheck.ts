/**
 * `ecs-sd healthcheck`: probes the daemon that the same flags, environment and config file
 * describe, for a container health check (the image's HEALTHCHECK, the kits' ECS health checks).
 * It reads what the daemon reads: the listen address (an unspecified host is probed on loopback),
 * and the web config file: https when it sets TLS, trusting exactly the daemon's own certificate
 * (`cert_file`, whatever names it holds) and presenting it as client certificate when the daemon
 * requires one.
 *
 * Basic auth: the web config holds only bcrypt hashes, so a probe cannot know a password. With
 * `--url.username` and `--url.password-file` it sends them and needs 200 from `/-/healthy`. Without
 * them, a 401 that asks for basic auth (`WWW-Authenticate: Basic`) counts as alive: ecs-sd's auth
 * answers it on the same event loop as every endpoint, without a bcrypt check or a failure counted.
 */
import type { Config } from '../config/types.ts';
import { parseListenAddress } from '../lib/listen-address.ts';
import type { WebConfig } from '../server/web-config.ts';
import {
  type ClientFlags,
  type CommandIo,
  clientCredentials,
  describeStatus,
  get,
  RequestFailedError,
} from './http-client.ts';

/** A probe waits this long: under the 5 s timeout of the image's and the kits' health checks. */
export const HEALTHCHECK_TIMEOUT_MS = 4000;

/** The URL of the daemon's /-/healthy, from its listen address and web config. */
export function healthUrl(listenAddress: string, web: WebConfig | undefined): URL {
  const parsed = parseListenAddress(listenAddress);
  if (!parsed.ok) throw new Error(`web.listen_address: ${parsed.message}`);
  const { host, port } = parsed.value;
  if (port === 0)
    throw new Error(
      `web.listen_address "${listenAddress}" has port 0 (any free port), expected a fixed port to probe`,
    );
  // Listening on every interface (":9888", 0.0.0.0, ::) includes loopback.
  const probe =
    host === undefined || host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostPart = probe.includes(':') ? `[${probe}]` : probe;
  return new URL(`${web?.tls === undefined ? 'http' : 'https'}://${hostPart}:${port}/-/healthy`);
}

/** Probes the daemon; 0 when it answers as alive, 1 otherwise (one line saying why). */
export async function healthcheck(
  config: Config,
  web: WebConfig | undefined,
  flags: ClientFlags,
  io: CommandIo,
): Promise<number> {
  let url: URL;
  try {
    url = healthUrl(config.web.listenAddress, web);
  } catch (error) {
    io.stderr(`ecs-sd healthcheck: ${(error as Error).message}\n`);
    return 1;
  }
  const credentials = await clientCredentials(flags);
  const tls = web?.tls;
  const requiresClientCert =
    tls?.clientAuthType === 'RequireAnyClientCert' || tls?.clientAuthType === 'RequireAndVerifyClientCert';
  let answer: Awaited<ReturnType<typeof get>>;
  try {
    answer = await get(url, {
      timeoutMs: HEALTHCHECK_TIMEOUT_MS,
      ...(credentials === undefined ? {} : { credentials }),
      ...(tls === undefined ? {} : { pinnedCert: tls.cert }),
      ...(requiresClientCert && tls !== undefined ? { clientCert: { cert: tls.cert, key: tls.key } } : {}),
    });
  } catch (error) {
    io.stderr(`ecs-sd healthcheck: ${error instanceof RequestFailedError ? error.message : String(error)}\n`);
    return 1;
  }
  if (answer.status === 200) {
    io.stdout(`ecs-sd at ${url.origin} is healthy\n`);
    return 0;
  }
  const asksForBasicAuth = /^Basic\b/i.test(String(answer.headers['www-authenticate'] ?? ''));
  if (
    answer.status === 401 &&
    credentials === undefined &&
    asksForBasicAuth &&
    web?.basicAuthUsers !== undefined
  ) {
    io.stdout(
      `ecs-sd at ${url.origin} is up (401 without credentials: basic auth is on; --url.username and --url.password-file check /-/healthy itself)\n`,
    );
    return 0;
  }
  const words =
    describeStatus(answer, credentials !== undefined) ??
    `${answer.status}: ${answer.body.trim().split('\n')[0] ?? ''}`;
  io.stderr(`ecs-sd healthcheck: ${url.origin}/-/healthy answered ${words}\n`);
  return 1;
}
