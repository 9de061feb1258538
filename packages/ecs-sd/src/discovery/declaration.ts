/** What an opt-in convention declares for one container, before it is resolved to an address. */
import type { Convention, Skip } from './types.ts';

/** How a declaration names its port; the network mode decides what each kind means (see docs/conventions.md). */
export type PortSpec =
  /** A container port, e.g. `ecs-sd.port`, `PROMETHEUS_EXPORTER_PORT`, `PROMETHEUS_CONTAINER_PORT`, a rule's ports. */
  | { kind: 'container'; port: number; source: string }
  /** The port to dial as is (`PROMETHEUS_PORT`: a host port in bridge mode, as prometheus-ecs-sd does). */
  | { kind: 'target'; port: number; source: string }
  /** prometheus-ecs-sd without a port: the first port mapping (awsvpc, host; else 80) or the first bridge binding. */
  | { kind: 'first-mapping' }
  /** ecs-sd labels without a port: the container's only port mapping. */
  | { kind: 'single-mapping'; source: string };

/** One endpoint a convention asks to scrape: a port, a path and the scrape parameters. */
export interface Declaration {
  convention: Convention;
  /** Where it came from, for messages: `PROMETHEUS_ENDPOINT entry "/metrics"`, `rule "api"`, … */
  origin: string;
  port: PortSpec;
  path: string;
  scheme?: 'http' | 'https';
  /** Declared scrape interval: its text, milliseconds, and the label or variable that set it (for messages). */
  interval?: { text: string; ms: number; name?: string };
  timeout?: { text: string; ms: number; name?: string };
  job?: string;
  labels: Readonly<Record<string, string>>;
  /** prometheus-ecs-sd `PROMETHEUS_NOLABELS=true`: no ecs_* visible labels, `instance` is the family. */
  noLabels?: boolean;
  /** prometheus-ecs-discovery `PROMETHEUS_EXPORTER_SERVER_NAME`: the host part of the address. */
  serverName?: string;
  /** The config rule that produced it. */
  ruleName?: string;
  /** The ecs-sd endpoint name (`default` for the shorthand labels). */
  endpointName?: string;
}

/** What one convention made of one container. */
export interface ConventionResult {
  declarations: Declaration[];
  skips: Skip[];
  notes: string[];
}

/** A result with nothing declared, skipped or noted yet. */
export function emptyResult(): ConventionResult {
  return { declarations: [], skips: [], notes: [] };
}
