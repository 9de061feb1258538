import { Counter, type Registry } from 'prom-client';
import type { Queue } from '../state/model.ts';
import { Prng } from '../state/prng.ts';
import { sendToQueue } from '../state/queues.ts';
import type { World } from '../state/world.ts';

/** How EventBridge → SQS delivery misbehaves; every rate is a probability per event (0..1). */
export interface EventDeliveryOptions {
  /** Share of events enqueued twice (same envelope, same `id`). @default 0 */
  duplicateRate: number;
  /** Share of messages enqueued after a random 0..maxDelayMs wait, so later events overtake them. @default 0 */
  delayRate: number;
  /** Upper bound of one delay in milliseconds. @default 0 */
  maxDelayMs: number;
  /** Share of events never enqueued. @default 0 */
  dropRate: number;
}

/** Delivery that is exactly once and in order: every rate 0. */
export const DEFAULT_EVENT_DELIVERY: Readonly<EventDeliveryOptions> = Object.freeze({
  duplicateRate: 0,
  delayRate: 0,
  maxDelayMs: 0,
  dropRate: 0,
});

/** Counts of event delivery since start: events published, messages enqueued, and what the chaos did to them. */
export interface EventDeliveryCounts {
  /** Events the simulator emitted for an account with an events queue (before drops). */
  published: number;
  /** SQS messages actually enqueued (duplicates count twice). */
  enqueued: number;
  /** Events never enqueued. */
  dropped: number;
  /** Events enqueued a second time. */
  duplicated: number;
  /** Messages held back by a random delay. */
  delayed: number;
  /** Delayed messages not enqueued yet. */
  pending: number;
}

type CountKey = Exclude<keyof EventDeliveryCounts, 'pending'>;

const RATE_KEYS = ['duplicateRate', 'delayRate', 'dropRate'] as const;
const OPTION_KEYS = [...RATE_KEYS, 'maxDelayMs'] as const;

/**
 * Checks delivery options (a partial object: missing keys are 0); returns the full options or one problem per mistake.
 * Unknown keys are errors so a typo never silently means "no chaos".
 */
export function validateEventDelivery(input: unknown): EventDeliveryOptions | string[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return [`event delivery: got ${JSON.stringify(input)}, expected an object`];
  }
  const problems: string[] = [];
  const o: EventDeliveryOptions = { ...DEFAULT_EVENT_DELIVERY };
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (!(OPTION_KEYS as readonly string[]).includes(k)) {
      problems.push(
        `event delivery: unknown key ${JSON.stringify(k)}, expected one of ${OPTION_KEYS.join(', ')}`,
      );
      continue;
    }
    if (v === undefined) continue;
    if (k === 'maxDelayMs') {
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) o.maxDelayMs = v;
      else problems.push(`maxDelayMs: got ${JSON.stringify(v)}, expected milliseconds >= 0`);
    } else if (typeof v === 'number' && v >= 0 && v <= 1) o[k as (typeof RATE_KEYS)[number]] = v;
    else problems.push(`${k}: got ${JSON.stringify(v)}, expected a number from 0 to 1`);
  }
  if (problems.length === 0 && o.delayRate > 0 && o.maxDelayMs <= 0) {
    problems.push(`maxDelayMs: got ${o.maxDelayMs}, expected > 0 when delayRate is above 0`);
  }
  return problems.length > 0 ? problems : o;
}

const SPEC_KEYS: Record<string, keyof EventDeliveryOptions> = {
  dup: 'duplicateRate',
  delay: 'delayRate',
  'max-delay': 'maxDelayMs',
  drop: 'dropRate',
};

/** Parses the CLI form `dup=0.1,delay=0.2,max-delay=3000,drop=0.02`; returns options or one problem per mistake. */
export function parseEventDeliverySpec(text: string): EventDeliveryOptions | string[] {
  const problems: string[] = [];
  const raw: Record<string, number> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    const field = SPEC_KEYS[key];
    if (field === undefined) {
      problems.push(
        `got key ${JSON.stringify(key)}, expected one of ${Object.keys(SPEC_KEYS).join(', ')} (as KEY=NUMBER)`,
      );
    } else if (value === '' || !Number.isFinite(Number(value))) {
      problems.push(`got ${key}=${JSON.stringify(value)}, expected a number`);
    } else raw[field] = Number(value);
  }
  const r = validateEventDelivery(raw);
  if (!Array.isArray(r)) return problems.length > 0 ? problems : r;
  const names = Object.fromEntries(Object.entries(SPEC_KEYS).map(([k, v]) => [v, k]));
  return [...problems, ...r.map((p) => p.replace(/^(\w+):/, (_, f: string) => `${names[f] ?? f}:`))];
}

