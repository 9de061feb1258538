import assert from 'node:assert/strict';
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import bcrypt from 'bcryptjs';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { buildApp } from '../../src/server/app.ts';
import {
  type AuthLimits,
  clientKey,
  createWorkerVerifier,
  FailureAllowance,
  type PasswordVerifier,
} from '../../src/server/basic-auth.ts';
import type { DiscoveryView } from '../../src/server/view.ts';
import { createWebServer } from '../../src/server/web-server.ts';

// Cost 10, as `htpasswd -B` and exporter-toolkit's docs produce: about 70 ms a check.
const HASH = bcrypt.hashSync('s3cret', 10);
const GOOD = 'prometheus:s3cret';

const view: DiscoveryView = {
  ready: () => true,
  targets: () => [],
  decision: () => undefined,
  decisions: () => [],
};

/** A verifier that counts the checks it is asked for, delegating to `inner`. */
function counting(inner: PasswordVerifier): PasswordVerifier & { calls: number } {
  const counted = {
    calls: 0,
    compare(password: string, hash: string) {
      counted.calls++;
      return inner.compare(password, hash);
    },
    close: () => inner.close(),
  };
  return counted;
}

interface Started {
  port: number;
  metrics: Metrics;
  verifier: PasswordVerifier & { calls: number };
  clock: { ms: number };
  close(): Promise<void>;
}

async function start(
  options: { limits?: Partial<AuthLimits>; verifier?: PasswordVerifier } = {},
): Promise<Started> {
  const metrics = createMetrics({ defaultMetrics: false });
  const verifier = counting(options.verifier ?? createWorkerVerifier());
  const clock = { ms: 1_000_000 };
  const server: Server = createWebServer(
    { basicAuthUsers: new Map([['prometheus', HASH]]), headers: {} },
    buildApp({ view, registry: metrics.registry }),
    { metrics, verifier, now: () => clock.ms, ...(options.limits && { limits: options.limits }) },
  ) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    metrics,
    verifier,
    clock,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** One GET from a chosen loopback address (the whole 127.0.0.0/8 is loopback), so tests can be several clients. */
function get(
  port: number,
  options: { from: string; auth?: string; path?: string; agent?: Agent },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/-/healthy',
        localAddress: options.from,
        ...(options.agent === undefined ? { agent: false } : { agent: options.agent }),
        ...(options.auth !== undefined && { auth: options.auth }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function counter(metrics: Metrics, name: string, labels: string): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

test('a flood of wrong passwords at concurrency 40 is cut off after 10 failures while a verified client keeps working', async () => {
  const server = await start();
  const flooder = new Agent({ keepAlive: true, maxSockets: 40, localAddress: '127.0.0.2' });
  try {
    // The scraper is verified once, before the flood; from then on its credentials are cached.
    assert.equal((await get(server.port, { from: '127.0.0.3', auth: GOOD })).status, 200);

    let floodDone = false;
    const statuses: Answer[] = [];
    const flood = (async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 40 }, async () => {
          while (next < 200) {
            const i = next++;
            statuses.push(
              await get(server.port, { from: '127.0.0.2', auth: `prometheus:wrong-${i}`, agent: flooder }),
            );
          }
        }),
      );
      floodDone = true;
    })();

    const scraper: { status: number; duringFlood: boolean }[] = [];
    do {
      const path = scraper.length % 2 === 0 ? '/-/healthy' : '/metrics';
      const answer = await get(server.port, { from: '127.0.0.3', auth: GOOD, path });
      scraper.push({ status: answer.status, duringFlood: !floodDone });
    } while (!floodDone || scraper.length < 3);
    await flood;

    assert.deepEqual(
      scraper.filter((s) => s.status !== 200),
      [],
    );
    assert.ok(
      scraper.some((s) => s.duringFlood),
      'the verified client is answered while wrong passwords are being checked',
    );
    const byStatus = new Map<number, number>();
    for (const s of statuses) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(byStatus), { 401: 10, 429: 190 });
    for (const s of statuses.filter((s) => s.status === 429)) {
      assert.equal(s.retryAfter, '6');
      assert.equal(s.body, 'too many failed authentications from this address, retry in 6s\n');
    }
    // 10 checks of the flood (its allowance) and 1 for the scraper's first request; no more.
    assert.equal(server.verifier.calls, 11);
    assert.equal(await counter(server.metrics, 'ecs_sd_web_auth_checks_total', 'result="failed"'), 10);
    assert.equal(await counter(server.metrics, 'ecs_sd_web_auth_checks_total', 'result="ok"'), 1);
    assert.equal(await counter(server.metrics, 'ecs_sd_web_auth_failures_total', 'reason="invalid"'), 10);
    assert.equal(
      await counter(server.metrics, 'ecs_sd_web_rate_limited_requests_total', 'reason="client_failures"'),
      190,
    );

    // One failure is allowed again every 6 s.
    server.clock.ms += 6_000;
    assert.equal((await get(server.port, { from: '127.0.0.2', auth: 'prometheus:again' })).status, 401);
    assert.equal((await get(server.port, { from: '127.0.0.2', auth: 'prometheus:again2' })).status, 429);
    assert.equal(server.verifier.calls, 12);
  } finally {
    flooder.destroy();
    await server.close();
  }
});

