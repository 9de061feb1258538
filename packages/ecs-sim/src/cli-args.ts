import { type EventDeliveryOptions, parseEventDeliverySpec } from './events/delivery.ts';
import { type FaultSpec, parseFaultSpec } from './faults/faults.ts';
import { FleetError } from './fleet/errors.ts';
import { parseGenerateSpec } from './fleet/generator.ts';
import type { GenerateSpec } from './fleet/schema.ts';
import type { LifecycleOptions } from './state/task-lifecycle.ts';

/** Parsed command line of `ecs-sim`. */
export interface CliOptions {
  host: string;
  port: number;
  fleetFile: string | undefined;
  generate: GenerateSpec | undefined;
  throttling: boolean | { scale: number };
  latencyMs: number;
  faults: FaultSpec[];
  seed: number | undefined;
  region: string | undefined;
  accountId: string | undefined;
  eventsQueue: string | undefined;
  eventDelivery: EventDeliveryOptions | undefined;
  lifecycle: Partial<LifecycleOptions>;
  help: boolean;
}

/** Usage text of the CLI. */
export const USAGE = `usage: ecs-sim [flags]
  --listen HOST:PORT       address to listen on (default 127.0.0.1:0, an ephemeral port)
  --fleet FILE             fleet description (YAML or JSON)
  --generate SPEC          generate a fleet, e.g. clusters=10,tasks=10000,services=100,networkModes=awsvpc:50/bridge:50
  --throttle off|on|SCALE  AWS token-bucket throttling (default on; a number scales burst and refill)
  --latency MS             latency added to every API call (default 0)
  --fault SPEC             inject a fault, e.g. op=DescribeTasks,rate=0.3,kind=http500 (repeatable)
  --seed N                 seed of ids, addresses and fault decisions (default 1)
  --region REGION          region in ARNs (default us-east-1)
  --account-id ID          default account id (default 123456789012)
  --events-queue NAME      publish ECS task / container instance state change events to this SQS queue
  --event-delivery SPEC    event delivery chaos, e.g. dup=0.1,delay=0.2,max-delay=3000,drop=0.02 (rates 0..1,
                           max-delay in ms; default all 0: every event once, in order)
  --lifecycle K=MS,...     lifecycle delays: provisioningMs, pendingMs, activatingMs, deactivatingMs,
                           stoppingMs, deprovisioningMs, stoppedRetentionMs
  --help                   show this help`;

const LIFECYCLE_KEYS = [
  'provisioningMs',
  'pendingMs',
  'activatingMs',
  'deactivatingMs',
  'stoppingMs',
  'deprovisioningMs',
  'stoppedRetentionMs',
] as const;

/** Parses argv (without node and script); returns options or one problem line per mistake. */
export function parseCliArgs(argv: readonly string[]): CliOptions | { problems: string[] } {
  const o: CliOptions = {
    host: '127.0.0.1',
    port: 0,
    fleetFile: undefined,
    generate: undefined,
    throttling: true,
    latencyMs: 0,
    faults: [],
    seed: undefined,
    region: undefined,
    accountId: undefined,
    eventsQueue: undefined,
    eventDelivery: undefined,
    lifecycle: {},
    help: false,
  };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    if (flag === '--help' || flag === '-h') {
      o.help = true;
      continue;
    }
    const known = [
      '--listen',
      '--fleet',
      '--generate',
      '--throttle',
      '--latency',
      '--fault',
      '--seed',
      '--region',
      '--account-id',
      '--events-queue',
      '--event-delivery',
      '--lifecycle',
    ];
    if (!known.includes(flag)) {
      problems.push(`${flag}: unknown flag, expected one of ${known.join(', ')}, --help`);
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) i++;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      problems.push(`${flag}: missing value`);
      if (value?.startsWith('--')) i--;
      continue;
    }
    switch (flag) {
      case '--listen': {
        const m = /^(.*):(\d{1,5})$/.exec(value);
        const port = m ? Number(m[2]) : Number.NaN;
        if (!m || port > 65535 || m[1] === '') {
          problems.push(`--listen: got ${JSON.stringify(value)}, expected HOST:PORT like 127.0.0.1:0`);
        } else {
          o.host = m[1]!.replace(/^\[(.*)\]$/, '$1');
          o.port = port;
        }
        break;
      }
      case '--fleet':
        o.fleetFile = value;
        break;
      case '--generate':
        try {
          o.generate = parseGenerateSpec(value);
        } catch (err) {
          if (err instanceof FleetError) problems.push(...err.problems.map((p) => `--generate: ${p}`));
          else throw err;
        }
        break;
      case '--throttle':
        if (value === 'off') o.throttling = false;
        else if (value === 'on') o.throttling = true;
        else if (Number(value) > 0) o.throttling = { scale: Number(value) };
        else
          problems.push(`--throttle: got ${JSON.stringify(value)}, expected off, on or a scale factor > 0`);
        break;
      case '--latency':
        if (Number(value) >= 0 && value !== '') o.latencyMs = Number(value);
        else problems.push(`--latency: got ${JSON.stringify(value)}, expected milliseconds >= 0`);
        break;
      case '--fault': {
        const r = parseFaultSpec(value);
        if (Array.isArray(r)) problems.push(...r.map((p) => `--fault: ${p}`));
        else o.faults.push(r);
        break;
      }
      case '--seed':
        if (/^-?\d+$/.test(value)) o.seed = Number(value);
        else problems.push(`--seed: got ${JSON.stringify(value)}, expected an integer`);
        break;
      case '--region':
        if (/^[a-z]{2}(-[a-z]+)+-\d$/.test(value)) o.region = value;
        else problems.push(`--region: got ${JSON.stringify(value)}, expected a region like us-east-1`);
        break;
      case '--account-id':
        if (/^\d{12}$/.test(value)) o.accountId = value;
        else problems.push(`--account-id: got ${JSON.stringify(value)}, expected 12 digits`);
        break;
      case '--events-queue':
        if (/^[a-zA-Z0-9_-]{1,80}$/.test(value)) o.eventsQueue = value;
        else problems.push(`--events-queue: got ${JSON.stringify(value)}, expected an SQS queue name`);
        break;
      case '--event-delivery': {
        const r = parseEventDeliverySpec(value);
        if (Array.isArray(r)) problems.push(...r.map((p) => `--event-delivery: ${p}`));
        else o.eventDelivery = r;
        break;
      }
      case '--lifecycle':
        for (const part of value.split(',')) {
          const [k, v] = part.split('=');
          if (!(LIFECYCLE_KEYS as readonly string[]).includes(k ?? '')) {
            problems.push(
              `--lifecycle: got key ${JSON.stringify(k)}, expected one of ${LIFECYCLE_KEYS.join(', ')}`,
            );
          } else if (!(Number(v) >= 0) || v === undefined || v === '') {
            problems.push(`--lifecycle: got ${k}=${JSON.stringify(v)}, expected milliseconds >= 0`);
          } else o.lifecycle[k as (typeof LIFECYCLE_KEYS)[number]] = Number(v);
        }
        break;
    }
  }
  return problems.length > 0 ? { problems } : o;
}
