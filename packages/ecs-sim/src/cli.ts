#!/usr/bin/env node
import { parseCliArgs, USAGE } from './cli-args.ts';
import { FleetError } from './fleet/errors.ts';
import { loadFleetFile } from './fleet/loader.ts';
import { startSim } from './sim.ts';

/** Entry point: the only place that reads argv; exit 0 ok, 1 runtime failure, 2 bad flags or fleet. */
async function main(): Promise<number> {
  const parsed = parseCliArgs(process.argv.slice(2));
  if ('problems' in parsed) {
    for (const p of parsed.problems) process.stderr.write(`${p}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let sim: Awaited<ReturnType<typeof startSim>>;
  try {
    const fleet = parsed.fleetFile ? loadFleetFile(parsed.fleetFile) : undefined;
    sim = await startSim({
      host: parsed.host,
      port: parsed.port,
      fleet,
      generate: parsed.generate,
      throttling: parsed.throttling,
      latencyMs: parsed.latencyMs,
      faults: parsed.faults,
      ...(parsed.seed !== undefined ? { seed: parsed.seed } : {}),
      ...(parsed.region !== undefined ? { region: parsed.region } : {}),
      ...(parsed.accountId !== undefined ? { accountId: parsed.accountId } : {}),
      eventsQueue: parsed.eventsQueue,
      eventDelivery: parsed.eventDelivery,
      lifecycle: parsed.lifecycle,
    });
  } catch (err) {
    if (err instanceof FleetError) {
      for (const p of err.problems) process.stderr.write(`${parsed.fleetFile ?? 'fleet'}: ${p}\n`);
      return 2;
    }
    process.stderr.write(`ecs-sim: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`ecs-sim listening on ${sim.endpoint}\n`);
  const truth = sim.groundTruth();
  process.stdout.write(
    `${JSON.stringify({ msg: 'fleet loaded', tasks: truth.tasks.length, throttling: sim.throttler.settings })}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`${JSON.stringify({ msg: 'shutting down', signal })}\n`);
      void sim.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ecs-sim: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
