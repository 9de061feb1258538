/**
 * The opt-in conventions, each read from one container: prometheus-ecs-sd environment variables and
 * ecs-sd's own docker labels here, prometheus-ecs-discovery docker labels (exporter-labels.ts) and
 * config rules (rules.ts). Each returns declarations plus the skips and notes of what it could not
 * use; none of them throws.
 */
import type { ContainerDefinition, KeyValuePair, Task } from '@aws-sdk/client-ecs';
import {
  type PrometheusDurationProblem,
  prometheusDuration,
  prometheusDurationProblemText,
} from '../lib/duration.ts';
import { bucketMs, type Interval } from '../lib/intervals.ts';
import { type ConventionResult, type Declaration, emptyResult } from './declaration.ts';
import { isUserLabelName } from './labels.ts';
import { LIMITS, listNames } from './limits.ts';
import type { Skip } from './types.ts';
import { parseBool, parsePort, parseScheme, quote } from './values.ts';

export type { ConventionResult } from './declaration.ts';
export { prometheusEcsDiscovery } from './exporter-labels.ts';
export { configRules, type RuleSubject, ruleMatches } from './rules.ts';

/** The only environment variables ever read: others can hold secrets and never reach a label, log or message. */
export const PROMETHEUS_ENV_NAMES = [
  'PROMETHEUS',
  'PROMETHEUS_PORT',
  'PROMETHEUS_CONTAINER_PORT',
  'PROMETHEUS_ENDPOINT',
  'PROMETHEUS_NOLABELS',
] as const;

/**
 * The PROMETHEUS* variables of a container: the task definition's environment, then the task's
 * containerOverrides (which win, as ECS applies them). Every other variable is left unread.
 */
export function prometheusEnv(definition: ContainerDefinition, task: Task): ReadonlyMap<string, string> {
  const env = new Map<string, string>();
  const take = (pairs: readonly KeyValuePair[] | undefined): void => {
    for (const pair of pairs ?? []) {
      const name = pair.name;
      if (name !== undefined && (PROMETHEUS_ENV_NAMES as readonly string[]).includes(name)) {
        env.set(name, pair.value ?? '');
      }
    }
  };
  take(definition.environment);
  const override = task.overrides?.containerOverrides?.find((o) => o.name === definition.name);
  take(override?.environment);
  return env;
}

function duration(
  text: string,
  name: string,
): { text: string; ms: number; name: string } | PrometheusDurationProblem {
  const result = prometheusDuration(text.trim());
  return 'ms' in result ? { text: text.trim(), ms: result.ms, name } : result.problem;
}

/** `is not a duration (expected e.g. 30s or 1m)`, `is out of range (…)`: the tail of a message about a bad duration. */
function durationMessage(problem: PrometheusDurationProblem, example: string): string {
  return problem === 'out-of-range'
    ? prometheusDurationProblemText(problem)
    : `${prometheusDurationProblemText('not-a-duration')} (expected e.g. ${example})`;
}

