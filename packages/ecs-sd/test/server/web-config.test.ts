import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { ConfigError } from '../../src/errors.ts';
import { loadWebConfig, parseWebConfig, type WebConfig } from '../../src/server/web-config.ts';
import { createWebServer } from '../../src/server/web-server.ts';
import { CA_CERT, CLIENT_CERT, CLIENT_KEY, SERVER_CERT, SERVER_KEY } from './tls-fixtures.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecs-sd-web-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hash = bcrypt.hashSync('s3cret', 4);
const hello = (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello\n');
};

async function listen(server: Server | import('node:https').Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server | import('node:https').Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function get(
  port: number,
  options: { auth?: string; cert?: string; key?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: CA_CERT,
        agent: false,
        ...(options.auth !== undefined && { auth: options.auth }),
        ...(options.cert !== undefined && { cert: options.cert, key: options.key }),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('loads the exporter-toolkit format, with files relative to the config file', async () => {
  await writeFile(join(dir, 'server.crt'), SERVER_CERT);
  await writeFile(join(dir, 'server.key'), SERVER_KEY);
  const file = join(dir, 'web.yml');
  await writeFile(
    file,
    [
      'tls_server_config:',
      '  cert_file: server.crt',
      '  key_file: server.key',
      'http_server_config:',
      '  headers:',
      '    X-Frame-Options: deny',
      'basic_auth_users:',
      `  prometheus: '${hash}'`,
      '',
    ].join('\n'),
  );
  const config = await loadWebConfig(file);
  assert.equal(config.tls?.cert, SERVER_CERT);
  assert.equal(config.tls?.minVersion, 'TLSv1.2');
  assert.equal(config.tls?.clientAuthType, 'NoClientCert');
  assert.equal(config.basicAuthUsers?.get('prometheus'), hash);
  assert.deepEqual(config.headers, { 'X-Frame-Options': 'deny' });
});

test('reports every problem of a web config at once, naming the file and the key', () => {
  const error = (() => {
    try {
      parseWebConfig(
        { tls_server_config: { cert_file: 'a', cipher_suites: [] }, basic_auth_users: { u: 'plain' } },
        'web.yml',
      );
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  assert.ok(error instanceof ConfigError);
  const problems = error.problems.join('\n');
  assert.match(
    problems,
    /^web\.yml: tls_server_config\.cipher_suites: unknown key, expected one of cert_file, /m,
  );
  assert.match(problems, /^web\.yml: tls_server_config\.key_file: /m);
  assert.match(problems, /^web\.yml: basic_auth_users\.u: is not a bcrypt hash/m);
  assert.throws(
    () =>
      parseWebConfig(
        {
          tls_server_config: {
            cert_file: 'a',
            key_file: 'b',
            client_auth_type: 'RequireAndVerifyClientCert',
          },
        },
        'web.yml',
      ),
    /client_ca_file: is missing/,
  );
});

test('a missing certificate file is a config error naming it', async () => {
  const file = join(dir, 'missing.yml');
  await writeFile(file, 'tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n');
  await assert.rejects(loadWebConfig(file), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /tls_server_config\.cert_file: reading ".*nope\.crt" failed/);
    return true;
  });
});

test('serves HTTPS behind basic auth with bcrypt hashes', async () => {
  const config: WebConfig = {
    tls: { cert: SERVER_CERT, key: SERVER_KEY, clientAuthType: 'NoClientCert', minVersion: 'TLSv1.2' },
    basicAuthUsers: new Map([['prometheus', hash]]),
    headers: { 'X-Frame-Options': 'deny' },
  };
  const server = createWebServer(config, hello);
  const port = await listen(server);
  try {
    const anonymous = await get(port);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Basic');
    assert.equal((await get(port, { auth: 'prometheus:wrong' })).status, 401);
    assert.equal((await get(port, { auth: 'nobody:s3cret' })).status, 401);
    for (let i = 0; i < 2; i++) {
      const ok = await get(port, { auth: 'prometheus:s3cret' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body, 'hello\n');
      assert.equal(ok.headers['x-frame-options'], 'deny');
    }
  } finally {
    await close(server);
  }
});

test('RequireAndVerifyClientCert refuses clients without a certificate signed by the CA', async () => {
  const config: WebConfig = {
    tls: {
      cert: SERVER_CERT,
      key: SERVER_KEY,
      ca: CA_CERT,
      clientAuthType: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.2',
    },
    headers: {},
  };
  const server = createWebServer(config, hello);
  const port = await listen(server);
  try {
    await assert.rejects(get(port));
    assert.equal((await get(port, { cert: CLIENT_CERT, key: CLIENT_KEY })).status, 200);
  } finally {
    await close(server);
  }
});

test('RequireAnyClientCert answers 403 to a client without a certificate', async () => {
  const config: WebConfig = {
    tls: {
      cert: SERVER_CERT,
      key: SERVER_KEY,
      clientAuthType: 'RequireAnyClientCert',
      minVersion: 'TLSv1.2',
    },
    headers: {},
  };
  const server = createWebServer(config, hello);
  const port = await listen(server);
  try {
    assert.equal((await get(port)).status, 403);
    assert.equal((await get(port, { cert: CLIENT_CERT, key: CLIENT_KEY })).status, 200);
  } finally {
    await close(server);
  }
});
