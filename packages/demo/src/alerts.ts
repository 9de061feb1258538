/**
 * Where the demo's alerts end up: Alertmanager's configuration adapted so every receiver posts to a
 * webhook sink, and the sink printing one line per alert each time its state changes.
 */
import { createServer } from 'node:http';
import { renderAlertmanagerConfig } from '@ecs-sd/monitoring/alertmanager';
import { parse, stringify } from 'yaml';

/** One alert of an Alertmanager webhook notification (payload version 4). */
export interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  fingerprint?: string;
}

/** A notification Alertmanager sent to the demo's webhook sink. */
export interface AlertNotification {
  receiver: string;
  status: string;
  alerts: WebhookAlert[];
}

/** Labels every alert of the demo carries that tell one alert from another not at all. */
const NOT_IDENTIFYING = new Set(['alertname', 'severity', 'prometheus', 'prometheus_replica']);
/** Labels that only describe the scraped `instance` (where it runs), so they add nothing when it is there. */
const DESCRIBE_INSTANCE = new Set(['availability_zone', 'launch_type', 'instance_id']);
/** The ECS names of the job: printed only when they differ from `job`. */
const SAME_AS_JOB = new Set(['service', 'task_family']);
/** Identifying labels first, in the order a reader narrows down: where, what, which endpoint. */
const ORDER = ['cluster', 'job', 'service', 'task_family', 'container', 'instance'];

/** The labels that identify an alert, in reading order: no empty values, no severity, nothing implied by others. */
export function identifyingLabels(labels: Readonly<Record<string, string>>): [string, string][] {
  const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);
  return Object.entries(labels)
    .filter(([k, v]) => v !== '' && !NOT_IDENTIFYING.has(k))
    .filter(([k]) => !(DESCRIBE_INSTANCE.has(k) && labels['instance']))
    .filter(([k, v]) => !(SAME_AS_JOB.has(k) && v === labels['job']))
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** One line for one alert: `firing    TargetDown{cluster="prod", job="api", instance="…"}  severity=warning receiver=warning`. */
export function alertLine(alert: WebhookAlert, receiver: string): string {
  const labels = identifyingLabels(alert.labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  const severity = alert.labels['severity'] ? `severity=${alert.labels['severity']} ` : '';
  return `${alert.status.padEnd(9)} ${alert.labels['alertname'] ?? '(no alertname)'}{${labels}}  ${severity}receiver=${receiver}`;
}

/** The largest notification the sink reads; Alertmanager's are a few KiB per alert. */
const MAX_BODY_BYTES = 1 << 20;

/** A running webhook sink. */
export interface AlertSink {
  /** Base URL; receivers post to `<url>/alerts/<receiver>`. */
  readonly url: string;
  /** Notifications received, oldest first. */
  readonly notifications: readonly AlertNotification[];
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 for Alertmanager's webhooks and logs `alert       <line>` once per alert and
 * state: a group's later notifications repeat alerts already printed, and those stay quiet.
 */
export async function startAlertSink(log: (line: string) => void): Promise<AlertSink> {
  const notifications: AlertNotification[] = [];
  const printed = new Map<string, string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(d);
    });
    req.on('end', () => {
      res.writeHead(200).end();
      let n: AlertNotification;
      try {
        n = JSON.parse(Buffer.concat(chunks).toString()) as AlertNotification;
        if (!Array.isArray(n.alerts)) return;
      } catch {
        return; // not a notification
      }
      notifications.push(n);
      for (const a of n.alerts) {
        if (typeof a?.labels !== 'object' || a.labels === null) continue;
        const key = a.fingerprint ?? JSON.stringify(Object.entries(a.labels).sort());
        if (printed.get(key) === a.status) continue;
        printed.set(key, a.status);
        log(`alert       ${alertLine(a, n.receiver ?? req.url?.split('/').pop() ?? '')}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How quickly the demo's Alertmanager notifies: a watcher should not wait the production 30s and 5m. */
export const DEMO_GROUP_WAIT = '5s';
export const DEMO_GROUP_INTERVAL = '10s';

/**
 * The checked-in Alertmanager configuration for the demo: every receiver posts to the sink, also those
 * that notify nobody in production (`info`, where the showcase EcsSdTargetsMisconfigured goes), and
 * groups notify after seconds instead of minutes. Routing and inhibition stay as checked in.
 */
export function demoAlertmanagerConfig(configText: string, options: { webhookBaseUrl: string }): string {
  const base = options.webhookBaseUrl.replace(/\/+$/, '');
  const doc = parse(renderAlertmanagerConfig(configText, { webhookBaseUrl: base })) as {
    route?: Record<string, unknown>;
    receivers?: Record<string, unknown>[];
  };
  for (const r of doc.receivers ?? []) {
    if (Object.keys(r).some((k) => k.endsWith('_configs'))) continue;
    r['webhook_configs'] = [{ url: `${base}/alerts/${String(r['name'])}`, send_resolved: true }];
  }
  if (doc.route) {
    doc.route['group_wait'] = DEMO_GROUP_WAIT;
    doc.route['group_interval'] = DEMO_GROUP_INTERVAL;
  }
  return stringify(doc, { lineWidth: 0 });
}
