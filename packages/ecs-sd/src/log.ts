/**
 * The one structured logger (pino): a child per component, object first
 * (`log.warn({ err, cluster }, 'refresh failed')`), JSON lines or logfmt on stderr.
 * logfmt is a small synchronous transform of pino's JSON lines, so no worker thread is needed.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogFormat, LogLevel } from './config/types.ts';

/** Where log lines go; stderr by default, a collecting stream in tests. */
export interface LogSink {
  write(line: string): void;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  sink?: LogSink;
}

const LOGFMT_BARE = /^[^\s"=\\]+$/;

function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return '""';
  return text !== '' && LOGFMT_BARE.test(text) ? text : JSON.stringify(text);
}

function flatten(prefix: string, value: unknown, out: [string, unknown][]): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value))
      flatten(prefix === '' ? key : `${prefix}.${key}`, child, out);
  } else {
    out.push([prefix, value]);
  }
}

/**
 * One pino JSON line as a logfmt line: `ts level component msg` first, then the fields, nested
 * objects as dotted keys; an `err` becomes `err="message"` plus `err.code` (its stack is left out).
 */
export function toLogfmt(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, component, msg, err, ...rest } = record;
  const pairs: [string, unknown][] = [
    ['ts', time],
    ['level', level],
  ];
  if (component !== undefined) pairs.push(['component', component]);
  pairs.push(['msg', msg ?? '']);
  if (typeof err === 'object' && err !== null) {
    const error = err as { message?: unknown; code?: unknown; type?: unknown };
    pairs.push(['err', error.message ?? error.type]);
    if (error.code !== undefined) pairs.push(['err.code', error.code]);
  } else if (err !== undefined) {
    pairs.push(['err', err]);
  }
  for (const [key, value] of Object.entries(rest)) flatten(key, value, pairs);
  return `${pairs
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${logfmtValue(value)}`)
    .join(' ')}\n`;
}

/** Creates the root logger; components take `log.child({ component: 'daemon' })`. */
export function createLogger(options: LoggerOptions): Logger {
  const sink: LogSink = options.sink ?? { write: (line) => process.stderr.write(line) };
  const destination: DestinationStream =
    options.format === 'json' ? sink : { write: (line: string) => sink.write(toLogfmt(line)) };
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Never log credentials: redact anything that looks like one, wherever a caller put it.
      redact: {
        paths: [
          'credentials',
          '*.credentials',
          'secretAccessKey',
          '*.secretAccessKey',
          'sessionToken',
          '*.sessionToken',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** A logger that drops everything, for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
