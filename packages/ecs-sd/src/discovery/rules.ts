/** Config-file rules in the OpenTelemetry ecs_observer style: matchers on a container and the ports they scrape. */
import { bucketMs } from '../lib/intervals.ts';
import type { Pattern } from '../lib/pattern.ts';
import { type ConventionResult, emptyResult } from './declaration.ts';
import type { Rule } from './types.ts';
import { quote } from './values.ts';

/** What a config rule can match a container on. */
export interface RuleSubject {
  clusterName: string;
  serviceName?: string;
  family?: string;
  taskDefinitionArn?: string;
  containerName: string;
  dockerLabels: Readonly<Record<string, string>>;
  /** containerPort of every portMappings entry of the container definition. */
  mappedPorts: readonly number[];
}

/** True when every matcher the rule sets matches; a rule with a service matcher never matches a standalone task. */
export function ruleMatches(rule: Rule, s: RuleSubject): boolean {
  const test = (pattern: Pattern | undefined, value: string | undefined): boolean =>
    pattern === undefined || (value !== undefined && pattern.test(value));
  if (!test(rule.cluster, s.clusterName)) return false;
  if (!test(rule.service, s.serviceName)) return false;
  if (!test(rule.family, s.family)) return false;
  if (!test(rule.taskDefinitionArn, s.taskDefinitionArn)) return false;
  if (!test(rule.container, s.containerName)) return false;
  if (rule.dockerLabel) {
    const value = s.dockerLabels[rule.dockerLabel.name];
    if (value === undefined) return false;
    if (rule.dockerLabel.value && !rule.dockerLabel.value.test(value)) return false;
  }
  return true;
}

/**
 * Config rules, in config order. A rule that names the container (container regex or docker label) scrapes
 * its ports as given; a broader rule only the ports the container maps, so sidecars are not scraped on
 * ports they do not have (as the OpenTelemetry ecs_observer does).
 */
export function configRules(rules: readonly Rule[], subject: RuleSubject): ConventionResult {
  const result = emptyResult();
  for (const rule of rules) {
    if (!ruleMatches(rule, subject)) continue;
    const explicit = rule.container !== undefined || rule.dockerLabel !== undefined;
    const ports = explicit ? rule.ports : rule.ports.filter((p) => subject.mappedPorts.includes(p));
    if (explicit && ports.length === 0) {
      result.skips.push({
        reason: 'port-missing',
        message: `rule ${quote(rule.name)} matches but declares no ports`,
      });
    }
    for (const port of ports) {
      result.declarations.push({
        convention: 'rule',
        origin: `rule ${quote(rule.name)}`,
        port: { kind: 'container', port, source: `rule ${quote(rule.name)} port ${port}` },
        path: rule.path,
        scheme: rule.scheme,
        ...(rule.interval
          ? {
              interval: {
                text: rule.interval,
                ms: bucketMs(rule.interval),
                name: `rule ${quote(rule.name)} interval`,
              },
            }
          : {}),
        ...(rule.job !== undefined ? { job: rule.job } : {}),
        labels: rule.labels,
        ruleName: rule.name,
      });
    }
  }
  return result;
}
