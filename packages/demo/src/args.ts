/** The demo's command line: one documented invocation, every problem reported in one run. */
import { parseArgs } from 'node:util';
import { durationSeconds } from './duration.ts';

/** How the demo is started, in the README and in --help alike: it installs Node 24 and the packages first. */
export const INVOCATION = 'bash scripts/run.sh demo';

/** The --help text. */
export const USAGE = `usage: ${INVOCATION} [--duration 5m] [--churn-interval 60s] [--no-prometheus] [--no-node-exporter]

Starts ecs-sim with a demo fleet on 127.0.0.0/8, exporters at the tasks' addresses, ecs-sd, and
Prometheus + Alertmanager with the monitoring/ content when they are installed. Ctrl-C stops
everything; a second Ctrl-C kills what is left at once.

  --duration D          stop by itself after D
  --churn-interval D    replace a service task every D so targets come and go (default 60s, 0 turns it off)
  --no-prometheus       run without Prometheus and Alertmanager
  --no-node-exporter    serve node-exporter tasks with a look-alike instead of prometheus-node-exporter

Durations are seconds (300, 2.5) or Prometheus durations (5m, 1h30m), as in ecs-sd.`;

/** The demo's settings from its flags. */
export interface DemoArgs {
  help: boolean;
  durationSeconds: number | undefined;
  churnIntervalSeconds: number | undefined;
  prometheus: boolean;
  realNodeExporter: boolean;
}

const OPTIONS = {
  duration: { type: 'string' },
  'churn-interval': { type: 'string' },
  'no-prometheus': { type: 'boolean' },
  'no-node-exporter': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FLAG_LIST = Object.keys(OPTIONS)
  .map((k) => `--${k}`)
  .join(', ');

/** Reads the demo's flags; every unknown flag, missing value and bad duration comes back, one line each. */
export function parseDemoArgs(argv: readonly string[]): { args: DemoArgs } | { problems: string[] } {
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, tokens: true });
  const problems: string[] = [];
  const values: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind === 'positional') {
      problems.push(`"${token.value}": unexpected argument, expected only flags (${FLAG_LIST})`);
      continue;
    }
    if (token.kind !== 'option') continue;
    const spec = (OPTIONS as Record<string, { type: 'string' | 'boolean' }>)[token.name];
    if (spec === undefined) {
      problems.push(`${token.rawName}: unknown flag, expected one of ${FLAG_LIST}`);
    } else if (spec.type === 'string' && token.value === undefined) {
      problems.push(`--${token.name}: no value, expected a duration such as 300 or 5m`);
    } else if (spec.type === 'boolean' && token.inlineValue) {
      problems.push(`--${token.name}: takes no value, got "${token.value}"`);
    } else {
      values[token.name] = token.value ?? true;
    }
  }
  const seconds = (key: 'duration' | 'churn-interval', allowZero: boolean): number | undefined => {
    const raw = values[key];
    if (typeof raw !== 'string') return undefined;
    const s = durationSeconds(raw);
    if (s === undefined) {
      problems.push(
        `--${key}: "${raw}" is not a duration, expected seconds (300, 2.5) or a Prometheus duration (5m, 1h30m)`,
      );
    } else if (s === 0 && !allowZero) {
      problems.push(`--${key}: "${raw}" is zero, expected a duration above 0`);
    }
    return s;
  };
  const args: DemoArgs = {
    help: values['help'] === true,
    durationSeconds: seconds('duration', false),
    churnIntervalSeconds: seconds('churn-interval', true),
    prometheus: values['no-prometheus'] !== true,
    realNodeExporter: values['no-node-exporter'] !== true,
  };
  return problems.length > 0 ? { problems } : { args };
}