/** prometheus-ecs-sd: `PROMETHEUS=true` with `PROMETHEUS_PORT`, `_CONTAINER_PORT`, `_ENDPOINT`, `_NOLABELS`. */
export function prometheusEcsSd(env: ReadonlyMap<string, string>, defaultPath: string): ConventionResult {
  const result = emptyResult();
  const enabled = env.get('PROMETHEUS');
  if (enabled === undefined) return result;
  const on = parseBool(enabled);
  if (on === undefined) {
    result.skips.push({
      reason: 'invalid-env-value',
      message: `PROMETHEUS=${quote(enabled)} is not a boolean (expected true or false)`,
    });
    return result;
  }
  if (!on) {
    result.notes.push(`PROMETHEUS=${quote(enabled)}: not opted in`);
    return result;
  }
  const noLabels = (env.get('PROMETHEUS_NOLABELS') ?? '').trim().toLowerCase() === 'true';

  let port: Declaration['port'] = { kind: 'first-mapping' };
  const hostPort = env.get('PROMETHEUS_PORT');
  const containerPort = env.get('PROMETHEUS_CONTAINER_PORT');
  if (hostPort !== undefined && hostPort.trim() !== '') {
    const n = parsePort(hostPort);
    if (n === undefined) {
      result.skips.push({
        reason: 'port-not-a-number',
        message: `PROMETHEUS_PORT=${quote(hostPort)} is not a port number`,
      });
      return result;
    }
    port = { kind: 'target', port: n, source: `PROMETHEUS_PORT=${n}` };
  } else if (containerPort !== undefined && containerPort.trim() !== '') {
    const n = parsePort(containerPort);
    if (n === undefined) {
      result.skips.push({
        reason: 'port-not-a-number',
        message: `PROMETHEUS_CONTAINER_PORT=${quote(containerPort)} is not a port number`,
      });
      return result;
    }
    port = { kind: 'container', port: n, source: `PROMETHEUS_CONTAINER_PORT=${n}` };
  }

  const endpoint = env.get('PROMETHEUS_ENDPOINT') ?? '';
  // Keyed by path: prometheus-ecs-sd builds a dict by path, so a repeated path keeps its last interval.
  const byPath = new Map<string, Declaration>();
  const all = endpoint.trim() === '' ? [defaultPath] : endpoint.split(',').filter((e) => e.trim() !== '');
  const entries = all.slice(0, LIMITS.endpointsPerContainer);
  if (all.length > entries.length) {
    result.skips.push({
      reason: 'too-many-endpoints',
      message: `PROMETHEUS_ENDPOINT has ${all.length} entries, over the limit of ${LIMITS.endpointsPerContainer} per container: the last ${all.length - entries.length} left out`,
    });
  }
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    const intervalText = colon === -1 ? undefined : entry.slice(0, colon);
    const path = colon === -1 ? entry : entry.slice(colon + 1);
    const origin = `PROMETHEUS_ENDPOINT entry ${quote(entry)}`;
    let interval: Declaration['interval'];
    if (intervalText !== undefined) {
      const parsed = duration(intervalText, `${origin} interval`);
      if (typeof parsed === 'string') {
        result.skips.push({
          reason: 'invalid-endpoint',
          message:
            parsed === 'out-of-range'
              ? `${origin} has interval ${quote(intervalText)}, which ${prometheusDurationProblemText(parsed)}`
              : `${origin} has interval ${quote(intervalText)}, expected a duration such as 15s, 30s, 1m or 5m`,
        });
        continue;
      }
      interval = parsed;
    }
    if (!path.startsWith('/')) {
      result.skips.push({
        reason: 'invalid-endpoint',
        message: `${origin} has path ${quote(path)}, expected a path starting with /`,
      });
      continue;
    }
    byPath.delete(path);
    byPath.set(path, {
      convention: 'prometheus-ecs-sd',
      origin,
      port,
      path,
      ...(interval ? { interval } : {}),
      labels: {},
      noLabels,
    });
  }
  result.declarations.push(...byPath.values());
  return result;
}

/** Prefix of ecs-sd's own docker labels. */
export const ECS_SD_PREFIX = 'ecs-sd.';
const FIELDS = ['port', 'path', 'scheme', 'interval', 'timeout', 'job'] as const;
type Field = (typeof FIELDS)[number];
interface EndpointLabels {
  fields: Partial<Record<Field, string>>;
  labels: Record<string, string>;
}

/**
 * ecs-sd's own docker labels: `ecs-sd.scrape=true`, shorthand `ecs-sd.port` … `ecs-sd.label.<k>`, and
 * several endpoints as `ecs-sd.endpoints.<name>.<field>`. The shorthand fields are defaults for every
 * named endpoint; a `default` endpoint exists when `ecs-sd.port` is set or no endpoint is named.
 */
