/**
 * `--web.config.file`: TLS and basic auth for the web server in the exporter-toolkit format that
 * Prometheus exporters share (`tls_server_config`, `http_server_config`, `basic_auth_users` with
 * bcrypt hashes), so one file serves node_exporter and ecs-sd alike.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../config/issues.ts';
import { knownKeysAt } from '../config/schema-walk.ts';
import { ConfigError } from '../errors.ts';

/** exporter-toolkit's `client_auth_type` values, as Go's crypto/tls names them. */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
/** How a client certificate is asked for and checked. */
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

const BCRYPT_HASH = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** The exporter-toolkit web config file; keys ecs-sd cannot honour (cipher_suites, …) are errors, not ignored. */
export const WebConfigSchema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert_file: z.string().min(1),
      key_file: z.string().min(1),
      client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
      client_ca_file: z.string().min(1).optional(),
      min_version: z
        .enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]])
        .default('TLS12'),
      max_version: z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]]).optional(),
    })
    .optional(),
  http_server_config: z
    .strictObject({
      // Accepted for compatibility; ecs-sd serves HTTP/1.1.
      http2: z.boolean().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  basic_auth_users: z
    .record(
      z.string().min(1),
      // A custom check: its problem never quotes the value, which may be a password pasted by mistake.
      z.string().refine((value) => BCRYPT_HASH.test(value), {
        error: 'is not a bcrypt hash, expected e.g. $2y$10$ and 53 characters (the value is not shown)',
      }),
    )
    .optional(),
});

/** A loaded web config: PEM contents read, ready for `createWebServer`. */
export interface WebConfig {
  tls?: {
    cert: string;
    key: string;
    ca?: string;
    clientAuthType: ClientAuthType;
    minVersion: (typeof TLS_VERSIONS)[TlsVersionName];
    maxVersion?: (typeof TLS_VERSIONS)[TlsVersionName];
  };
  /** User name → bcrypt hash; undefined: no authentication. */
  basicAuthUsers?: ReadonlyMap<string, string>;
  headers: Readonly<Record<string, string>>;
}

/** Validates the parsed YAML of a web config; every problem at once as `path: message`. */
export function parseWebConfig(value: unknown, origin: string): z.infer<typeof WebConfigSchema> {
  const result = WebConfigSchema.safeParse(value ?? {}, { reportInput: true });
  if (result.success) {
    const tls = result.data.tls_server_config;
    if (tls?.client_auth_type === 'RequireAndVerifyClientCert' && tls.client_ca_file === undefined) {
      throw new ConfigError([
        `${origin}: tls_server_config.client_ca_file: is missing, expected a CA file for client_auth_type RequireAndVerifyClientCert`,
      ]);
    }
    return result.data;
  }
  throw new ConfigError(
    formatIssues(result.error.issues, { knownKeys: (path) => knownKeysAt(WebConfigSchema, path) }).map(
      (line) => `${origin}: ${line}`,
    ),
  );
}

/** Reads and validates a web config file and the PEM files it names (relative to the config file). */
export async function loadWebConfig(file: string): Promise<WebConfig> {
  const read = async (what: string, path: string): Promise<string> => {
    const full = resolve(dirname(file), path);
    try {
      return await readFile(full, 'utf8');
    } catch (err) {
      throw new ConfigError([`${file}: ${what}: reading "${full}" failed (${(err as Error).message})`], {
        cause: err,
      });
    }
  };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`web config file "${file}" cannot be read (${(err as Error).message})`], {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file}: is not valid YAML (${(err as Error).message})`], { cause: err });
  }
  const raw = parseWebConfig(parsed, file);
  const config: WebConfig = { headers: raw.http_server_config?.headers ?? {} };
  const tls = raw.tls_server_config;
  if (tls !== undefined) {
    config.tls = {
      cert: await read('tls_server_config.cert_file', tls.cert_file),
      key: await read('tls_server_config.key_file', tls.key_file),
      clientAuthType: tls.client_auth_type,
      minVersion: TLS_VERSIONS[tls.min_version],
      ...(tls.client_ca_file !== undefined && {
        ca: await read('tls_server_config.client_ca_file', tls.client_ca_file),
      }),
      ...(tls.max_version !== undefined && { maxVersion: TLS_VERSIONS[tls.max_version] }),
    };
  }
  if (raw.basic_auth_users !== undefined)
    config.basicAuthUsers = new Map(Object.entries(raw.basic_auth_users));
  return config;
}
