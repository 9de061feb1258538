/**
 * How the demo ends on Ctrl-C, SIGTERM or --duration: the first request closes everything gracefully
 * within a deadline; a second request, or the deadline passing, kills whatever is left and exits.
 */

/** What the shutdown needs from the process and the demo; injected so tests drive it without signals. */
export interface ShutdownDeps {
  /** Stops every part gracefully (each child gets SIGTERM, then SIGKILL after its own grace period). */
  close(): Promise<void>;
  /** Sends SIGKILL to every child still running and removes what it can, synchronously. */
  kill(): void;
  exit(code: number): void;
  log(line: string): void;
  /** How long close() may take before kill() ends it. */
  deadlineMs: number;
  /** setTimeout by default; returns a function that cancels the timer. */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

/** The exit code after a forced stop: the demo did not end cleanly. */
export const FORCED_EXIT_CODE = 1;

/** Returns `stop(why)`: the first call closes within the deadline and exits 0, a second call kills and exits at once. */
export function shutdownOnRequest(deps: ShutdownDeps): (why: string) => void {
  const setTimer =
    deps.setTimer ??
    ((fn, ms) => {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    });
  let state: 'running' | 'closing' | 'done' = 'running';
  const force = (why: string) => {
    if (state === 'done') return;
    state = 'done';
    deps.log(`stopping now (${why}): killing what is left`);
    deps.kill();
    deps.exit(FORCED_EXIT_CODE);
  };
  return (why) => {
    if (state === 'closing') return force(`${why} again`);
    if (state === 'done') return;
    state = 'closing';
    deps.log(`stopping (${why}); ${why.startsWith('--duration') ? 'Ctrl-C' : 'Ctrl-C again'} kills at once`);
    const cancel = setTimer(
      () => force(`still stopping after ${Math.round(deps.deadlineMs / 1000)}s`),
      deps.deadlineMs,
    );
    deps.close().then(
      () => {
        cancel();
        if (state !== 'closing') return;
        state = 'done';
        deps.exit(0);
      },
      (err: unknown) => {
        cancel();
        deps.log(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        force('stopping failed');
      },
    );
  };
}
