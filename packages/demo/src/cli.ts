#!/usr/bin/env node
/** `npm run demo`: runs the demo until Ctrl-C or `--duration`, printing where everything listens. */
import { parseArgs } from 'node:util';
import { waitUntil } from '@ecs-sd/testkit';
import { durationSeconds, runDemo, summarize } from './demo.ts';

const USAGE = `usage: npm run demo -- [--duration 5m] [--churn-interval 60s] [--no-prometheus] [--no-node-exporter]

Starts ecs-sim with a demo fleet on 127.0.0.0/8, exporters at the tasks' addresses, ecs-sd, and
Prometheus + Alertmanager with the monitoring/ content when they are installed. Ctrl-C stops everything.`;

function fail(lines: string[]): never {
  for (const l of lines) console.error(l);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string' },
        'churn-interval': { type: 'string' },
        'no-prometheus': { type: 'boolean' },
        'no-node-exporter': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    fail([`demo: ${(err as Error).message}`, USAGE]);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const problems: string[] = [];
  const seconds = (key: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    try {
      return durationSeconds(String(value));
    } catch {
      problems.push(`--${key}: "${String(value)}" is not a duration, expected e.g. 30s, 5m or 1h`);
      return undefined;
    }
  };
  const duration = seconds('duration', v.duration);
  const churn = seconds('churn-interval', v['churn-interval']);
  if (problems.length > 0) fail(problems);

  const demo = await runDemo({
    prometheus: !v['no-prometheus'],
    realNodeExporter: !v['no-node-exporter'],
    churnIntervalMs: churn === undefined ? undefined : churn * 1000,
    log: (line) => console.log(line),
  });
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`stopping (${why})`);
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('interrupted'));
  process.on('SIGTERM', () => void stop('terminated'));
  if (duration !== undefined)
    setTimeout(() => void stop(`--duration ${v.duration} elapsed`), duration * 1000).unref();

  if (demo.prometheusUrl) {
    // Give Prometheus a couple of scrapes so the summary shows targets up.
    await waitUntil(
      'targets up',
      async () => {
        const res = await fetch(`${demo.prometheusUrl}/api/v1/targets?state=active`);
        const body = (await res.json()) as { data: { activeTargets: { health: string }[] } };
        const t = body.data.activeTargets;
        return t.length > 0 && t.every((x) => x.health !== 'unknown');
      },
      { timeoutMs: 60_000, everyMs: 500, retryErrors: true },
    ).catch(() => {});
  } else {
    console.log(`prometheus  ${demo.prometheusMissing}; the rest of the demo runs without it`);
  }
  for (const line of await summarize(demo)) console.log(line);
  console.log(duration === undefined ? 'running; Ctrl-C stops everything' : `running for ${v.duration}`);
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