/**
 * EventBridge → SQS delivery with seeded chaos: drops, duplicates and delays (reordering). Decisions are drawn when an
 * event is published, so for a seed and the same sequence of changes they are the same; timers are unref'd and
 * cleared by close(), after which nothing is enqueued.
 */
export class EventDelivery {
  #options: EventDeliveryOptions = { ...DEFAULT_EVENT_DELIVERY };
  readonly #prng: Prng;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #counts: Record<CountKey, number> = {
    published: 0,
    enqueued: 0,
    dropped: 0,
    duplicated: 0,
    delayed: 0,
  };
  readonly #metrics: Record<CountKey, Counter> | undefined;
  #closed = false;

  /** A seed of its own (derived from the world's) so turning chaos on does not change the fleet's ids. */
  constructor(seed: number, registry?: Registry) {
    this.#prng = new Prng(seed ^ 0xe7e475);
    if (registry) {
      const counter = (name: string, help: string): Counter =>
        new Counter({ name: `ecs_sim_events_${name}_total`, help, registers: [registry] });
      this.#metrics = {
        published: counter('published', 'ECS events emitted for an account with an events queue'),
        enqueued: counter('enqueued', 'SQS messages of ECS events enqueued (duplicates count twice)'),
        dropped: counter('dropped', 'ECS events dropped by the event delivery chaos'),
        duplicated: counter('duplicated', 'ECS events enqueued twice by the event delivery chaos'),
        delayed: counter('delayed', 'ECS event messages delayed by the event delivery chaos'),
      };
    }
  }

  /** Current options. */
  get options(): EventDeliveryOptions {
    return { ...this.#options };
  }

  /** Replaces the options (missing keys are 0); throws an Error listing the problems when invalid. */
  configure(input: Partial<EventDeliveryOptions>): EventDeliveryOptions {
    const r = validateEventDelivery(input);
    if (Array.isArray(r)) throw new Error(r.join('; '));
    this.#options = r;
    return this.options;
  }

  /** Counts since start. */
  counts(): EventDeliveryCounts {
    return { ...this.#counts, pending: this.#timers.size };
  }

  #count(k: CountKey): void {
    this.#counts[k]++;
    this.#metrics?.[k].inc();
  }

  #chance(rate: number): boolean {
    return rate > 0 && (rate >= 1 || this.#prng.next() < rate);
  }

  /** Delivers one event body to `q`; `onEnqueued` runs each time a copy becomes receivable. */
  deliver(q: Queue, world: World, body: string, onEnqueued: (at: number) => void): void {
    if (this.#closed) return;
    const o = this.#options;
    this.#count('published');
    if (this.#chance(o.dropRate)) {
      this.#count('dropped');
      return;
    }
    const copies = this.#chance(o.duplicateRate) ? 2 : 1;
    if (copies === 2) this.#count('duplicated');
    for (let i = 0; i < copies; i++) {
      // The duplicate draws its own delay whenever delays are on, so it may arrive before or after the original.
      const delayed = o.maxDelayMs > 0 && (i === 1 ? o.delayRate > 0 : this.#chance(o.delayRate));
      if (!delayed) {
        this.#enqueue(q, world, body, onEnqueued);
        continue;
      }
      this.#count('delayed');
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          this.#enqueue(q, world, body, onEnqueued);
        },
        Math.floor(this.#prng.next() * (o.maxDelayMs + 1)),
      );
      timer.unref();
      this.#timers.add(timer);
    }
  }

  #enqueue(q: Queue, world: World, body: string, onEnqueued: (at: number) => void): void {
    if (this.#closed || q.account.queues.get(q.name) !== q) return;
    sendToQueue(world, q, body);
    this.#count('enqueued');
    onEnqueued(Date.now());
  }

  /** Cancels every delayed message; nothing is enqueued afterwards. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
