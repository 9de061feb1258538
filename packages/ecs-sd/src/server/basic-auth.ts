/**
 * Basic auth against the bcrypt hashes of `basic_auth_users`, built so that wrong passwords cannot
 * starve the server. bcrypt is slow by design (about 70 ms per check at cost 10), so:
 *
 * - checks run in one worker thread, one at a time (exporter-toolkit serialises them with a mutex),
 *   never on the event loop, so `/-/healthy`, http_sd and verified clients are served meanwhile;
 * - the outcome of a check is cached by a SHA-256 of user, hash and password (exporter-toolkit's
 *   `web/handler.go` does the same), successes and failures apart, so a Prometheus sending the same
 *   credentials every scrape costs one check in total, and a flood cannot evict verified clients;
 * - each client address has an allowance of failed checks (a token bucket: `failureBurst` failures,
 *   one more every `failureRefillMs`); a check in flight holds one, a success gives it back. With
 *   the allowance spent, every request from that address that needs authentication is answered 429
 *   with `Retry-After` before any cache lookup or bcrypt, so a guess costs nothing and tells nothing;
 * - checks wait in two lanes, and the worker takes the next check from the first lane while it has
 *   one: clients with no failure on record (a full allowance) first, clients that failed recently
 *   second. So a flood from many addresses delays a new Prometheus by at most the first lane, not by
 *   the flood. At most `maxWaitingChecks` wait in each lane; beyond, the answer is 503 with
 *   `Retry-After: 1`, no check spent and no allowance used.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Metrics } from '../metrics.ts';
import type { CompareRequest, CompareResponse } from './bcrypt-worker.ts';

/** How much failing authentication may cost; `DEFAULT_AUTH_LIMITS` documents the defaults. */
export interface AuthLimits {
  /** Failed checks a client address may have in a row before it is refused with 429. */
  failureBurst: number;
  /** Milliseconds after which one more failure is allowed again (the allowance's refill). */
  failureRefillMs: number;
  /** bcrypt checks waiting in each lane (clean, suspect), over every client; beyond: 503. */
  maxWaitingChecks: number;
  /** Client addresses whose failures are remembered; beyond, the least recently failing are forgotten. */
  maxTrackedClients: number;
  /** Outcomes cached, each of successes and failures. */
  cacheSize: number;
}

/** 10 failures in a row per address, then one every 6 s (10 a minute); 16 checks waiting per lane; 256 cached outcomes. */
export const DEFAULT_AUTH_LIMITS: Readonly<AuthLimits> = {
  failureBurst: 10,
  failureRefillMs: 6_000,
  maxWaitingChecks: 16,
  maxTrackedClients: 10_000,
  cacheSize: 256,
};

/** Compares a password with a bcrypt hash without holding the caller's event loop. */
export interface PasswordVerifier {
  compare(password: string, hash: string): Promise<boolean>;
  /** Stops the worker; later compares start a new one. */
  close(): Promise<void>;
}

/**
 * Compared against when the user is unknown, so a wrong user name costs as much as a wrong
 * password (bcrypt of a fixed string at cost 10, as exporter-toolkit does).
 */
export const UNKNOWN_USER_HASH = '$2b$10$ZCZYeDb9SSjDzRm11acFjOYNfpX.Jm01UmQk0oBylo3aS3YHYhQQW';

/** The worker module next to this one: `.ts` when run from source, `.js` from `dist`. */
const WORKER_URL = new URL(
  `./bcrypt-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`,
  import.meta.url,
);

/** A verifier backed by one worker thread (started on the first compare, unref'd so it never keeps the process up). */
export function createWorkerVerifier(): PasswordVerifier {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (ok: boolean) => void; reject: (err: Error) => void }>();
  const failAll = (err: Error) => {
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
    worker = undefined;
  };
  const start = (): Worker => {
    const started = new Worker(WORKER_URL);
    started.unref();
    started.on('message', (response: CompareResponse) => {
      const waiter = pending.get(response.id);
      if (waiter === undefined) return;
      pending.delete(response.id);
      if ('error' in response) waiter.reject(new Error(`bcrypt compare failed: ${response.error}`));
      else waiter.resolve(response.ok);
    });
    started.on('error', (err) => {
      if (worker === started) failAll(err);
    });
    started.on('exit', (code) => {
      if (worker === started) failAll(new Error(`bcrypt worker exited with code ${code}`));
    });
    return started;
  };
  return {
    compare(password, hash) {
      worker ??= start();
      const id = nextId++;
      const message: CompareRequest = { id, password, hash };
      return new Promise<boolean>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker?.postMessage(message);
      });
    },
    async close() {
      const stopping = worker;
      worker = undefined;
      failAll(new Error('bcrypt worker closed'));
      await stopping?.terminate();
    },
  };
}