test('a limited address is refused even with the right password; other addresses are not', async () => {
  const server = await start({ limits: { failureBurst: 2 } });
  try {
    for (const password of ['a', 'b']) {
      assert.equal(
        (await get(server.port, { from: '127.0.0.4', auth: `prometheus:${password}` })).status,
        401,
      );
    }
    const limited = await get(server.port, { from: '127.0.0.4', auth: GOOD });
    assert.equal(limited.status, 429);
    assert.equal(limited.retryAfter, '6');
    assert.equal((await get(server.port, { from: '127.0.0.4' })).status, 429);
    assert.equal((await get(server.port, { from: '127.0.0.5', auth: GOOD })).status, 200);
    assert.equal(server.verifier.calls, 3);
  } finally {
    await server.close();
  }
});

test('right credentials are checked once; the same wrong ones too, yet each failure counts', async () => {
  const server = await start({ limits: { failureBurst: 3 } });
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal((await get(server.port, { from: '127.0.0.6', auth: GOOD })).status, 200);
    }
    assert.equal(server.verifier.calls, 1);
    const wrong = [];
    for (let i = 0; i < 5; i++)
      wrong.push((await get(server.port, { from: '127.0.0.6', auth: 'prometheus:x' })).status);
    assert.deepEqual(wrong, [401, 401, 401, 429, 429]);
    assert.equal(server.verifier.calls, 2);
    // An unknown user costs a check too (against a fixed hash), so user names cannot be told by timing.
    assert.equal((await get(server.port, { from: '127.0.0.7', auth: 'nobody:s3cret' })).status, 401);
    assert.equal(server.verifier.calls, 3);
    // No credentials: 401 without a check and without using the allowance.
    for (let i = 0; i < 5; i++) assert.equal((await get(server.port, { from: '127.0.0.8' })).status, 401);
    assert.equal(server.verifier.calls, 3);
    assert.equal(await counter(server.metrics, 'ecs_sd_web_auth_failures_total', 'reason="missing"'), 5);
    assert.equal(
      await counter(server.metrics, 'ecs_sd_cache_requests_total', 'cache="basic_auth",result="hit"'),
      6,
    );
  } finally {
    await server.close();
  }
});

/** A verifier whose checks finish when the test says so; the right password is `s3cret`. */
function heldVerifier() {
  const asked: string[] = [];
  const releases: (() => void)[] = [];
  const verifier: PasswordVerifier = {
    compare: (password) =>
      new Promise<boolean>((resolve) => {
        asked.push(password);
        releases.push(() => resolve(password === 's3cret'));
      }),
    close: async () => {},
  };
  return { verifier, asked, releases };
}

/** Waits until `count` requests have reached the check queue (each is a basic_auth cache miss). */
async function queued(server: Started, count: number): Promise<void> {
  await waitUntil(
    `${count} requests at the check queue`,
    async () =>
      (await counter(server.metrics, 'ecs_sd_cache_requests_total', 'cache="basic_auth",result="miss"')) >=
      count,
    { everyMs: 5 },
  );
}

test('beyond the waiting-check bound, requests get 503 without a check and without using an allowance', async () => {
  const held = heldVerifier();
  const server = await start({ limits: { maxWaitingChecks: 1, failureBurst: 2 }, verifier: held.verifier });
  try {
    const first = get(server.port, { from: '127.0.0.9', auth: 'prometheus:a' });
    await queued(server, 1);
    const second = get(server.port, { from: '127.0.0.10', auth: 'prometheus:b' });
    await queued(server, 2);
    const busy = await get(server.port, { from: '127.0.0.11', auth: 'prometheus:c' });
    assert.equal(busy.status, 503);
    assert.equal(busy.retryAfter, '1');
    // One check at a time: the second waits for the first.
    assert.deepEqual(held.asked, ['a']);
    held.releases.shift()?.();
    await waitUntil('the second check started', () => held.asked.length === 2, { everyMs: 5 });
    held.releases.shift()?.();
    assert.deepEqual([(await first).status, (await second).status], [401, 401]);
    // 127.0.0.11 was not charged: both of its failures are still allowed.
    for (const password of ['d', 'e']) {
      const answer = get(server.port, { from: '127.0.0.11', auth: `prometheus:${password}` });
      await waitUntil('the check held', () => held.releases.length === 1, { everyMs: 5 });
      held.releases.shift()?.();
      assert.equal((await answer).status, 401);
    }
    assert.equal(
      await counter(server.metrics, 'ecs_sd_web_rate_limited_requests_total', 'reason="checks_busy"'),
      1,
    );
  } finally {
    await server.close();
  }
});

