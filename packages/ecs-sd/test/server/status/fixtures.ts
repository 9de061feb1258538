/** A fixed daemon state for the status page's tests: two sources' clusters, a stale and a failing one, hostile labels. */
import type { Target, TaskDecision } from '../../../src/discovery/types.ts';
import type { DaemonStatus, DecisionsView } from '../../../src/server/status/model.ts';
import { decision, target } from '../../output/fixtures.ts';

/** The moment the fixed status was taken: 2026-01-02T03:04:05Z. */
export const NOW_MS = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A label value any team can write into a task definition. */
export const HOSTILE = '<script>alert("owned")</script>';

/** A target with a service label and extra labels. */
export function serviceTarget(
  options: Parameters<typeof target>[0] & { service?: string; labels?: Record<string, string> },
): Target {
  const made = target(options);
  const labels: Record<string, string> = { ...made.labels, ...options.labels };
  if (options.service !== undefined) labels['__meta_ecs_service'] = options.service;
  labels['__meta_ecs_task_arn'] = made.key.slice(0, made.key.indexOf('/app/'));
  labels['__metrics_path__'] = options.path ?? '/metrics';
  return { ...made, labels };
}

/** The decisions of the fixture: prod (web ×2, api, a misconfigured billing task, an idle task), staging (a hostile task). */
export function fixtureDecisions(): TaskDecision[] {
  const web1 = serviceTarget({
    cluster: 'prod',
    family: 'web',
    taskId: 'aaaa0001',
    ip: '10.0.0.1',
    interval: '15s',
    service: 'web',
  });
  const web2 = serviceTarget({
    cluster: 'prod',
    family: 'web',
    taskId: 'aaaa0002',
    ip: '10.0.0.2',
    interval: '15s',
    service: 'web',
  });
  const api = serviceTarget({
    cluster: 'prod',
    family: 'api',
    taskId: 'bbbb0001',
    ip: '10.0.0.3',
    port: 8080,
    service: 'api',
  });
  const hostile = serviceTarget({
    cluster: 'staging',
    family: 'evil',
    taskId: 'cccc0001',
    ip: '10.0.1.1',
    service: 'evil',
    labels: { team: HOSTILE, [`__meta_ecs_container_label_x`]: `"><img src=x onerror=alert(1)>` },
  });
  const withFamily = (d: TaskDecision, family: string): TaskDecision => ({
    ...d,
    taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:3`,
  });
  const hostileDecision = withFamily(
    decision({ cluster: 'staging', taskId: 'cccc0001', targets: [hostile] }),
    'evil',
  );
  hostileDecision.containers.push({
    containerName: 'sidecar',
    targets: [],
    skips: [{ reason: 'invalid-label-value', message: `label team=${JSON.stringify(HOSTILE)} is not valid` }],
  });
  return [
    withFamily(decision({ cluster: 'prod', taskId: 'aaaa0001', targets: [web1] }), 'web'),
    withFamily(decision({ cluster: 'prod', taskId: 'aaaa0002', targets: [web2] }), 'web'),
    withFamily(decision({ cluster: 'prod', taskId: 'bbbb0001', targets: [api] }), 'api'),
    withFamily(decision({ cluster: 'prod', taskId: 'dddd0001', skipReason: 'port-not-a-number' }), 'billing'),
    decision({ cluster: 'prod', taskId: 'eeee0001', skipReason: 'no-container-opted-in' }),
    decision({ cluster: 'prod', taskId: 'ffff0001', skipReason: 'task-not-running' }),
    hostileDecision,
  ];
}

/** A view over fixed decisions, ready. */
export function fixedView(decisions: TaskDecision[] = fixtureDecisions(), ready = true): DecisionsView {
  const targets = decisions.flatMap((d) => d.containers.flatMap((c) => c.targets));
  return {
    ready: () => ready,
    targets: () => targets,
    decisions: () => decisions,
    decision: (id) => decisions.find((d) => d.taskId === id || d.taskArn === id),
  };
}

const ACCESS_DENIED =
  'list tasks failed for cluster "prod" of source "eu": AccessDeniedException: User: arn:aws:iam::123456789012:user/x is not authorized to perform: ecs:ListTasks';

/** The daemon status of the fixture: prod stale for 5 minutes (AccessDenied), staging fresh, "gone" failing, event mode unhealthy on one source. */
export function fixtureStatus(): DaemonStatus {
  return {
    nowMs: NOW_MS,
    ready: true,
    refreshIntervalMs: 30_000,
    sources: [
      {
        name: 'eu',
        region: 'eu-west-1',
        lastRefresh: { startedMs: NOW_MS - 4000, durationMs: 1234, full: true, clustersRead: 1, failures: 2 },
        events: {
          queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-sd-events',
          healthy: false,
          consecutiveFailures: 5,
          lastError: 'AccessDenied: not authorized to perform sqs:ReceiveMessage',
          reconcileIntervalMs: 600_000,
          received: 42,
          lastEventMs: NOW_MS - 90_000,
          lastLagSeconds: 1.5,
          maxRecentLagSeconds: 7,
        },
      },
      { name: 'us', region: 'us-east-1' },
    ],
    clusters: [
      {
        source: 'eu',
        clusterName: 'gone',
        clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/gone',
        state: 'failing',
        error: {
          message: 'describe tasks failed for cluster "gone": timed out',
          atMs: NOW_MS - 4000,
          sinceMs: NOW_MS - 60_000,
        },
        lastRead: { startedMs: NOW_MS - 4000, durationMs: 30_000, error: 'timed out' },
        tasks: 0,
        targets: 0,
        skippedTasks: 0,
      },
      {
        source: 'eu',
        clusterName: 'prod',
        clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        state: 'stale',
        error: { message: ACCESS_DENIED, atMs: NOW_MS - 4000, sinceMs: NOW_MS - 300_000 },
        lastSuccessMs: NOW_MS - 301_000,
        lastRead: { startedMs: NOW_MS - 4000, durationMs: 80, error: ACCESS_DENIED },
        tasks: 6,
        targets: 3,
        skippedTasks: 2,
      },
      {
        source: 'eu',
        clusterName: 'staging',
        clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/staging',
        state: 'fresh',
        lastSuccessMs: NOW_MS - 4000,
        lastRead: { startedMs: NOW_MS - 4000, durationMs: 12 },
        tasks: 1,
        targets: 1,
        skippedTasks: 0,
      },
    ],
    budgets: [
      {
        name: 'eu-west-1',
        categories: [
          {
            category: 'ecs_cluster_resource_read',
            tokens: 3.5,
            burst: 50,
            refillPerSecond: 5,
            configuredRefillPerSecond: 10,
            waiting: 2,
            waitSeconds: 12.5,
            granted: 900,
            throttles: 3,
          },
          {
            category: 'ecs_cluster_read',
            tokens: 25,
            burst: 25,
            refillPerSecond: 10,
            configuredRefillPerSecond: 10,
            waiting: 0,
            waitSeconds: 0,
            granted: 10,
            throttles: 0,
          },
        ],
      },
    ],
    files: [
      { file: '/etc/prometheus/1m-tasks.json', ok: true },
      {
        file: '/etc/prometheus/15s-tasks.json',
        ok: false,
        message: 'no space left on device',
        failingSinceMs: NOW_MS - 120_000,
      },
    ],
  };
}