/** Parses `Authorization: Basic …` into user and password, or undefined. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The key a client's failures are counted under: its IPv4 address (IPv4-mapped IPv6 included), or
 * the /64 of its IPv6 address, since one host usually holds a whole /64. Forwarded-for headers are
 * not trusted: behind a proxy every client shares the proxy's allowance.
 */
export function clientKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped !== null) return mapped[1]!;
  if (!isIPv6(remoteAddress)) return remoteAddress;
  const [head = '', tail] = remoteAddress.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** Per-client allowance of failed checks: a token bucket per key on an injected clock (ms). */
export class FailureAllowance {
  readonly #clients = new Map<string, { tokens: number; at: number }>();
  readonly #limits: Pick<AuthLimits, 'failureBurst' | 'failureRefillMs' | 'maxTrackedClients'>;
  readonly #now: () => number;

  constructor(
    limits: Pick<AuthLimits, 'failureBurst' | 'failureRefillMs' | 'maxTrackedClients'>,
    now: () => number,
  ) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Milliseconds until `key` may fail again; 0 when it has allowance left. */
  retryAfterMs(key: string): number {
    const tokens = this.#refilled(key);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * this.#limits.failureRefillMs);
  }

  /** Whether `key` has its whole allowance: no failure on record, or every one forgiven by now. */
  clean(key: string): boolean {
    return this.#refilled(key) >= this.#limits.failureBurst;
  }

  /** Takes one failure from `key`'s allowance; false when none is left (nothing taken). */
  take(key: string): boolean {
    const tokens = this.#refilled(key);
    if (tokens < 1) return false;
    this.#set(key, tokens - 1);
    return true;
  }

  /** Gives back a failure taken for a check that succeeded or never ran. */
  giveBack(key: string): void {
    const tokens = Math.min(this.#limits.failureBurst, this.#refilled(key) + 1);
    if (tokens >= this.#limits.failureBurst) this.#clients.delete(key);
    else this.#set(key, tokens);
  }

  /** Addresses with an allowance not full again (what is remembered). */
  get tracked(): number {
    return this.#clients.size;
  }

  #refilled(key: string): number {
    const entry = this.#clients.get(key);
    if (entry === undefined) return this.#limits.failureBurst;
    const elapsed = Math.max(0, this.#now() - entry.at);
    return Math.min(this.#limits.failureBurst, entry.tokens + elapsed / this.#limits.failureRefillMs);
  }

  #set(key: string, tokens: number): void {
    // Re-inserted, so the Map's order is least recently failing first.
    this.#clients.delete(key);
    while (this.#clients.size >= this.#limits.maxTrackedClients) {
      const oldest = this.#clients.keys().next().value;
      if (oldest === undefined) break;
      this.#clients.delete(oldest);
    }
    this.#clients.set(key, { tokens, at: this.#now() });
  }
}

/** The lanes checks wait in: `clean` (no failure on record) goes first. */
export type CheckLane = 'clean' | 'suspect';

/** Checks waiting for the verifier, run one at a time, the clean lane first. */
export class CheckQueue {
  readonly #lanes: Record<CheckLane, (() => void)[]> = { clean: [], suspect: [] };
  readonly #maxWaiting: number;
  #running = false;

  constructor(maxWaiting: number) {
    this.#maxWaiting = maxWaiting;
  }

  /** Whether a check may join `lane` now. */
  hasRoom(lane: CheckLane): boolean {
    return this.#lanes[lane].length < this.#maxWaiting;
  }

  /** Runs `check` when its turn comes (call `hasRoom` first: a full lane is not enforced here). */
  run<T>(lane: CheckLane, check: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#lanes[lane].push(() => {
        this.#running = true;
        check()
          .then(resolve, reject)
          .finally(() => {
            this.#running = false;
            this.#next();
          });
      });
      this.#next();
    });
  }

  #next(): void {
    if (this.#running) return;
    (this.#lanes.clean.shift() ?? this.#lanes.suspect.shift())?.();
  }
}