test('a client with no failures is checked before clients that failed, however many of theirs wait', async () => {
  const held = heldVerifier();
  const server = await start({ limits: { maxWaitingChecks: 4, failureBurst: 100 }, verifier: held.verifier });
  try {
    const first = get(server.port, { from: '127.0.0.13', auth: 'prometheus:a0' });
    await queued(server, 1);
    held.releases.shift()?.();
    assert.equal((await first).status, 401);
    // 127.0.0.13 has failed: its next guesses wait in the second lane behind one that runs.
    const guesses = ['a1', 'a2', 'a3'].map((password, i) =>
      queued(server, 1 + i).then(() =>
        get(server.port, { from: '127.0.0.13', auth: `prometheus:${password}` }),
      ),
    );
    await queued(server, 4);
    const scraper = get(server.port, { from: '127.0.0.14', auth: GOOD });
    await queued(server, 5);
    while (held.asked.length < 5) {
      await waitUntil('a check to run', () => held.releases.length === 1, { everyMs: 5 });
      held.releases.shift()?.();
    }
    assert.deepEqual(held.asked, ['a0', 'a1', 's3cret', 'a2', 'a3']);
    assert.equal((await scraper).status, 200);
    assert.deepEqual(
      (await Promise.all(guesses)).map((a) => a.status),
      [401, 401, 401],
    );
  } finally {
    await server.close();
  }
});

test('a check that fails to run is a 503 and does not count as a failure', async () => {
  const broken: PasswordVerifier = {
    compare: () => Promise.reject(new Error('worker gone')),
    close: async () => {},
  };
  const server = await start({ limits: { failureBurst: 1 }, verifier: broken });
  try {
    for (let i = 0; i < 3; i++) {
      const answer = await get(server.port, { from: '127.0.0.12', auth: GOOD });
      assert.equal(answer.status, 503);
      assert.equal(answer.retryAfter, '1');
    }
    assert.equal(await counter(server.metrics, 'ecs_sd_web_auth_checks_total', 'result="error"'), 3);
  } finally {
    await server.close();
  }
});

test('the worker verifier compares with bcrypt and survives being closed', async () => {
  const verifier = createWorkerVerifier();
  try {
    assert.equal(await verifier.compare('s3cret', HASH), true);
    assert.equal(await verifier.compare('wrong', HASH), false);
    await verifier.close();
    // A compare after close starts a new worker.
    assert.equal(await verifier.compare('s3cret', HASH), true);
  } finally {
    await verifier.close();
  }
});

test('the failure allowance: a burst, then one failure per refill period, given back on success', () => {
  const clock = { ms: 0 };
  const allowance = new FailureAllowance(
    { failureBurst: 3, failureRefillMs: 6_000, maxTrackedClients: 2 },
    () => clock.ms,
  );
  assert.deepEqual(
    [1, 2, 3, 4].map(() => allowance.take('a')),
    [true, true, true, false],
  );
  assert.equal(allowance.retryAfterMs('a'), 6_000);
  clock.ms = 1_500;
  assert.equal(allowance.retryAfterMs('a'), 4_500);
  clock.ms = 6_000;
  assert.equal(allowance.retryAfterMs('a'), 0);
  assert.equal(allowance.take('a'), true);
  assert.equal(allowance.take('a'), false);
  allowance.giveBack('a');
  assert.equal(allowance.take('a'), true);
  // A full allowance is forgotten; beyond maxTrackedClients the least recently failing is forgotten.
  allowance.take('b');
  allowance.giveBack('b');
  assert.equal(allowance.tracked, 1);
  allowance.take('b');
  allowance.take('c');
  assert.equal(allowance.tracked, 2);
  assert.equal(allowance.retryAfterMs('a'), 0);
});

test('failures are counted per IPv4 address and per IPv6 /64', () => {
  const cases: [string | undefined, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, ''],
  ];
  for (const [address, key] of cases) assert.equal(clientKey(address), key, String(address));
});
