/** Polling with a deadline for the end-to-end test: no fixed sleeps. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `probe` until it returns something other than undefined (or false), or the deadline
 * passes; the timeout error names what was awaited and the last value `describe` gives.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 100, describe } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs}ms waiting for ${what}${describe ? `: ${describe()}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}
