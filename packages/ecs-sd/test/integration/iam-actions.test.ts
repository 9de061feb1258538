/**
 * The IAM actions of src/lib/iam.ts are exactly what ecs-sd sends: the runtime runs through every
 * code path that calls AWS (polling with EC2 and ECS Anywhere hosts, services read for a rule, a
 * source behind sts:AssumeRole, event mode with a message received and deleted) against ecs-sim,
 * and the operations ecs-sim counted, mapped to their IAM actions, must equal the declared lists.
 * A call the code makes but the lists lack (or an action no code calls) fails this test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@ecs-sd/testkit';
import { type Sim, startSim } from 'ecs-sim';
import { loadConfig } from '../../src/config/load.ts';
import { createRuntime } from '../../src/daemon/runtime.ts';
import { ASSUME_ROLE_IAM_ACTIONS, DISCOVERY_IAM_ACTIONS, EVENT_MODE_IAM_ACTIONS } from '../../src/lib/iam.ts';
import { silentLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { metricSum, useTestCredentials } from './helpers.ts';

const ROLE_ACCOUNT = '210987654321';

/**
 * Operations whose IAM action has another name. SQS batch operations are authorised by the action
 * of the single one (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
 */
const ACTION_OF_OPERATION: Readonly<Record<string, string>> = {
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
};

const FLEET = {
  region: 'us-east-1',
  subnets: [{ id: 'subnet-a', cidr: '127.6.0.0/16', availabilityZone: 'us-east-1a' }],
  taskDefinitions: [
    {
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'app', image: 'example/web:1', portMappings: [{ containerPort: 8080 }] },
      ],
    },
    {
      family: 'api',
      networkMode: 'bridge',
      containerDefinitions: [
        {
          name: 'api',
          image: 'example/api:1',
          portMappings: [{ containerPort: 9100 }],
          dockerLabels: { PROMETHEUS_EXPORTER_PORT: '9100' },
        },
      ],
    },
  ],
  clusters: [
    {
      name: 'prod',
      instances: [
        { count: 1, launchType: 'EC2', subnet: 'subnet-a' },
        { count: 1, launchType: 'EXTERNAL' },
      ],
      services: [
        { name: 'web', taskDefinition: 'web', desiredCount: 1, launchType: 'FARGATE', subnet: 'subnet-a' },
      ],
      tasks: [
        { taskDefinition: 'api', count: 1, launchType: 'EC2' },
        { taskDefinition: 'api', count: 1, launchType: 'EXTERNAL' },
      ],
    },
  ],
  accounts: [
    {
      accountId: ROLE_ACCOUNT,
      roles: [{ name: 'ecs-sd-read' }],
      subnets: [{ id: 'subnet-x', cidr: '127.7.0.0/16', availabilityZone: 'us-east-1b' }],
      taskDefinitions: [
        {
          family: 'payments',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          containerDefinitions: [
            {
              name: 'app',
              image: 'example/payments:1',
              portMappings: [{ containerPort: 9090 }],
              environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: '9090' },
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'payments',
          tasks: [{ taskDefinition: 'payments', count: 1, launchType: 'FARGATE', subnet: 'subnet-x' }],
        },
      ],
    },
  ],
};

/** `service:Operation` of every call ecs-sim served, in any account, from its Prometheus counters. */
async function operationsSeen(sim: Sim): Promise<Set<string>> {
  const text = await (await fetch(`${sim.endpoint}/_sim/metrics`)).text();
  const seen = new Set<string>();
  for (const match of text.matchAll(/^ecs_sim_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Number(match[2]) > 0) seen.add(`${labels['service']}:${labels['operation']}`);
  }
  return seen;
}

describe('IAM actions', () => {
  let sim: Sim;
  before(async () => {
    useTestCredentials();
    sim = await startSim({ port: 0, fleet: FLEET as never, throttling: false });
    sim.setEventsQueue('ecs-events');
  });
  after(async () => {
    await sim.close();
  });

  test('the actions ecs-sd sends through every code path are exactly DISCOVERY, EVENT_MODE and ASSUME_ROLE', async () => {
    const config = loadConfig({
      fileText: JSON.stringify({
        sources: [
          {
            name: 'local',
            region: 'us-east-1',
            endpoint: sim.endpoint,
            events: { queue_url: `${sim.endpoint}/${sim.accountId}/ecs-events`, wait_time: '1s' },
          },
          {
            name: 'remote',
            region: 'us-east-1',
            endpoint: sim.endpoint,
            role_arn: `arn:aws:iam::${ROLE_ACCOUNT}:role/ecs-sd-read`,
            clusters: ['payments'],
          },
        ],
        // A rule with a service matcher makes ecs-sd read services (ListServices, DescribeServices).
        discovery: { rules: [{ name: 'web', service: 'web', ports: [8080] }] },
      }),
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const daemon = createRuntime(config, { log: silentLogger(), metrics });
    try {
      daemon.start();
      await waitUntil('the first complete refresh', () => daemon.state.ready());
      // A task started now reaches the daemon as an event: received, applied, deleted.
      sim.runTask({ cluster: 'prod', taskDefinition: 'web', launchType: 'FARGATE', subnets: ['subnet-a'] });
      await waitUntil('an event received and deleted', async () => {
        return (await metricSum(metrics, 'ecs_sd_events_deleted_total')) > 0;
      });
    } finally {
      await daemon.stop();
    }
    const targets = daemon.state.targets().map((target) => target.clusterName);
    assert.ok(targets.includes('payments'), 'the assumed role read the other account');

    const actions = new Set([...(await operationsSeen(sim))].map((op) => ACTION_OF_OPERATION[op] ?? op));
    const declared = new Set<string>([
      ...DISCOVERY_IAM_ACTIONS,
      ...EVENT_MODE_IAM_ACTIONS,
      ...ASSUME_ROLE_IAM_ACTIONS,
    ]);
    assert.deepEqual([...actions].sort(), [...declared].sort());
  });
});
