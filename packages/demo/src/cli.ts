#!/usr/bin/env node
/** `bash scripts/run.sh demo`: runs the demo until Ctrl-C or `--duration`, printing where everything listens. */
import { INVOCATION, parseDemoArgs, USAGE } from './args.ts';
import { CHILD_GRACE_MS, startDemo, summarize, waitForPrometheusTargets } from './demo.ts';
import { formatSeconds } from './duration.ts';
import { shutdownOnRequest } from './shutdown.ts';

/** How long a graceful stop may take in all: every child's grace period, run side by side, and some slack. */
const STOP_DEADLINE_MS = CHILD_GRACE_MS + 5000;

async function main(): Promise<void> {
  const parsed = parseDemoArgs(process.argv.slice(2));
  if ('problems' in parsed) {
    for (const p of parsed.problems) console.error(`demo: ${p}`);
    console.error(`demo: see ${INVOCATION} --help`);
    process.exit(2);
  }
  const { args } = parsed;
  if (args.help) {
    console.log(USAGE);
    return;
  }

  const run = startDemo({
    prometheus: args.prometheus,
    realNodeExporter: args.realNodeExporter,
    churnIntervalMs: args.churnIntervalSeconds === undefined ? undefined : args.churnIntervalSeconds * 1000,
    log: (line) => console.log(line),
  });
  // Signals are handled from the first moment: a Ctrl-C during start-up stops what has started.
  const stopping = new AbortController();
  const requestStop = shutdownOnRequest({
    close: () => run.close(),
    kill: () => run.kill(),
    exit: (code) => process.exit(code),
    log: (line) => console.log(line),
    deadlineMs: STOP_DEADLINE_MS,
  });
  const stop = (why: string) => {
    stopping.abort(new Error(`stopping (${why})`));
    requestStop(why);
  };
  process.on('SIGINT', () => stop('interrupted'));
  process.on('SIGTERM', () => stop('terminated'));
  process.on('SIGHUP', () => stop('hung up'));

  try {
    const demo = await run.ready;
    if (args.durationSeconds !== undefined) {
      const d = formatSeconds(args.durationSeconds);
      setTimeout(() => stop(`--duration ${d} elapsed`), args.durationSeconds * 1000).unref();
    }
    // Give Prometheus a scrape of every target so the summary's counts agree.
    await waitForPrometheusTargets(demo, { signal: stopping.signal });
    for (const line of await summarize(demo)) console.log(line);
    console.log(
      args.durationSeconds === undefined
        ? 'running; Ctrl-C stops everything'
        : `running for ${formatSeconds(args.durationSeconds)}; Ctrl-C stops everything`,
    );
  } catch (err) {
    // A stop during start-up ends start-up with an error; the stop itself reports and exits.
    if (stopping.signal.aborted) return;
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