/** A set of at most `size` keys, dropping the least recently used. */
class RecentSet {
  readonly #keys = new Set<string>();
  readonly #size: number;
  constructor(size: number) {
    this.#size = size;
  }
  has(key: string): boolean {
    if (!this.#keys.delete(key)) return false;
    this.#keys.add(key);
    return true;
  }
  add(key: string): void {
    this.#keys.delete(key);
    if (this.#keys.size >= this.#size) {
      const oldest = this.#keys.values().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    this.#keys.add(key);
  }
}

/** The metrics basic auth counts in. */
export type AuthMetrics = Pick<
  Metrics,
  'webAuthFailures' | 'webAuthChecks' | 'webRateLimited' | 'cacheRequests'
>;

/** Options of `withBasicAuth`; everything has a default, tests inject the verifier and the clock. */
export interface BasicAuthOptions {
  verifier?: PasswordVerifier;
  limits?: Partial<AuthLimits>;
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  metrics?: AuthMetrics;
}

/** A request listener behind basic auth, and what it holds (the worker) to release on close. */
export interface BasicAuthHandler {
  listener: RequestListener;
  close(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${body}\n`);
}

/** Wraps a listener with basic auth against bcrypt hashes, with the bounds described at the top of this file. */
export function withBasicAuth(
  users: ReadonlyMap<string, string>,
  listener: RequestListener,
  options: BasicAuthOptions = {},
): BasicAuthHandler {
  const limits: AuthLimits = { ...DEFAULT_AUTH_LIMITS, ...options.limits };
  const verifier = options.verifier ?? createWorkerVerifier();
  const now = options.now ?? (() => performance.now());
  const metrics = options.metrics;
  const allowance = new FailureAllowance(limits, now);
  const verified = new RecentSet(limits.cacheSize);
  const rejected = new RecentSet(limits.cacheSize);
  const queue = new CheckQueue(limits.maxWaitingChecks);

  const unauthorized = (res: ServerResponse, reason: 'missing' | 'invalid') => {
    metrics?.webAuthFailures.inc({ reason });
    refuse(res, 401, 'unauthorized', { 'WWW-Authenticate': 'Basic' });
  };
  const tooManyFailures = (res: ServerResponse, retryAfterMs: number) => {
    metrics?.webRateLimited.inc({ reason: 'client_failures' });
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    refuse(res, 429, `too many failed authentications from this address, retry in ${seconds}s`, {
      'Retry-After': String(seconds),
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const client = clientKey(req.socket.remoteAddress);
    const wait = allowance.retryAfterMs(client);
    if (wait > 0) {
      tooManyFailures(res, wait);
      return;
    }
    const credentials = parseBasicAuth(req.headers.authorization);
    if (credentials === undefined) {
      unauthorized(res, 'missing');
      return;
    }
    const hash = users.get(credentials.user);
    const cacheKey = createHash('sha256')
      .update(`${credentials.user}\0${hash ?? ''}\0${credentials.password}`)
      .digest('hex');
    if (hash !== undefined && verified.has(cacheKey)) {
      metrics?.cacheRequests.inc({ cache: 'basic_auth', result: 'hit' });
      listener(req, res);
      return;
    }
    if (rejected.has(cacheKey)) {
      metrics?.cacheRequests.inc({ cache: 'basic_auth', result: 'hit' });
      allowance.take(client);
      unauthorized(res, 'invalid');
      return;
    }
    metrics?.cacheRequests.inc({ cache: 'basic_auth', result: 'miss' });
    const lane: CheckLane = allowance.clean(client) ? 'clean' : 'suspect';
    if (!queue.hasRoom(lane)) {
      metrics?.webRateLimited.inc({ reason: 'checks_busy' });
      refuse(res, 503, 'too many authentication checks waiting, retry shortly', { 'Retry-After': '1' });
      return;
    }
    // Held while the check waits and runs, so concurrent wrong guesses from one address stop at the allowance.
    if (!allowance.take(client)) {
      tooManyFailures(res, allowance.retryAfterMs(client));
      return;
    }
    queue
      .run(lane, () => verifier.compare(credentials.password, hash ?? UNKNOWN_USER_HASH))
      .then(
        (matches) => {
          const ok = matches && hash !== undefined;
          metrics?.webAuthChecks.inc({ result: ok ? 'ok' : 'failed' });
          if (!ok) {
            rejected.add(cacheKey);
            unauthorized(res, 'invalid');
            return;
          }
          allowance.giveBack(client);
          verified.add(cacheKey);
          listener(req, res);
        },
        () => {
          allowance.giveBack(client);
          metrics?.webAuthChecks.inc({ result: 'error' });
          refuse(res, 503, 'authentication check failed, retry shortly', { 'Retry-After': '1' });
        },
      );
  };
  return { listener: handle, close: () => verifier.close() };
}
