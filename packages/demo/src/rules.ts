/**
 * The monitoring/ rules as the demo loads them: `for:` capped so alerts fire while you watch, and the
 * host alerts that would only measure the machine the demo runs on left out.
 */
import { parse, stringify } from 'yaml';
import { durationSeconds } from './duration.ts';

interface Rule {
  alert?: string;
  record?: string;
  expr?: string;
  for?: string;
}

interface RuleFile {
  groups?: { name: string; rules?: Rule[] }[];
}

/** A node-exporter series (`node_…`) or a recording rule over them (`instance:node_…`). */
const READS_NODE_EXPORTER = /(?:^|[^A-Za-z0-9_])node_|:node_/;

/**
 * True for an alert that reads what node-exporter measures of its machine (CPU, memory, disks, clock).
 * Every demo "host" is served from this one machine, so such an alert would fire once per host for
 * the laptop (an unsynchronised clock in a container, a busy CPU), not for the simulated fleet.
 * Alerts on whether a host answers at all (HostDown, from `up`) stay.
 */
export function measuresThisMachine(rule: Rule): boolean {
  return rule.alert !== undefined && READS_NODE_EXPORTER.test(rule.expr ?? '');
}

/** One rule file as the demo writes it, and the alerts it left out. */
export interface DemoRules {
  yaml: string;
  leftOut: string[];
}

/** Caps every `for:` to `cap` (a Prometheus duration) and leaves out the alerts that measure this machine. */
export function demoRules(rulesYaml: string, cap: string): DemoRules {
  const doc = parse(rulesYaml) as RuleFile;
  const capSeconds = durationSeconds(cap);
  if (capSeconds === undefined)
    throw new Error(`alert for cap "${cap}" is not a duration, expected e.g. 20s`);
  const leftOut: string[] = [];
  for (const g of doc.groups ?? []) {
    g.rules = (g.rules ?? []).filter((r) => {
      if (!measuresThisMachine(r)) return true;
      leftOut.push(r.alert!);
      return false;
    });
    for (const r of g.rules) {
      const seconds = r.for === undefined ? undefined : durationSeconds(r.for);
      if (seconds !== undefined && seconds > capSeconds) r.for = cap;
    }
  }
  return { yaml: stringify(doc, { lineWidth: 0 }), leftOut };
}
