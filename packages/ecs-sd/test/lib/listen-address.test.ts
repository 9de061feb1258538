import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseListenAddress } from '../../src/lib/listen-address.ts';

describe('parseListenAddress', () => {
  test('reads :PORT, HOST:PORT and [IPv6]:PORT into what listen() takes', () => {
    const cases: [string, { host?: string; port: number }][] = [
      [':9888', { port: 9888 }],
      [':0', { port: 0 }],
      ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
      ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
      ['localhost:1', { host: 'localhost', port: 1 }],
      ['ecs-sd.internal.example.com:9888', { host: 'ecs-sd.internal.example.com', port: 9888 }],
      ['[::1]:9888', { host: '::1', port: 9888 }],
      ['[::]:9888', { host: '::', port: 9888 }],
      ['[fe80::1%eth0]:9888', { host: 'fe80::1%eth0', port: 9888 }],
    ];
    for (const [text, value] of cases) assert.deepEqual(parseListenAddress(text), { ok: true, value }, text);
  });

  test('refuses ports out of range and hosts listen() cannot use, naming the value', () => {
    const cases: [string, string][] = [
      [':99999', '":99999" has port 99999, expected 1-65535 (or 0 for any free port)'],
      [':65536', '":65536" has port 65536, expected 1-65535 (or 0 for any free port)'],
      ['localhost:http', '"localhost:http" has port "http", expected 1-65535 (or 0 for any free port)'],
      ['localhost:', '"localhost:" has port "", expected 1-65535 (or 0 for any free port)'],
      [':-1', '":-1" has port "-1", expected 1-65535 (or 0 for any free port)'],
      ['9888', '"9888" has no port, expected HOST:PORT, :PORT or [IPv6]:PORT'],
      ['::1:9888', '"::1:9888" has an IPv6 host without brackets, expected [::1]:9888'],
      ['[not-v6]:9888', '"[not-v6]:9888" has host [not-v6], expected an IPv6 address in brackets'],
      [
        '999.1.1.1:80',
        '"999.1.1.1:80" has host "999.1.1.1", expected an IPv4 address, a host name or [IPv6]',
      ],
      ['my host:80', '"my host:80" has host "my host", expected an IPv4 address, a host name or [IPv6]'],
      ['-bad-:80', '"-bad-:80" has host "-bad-", expected an IPv4 address, a host name or [IPv6]'],
    ];
    for (const [text, message] of cases)
      assert.deepEqual(parseListenAddress(text), { ok: false, message }, text);
  });
});
