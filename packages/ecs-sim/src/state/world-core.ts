import type { Account, ContainerInstance, Task } from './model.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';

/** A change of a task or a container instance, as change listeners see it. */
export type Change = { kind: 'task'; task: Task } | { kind: 'containerInstance'; ci: ContainerInstance };

/** A listener of task and container instance changes (the SQS event publisher, the ground-truth recorder). */
export type ChangeListener = (change: Change) => void;

/** Creation order shared by clusters, hosts, services and tasks: the order of List pages and the subnet round-robin. */
export class Sequence {
  #value = 0;

  /** The last number handed out. */
  get current(): number {
    return this.#value;
  }

  /** The next number. */
  next(): number {
    return ++this.#value;
  }
}

/** The wall clock as a Date shared by everything created in the same millisecond (never mutated: less garbage). */
export class Clock {
  #ms = -1;
  #date = new Date(0);

  /** The current time. */
  now(): Date {
    const ms = Date.now();
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.#date = new Date(ms);
    }
    return this.#date;
  }
}

/**
 * What the parts of the world share: the region, the seeded PRNG every id comes from (its order of draws decides
 * every id of a seeded fleet), the creation sequence, the clock, the lifecycle scheduler and the change listeners.
 */
export interface WorldCore {
  readonly region: string;
  readonly prng: Prng;
  readonly scheduler: Scheduler;
  readonly seq: Sequence;
  now(): Date;
  /** `arn:aws:ecs:REGION:ACCOUNT:RESOURCE`. */
  ecsArn(account: Account, resource: string): string;
  /** Tells every change listener. */
  emit(change: Change): void;
}
