/** What a task's containers say about themselves: skips and notes, deduplicated and within the limits. */
import { LIMITS } from './limits.ts';
import type { ContainerDecision, Skip, TaskDecision } from './types.ts';

/** Skip reasons about the limits themselves: always listed, even past the per-container message limit. */
const LIMIT_REASONS: ReadonlySet<Skip['reason']> = new Set(['too-many-endpoints', 'too-many-targets']);

/** Skips and notes of one task's containers, deduplicated and kept within LIMITS.messagesPerContainer. */
export class Messages {
  readonly #keys = new Map<ContainerDecision, Set<string>>();
  readonly #omitted = new Map<ContainerDecision, number>();

  addSkips(cd: ContainerDecision, skips: readonly Skip[]): void {
    let keys = this.#keys.get(cd);
    if (!keys) {
      keys = new Set();
      this.#keys.set(cd, keys);
    }
    for (const s of skips) {
      const key = `${s.reason}\n${s.message}`;
      if (keys.has(key)) continue;
      keys.add(key);
      if (cd.skips.length < LIMITS.messagesPerContainer || LIMIT_REASONS.has(s.reason)) cd.skips.push(s);
      else this.#omitted.set(cd, (this.#omitted.get(cd) ?? 0) + 1);
    }
  }

  /** Cuts each container's notes to the limit and says how many skips and notes were left out. */
  finish(decision: TaskDecision): void {
    const max = LIMITS.messagesPerContainer;
    for (const cd of decision.containers) {
      const notes = cd.notes;
      if (notes !== undefined && notes.length > max) {
        const more = notes.length - (max - 1);
        notes.length = max - 1;
        notes.push(`${more} more notes left out (limit ${max} per container)`);
      }
      const omitted = this.#omitted.get(cd);
      if (omitted !== undefined) {
        cd.notes = [
          ...(cd.notes ?? []),
          `${omitted} more skips left out of this list (limit ${max} per container)`,
        ];
      }
    }
  }
}