export function ecsSdLabels(
  dockerLabels: Readonly<Record<string, string>>,
  defaultPath: string,
  defaultInterval: Interval,
): ConventionResult {
  const result = emptyResult();
  const names = Object.keys(dockerLabels)
    .filter((k) => k.startsWith(ECS_SD_PREFIX))
    .sort();
  if (names.length === 0) return result;
  const scrapeText = dockerLabels['ecs-sd.scrape'];
  if (scrapeText === undefined) {
    result.notes.push('ecs-sd.* labels are present but ecs-sd.scrape is not set: not opted in');
    return result;
  }
  const scrape = parseBool(scrapeText);
  if (scrape === undefined) {
    result.skips.push({
      reason: 'invalid-label-value',
      message: `ecs-sd.scrape=${quote(scrapeText)} is not a boolean (expected true or false)`,
    });
    return result;
  }
  if (!scrape) {
    result.notes.push(`ecs-sd.scrape=${quote(scrapeText)}: not opted in`);
    return result;
  }

  const shorthand: EndpointLabels = { fields: {}, labels: {} };
  const endpoints = new Map<string, EndpointLabels>();
  const put = (target: EndpointLabels, rest: string, value: string, name: string): void => {
    if (rest.startsWith('label.')) target.labels[rest.slice('label.'.length)] = value;
    else if ((FIELDS as readonly string[]).includes(rest)) target.fields[rest as Field] = value;
    else result.notes.push(`unknown docker label ${name} ignored`);
  };
  for (const name of names) {
    const value = dockerLabels[name]!;
    const rest = name.slice(ECS_SD_PREFIX.length);
    if (rest === 'scrape') continue;
    const endpoint = /^endpoints\.([A-Za-z0-9_-]+)\.(.+)$/.exec(rest);
    if (endpoint) {
      const epName = endpoint[1]!;
      let ep = endpoints.get(epName);
      if (!ep) {
        ep = { fields: {}, labels: {} };
        endpoints.set(epName, ep);
      }
      put(ep, endpoint[2]!, value, name);
    } else {
      put(shorthand, rest, value, name);
    }
  }

  const declared: [string, EndpointLabels][] = [];
  if (shorthand.fields.port !== undefined || endpoints.size === 0) {
    declared.push(['default', { fields: {}, labels: {} }]);
  }
  declared.push(...[...endpoints.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const chosen = declared.slice(0, LIMITS.endpointsPerContainer);
  if (declared.length > chosen.length) {
    const left = declared.slice(chosen.length).map(([name]) => name);
    result.skips.push({
      reason: 'too-many-endpoints',
      message: `ecs-sd labels declare ${declared.length} endpoints, over the limit of ${LIMITS.endpointsPerContainer} per container: ${left.length} left out (${listNames(left)})`,
    });
  }

  for (const [epName, ep] of chosen) {
    const labelOf = (field: Field): string =>
      ep.fields[field] !== undefined && epName !== 'default'
        ? `ecs-sd.endpoints.${epName}.${field}`
        : `ecs-sd.${field}`;
    const field = (f: Field): string | undefined => ep.fields[f] ?? shorthand.fields[f];
    const skip = (reason: Skip['reason'], message: string): void => {
      result.skips.push({ reason, message });
    };
    const origin = epName === 'default' ? 'ecs-sd labels' : `ecs-sd endpoint ${quote(epName)}`;

    let port: Declaration['port'];
    const portText = field('port');
    if (portText === undefined) {
      port = { kind: 'single-mapping', source: labelOf('port') };
    } else {
      const n = parsePort(portText);
      if (n === undefined) {
        skip('port-not-a-number', `${labelOf('port')}=${quote(portText)} is not a port number`);
        continue;
      }
      port = { kind: 'container', port: n, source: `${labelOf('port')}=${n}` };
    }
    const path = field('path') ?? defaultPath;
    if (!path.startsWith('/')) {
      skip(
        'invalid-label-value',
        `${labelOf('path')}=${quote(path)} is not a path (expected one starting with /)`,
      );
      continue;
    }
    const schemeText = field('scheme');
    const scheme = schemeText === undefined ? undefined : parseScheme(schemeText);
    if (schemeText !== undefined && scheme === undefined) {
      skip(
        'invalid-label-value',
        `${labelOf('scheme')}=${quote(schemeText)} is not a scheme (expected http or https)`,
      );
      continue;
    }
    const intervalText = field('interval');
    const interval = intervalText === undefined ? undefined : duration(intervalText, labelOf('interval'));
    if (typeof interval === 'string') {
      skip(
        'invalid-endpoint',
        `${labelOf('interval')}=${quote(intervalText!)} ${durationMessage(interval, '30s or 1m')}`,
      );
      continue;
    }
    const timeoutText = field('timeout');
    const timeout = timeoutText === undefined ? undefined : duration(timeoutText, labelOf('timeout'));
    if (typeof timeout === 'string') {
      skip(
        'invalid-endpoint',
        `${labelOf('timeout')}=${quote(timeoutText!)} ${durationMessage(timeout, '10s')}`,
      );
      continue;
    }
    if (interval && timeout && timeout.ms > interval.ms) {
      skip(
        'invalid-endpoint',
        `${labelOf('timeout')}=${quote(timeout.text)} is longer than ${labelOf('interval')}=${quote(interval.text)} (prometheus needs timeout <= interval)`,
      );
      continue;
    }
    if (!interval && timeout && timeout.ms > bucketMs(defaultInterval)) {
      // Without __scrape_interval__ Prometheus scrapes at the bucket job's interval, and drops a longer timeout.
      skip(
        'invalid-endpoint',
        `${labelOf('timeout')}=${quote(timeout.text)} is longer than the scrape interval ${defaultInterval} of the ${defaultInterval} bucket it lands in (no ecs-sd.interval is set), expected at most ${defaultInterval} or an ecs-sd.interval at least as long (prometheus needs timeout <= interval)`,
      );
      continue;
    }
    const labels: Record<string, string> = {};
    let badLabel = false;
    for (const [k, v] of Object.entries({ ...shorthand.labels, ...ep.labels })) {
      if (!isUserLabelName(k)) {
        skip(
          'invalid-label-value',
          `label name ${quote(k)} from ${origin} is not valid (expected [a-zA-Z_][a-zA-Z0-9_]* without a __ prefix)`,
        );
        badLabel = true;
        continue;
      }
      labels[k] = v;
    }
    if (badLabel) continue;
    const job = field('job');
    result.declarations.push({
      convention: 'ecs-sd-labels',
      origin,
      port,
      path,
      ...(scheme ? { scheme } : {}),
      ...(interval ? { interval } : {}),
      ...(timeout ? { timeout } : {}),
      ...(job !== undefined && job !== '' ? { job } : {}),
      labels,
      endpointName: epName,
    });
  }
  return result;
}
