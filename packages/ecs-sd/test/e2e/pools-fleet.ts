/**
 * The fleet of the scraper-pool end-to-end test (issue 16): ecs-sim serves one cluster whose `app`
 * service's tasks have several opted-in containers on loopback addresses (one tiny exporter per
 * target), and the scrapers' own families, registered and run through the ECS API as a deploy would,
 * whose RUNNING tasks are the pools' members.
 */
import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import type { FleetSpec, TruthTask } from 'ecs-sim';
import { type Exporter, startExporter } from './exporters.ts';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const CLUSTER = 'e2e-pools';
export const SUBNET = 'subnet-e2e-pools';
/** The family of the scraped application. */
export const APP_FAMILY = 'app';
/** Opted-in containers per app task, each on its own port of the task's address: one target each. */
export const CONTAINERS_PER_TASK = 3;
/** The first exporter port; container i listens on FIRST_PORT + i. */
const FIRST_PORT = 9100;

/**
 * One cluster on a /24 of 127.0.0.0/8 (random per run, so two runs at once do not fight over
 * addresses): `tasks` awsvpc tasks of `app`, each with CONTAINERS_PER_TASK opted-in containers.
 */
export function poolsFleet(net: string, tasks: number): FleetSpec {
  return {
    region: REGION,
    accountId: ACCOUNT,
    seed: 16,
    subnets: [{ id: SUBNET, cidr: `${net}.0/24` }],
    taskDefinitions: [
      {
        family: APP_FAMILY,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        containerDefinitions: Array.from({ length: CONTAINERS_PER_TASK }, (_, i) => ({
          name: `exporter-${i}`,
          image: 'exporter:1',
          portMappings: [{ containerPort: FIRST_PORT + i }],
          environment: { PROMETHEUS: 'true', PROMETHEUS_PORT: String(FIRST_PORT + i) },
        })),
      },
    ],
    clusters: [
      {
        name: CLUSTER,
        services: [
          {
            name: APP_FAMILY,
            taskDefinition: APP_FAMILY,
            desiredCount: tasks,
            launchType: 'FARGATE',
            subnet: SUBNET,
          },
        ],
      },
    ],
  };
}

/** `host:port` of every opted-in container of the RUNNING app tasks: the targets, from ground truth alone. */
export function expectedInstances(tasks: readonly TruthTask[]): string[] {
  const instances: string[] = [];
  for (const task of tasks) {
    if (task.lastStatus !== 'RUNNING' || task.family !== APP_FAMILY) continue;
    for (const container of task.containers) {
      const port = container.environment['PROMETHEUS_PORT'];
      if (container.environment['PROMETHEUS'] !== 'true' || port === undefined) continue;
      if (container.address === undefined) throw new Error(`${task.taskArn} has no address in ground truth`);
      instances.push(`${container.address}:${port}`);
    }
  }
  return instances.sort();
}

/** Starts one exporter per `host:port`; the caller closes them. */
export async function startExporters(instances: readonly string[]): Promise<Exporter[]> {
  const exporters: Exporter[] = [];
  try {
    for (const instance of instances) {
      const colon = instance.lastIndexOf(':');
      exporters.push(
        await startExporter(instance.slice(0, colon), Number(instance.slice(colon + 1)), '/metrics'),
      );
    }
    return exporters;
  } catch (err) {
    await Promise.all(exporters.map((e) => e.close()));
    throw err;
  }
}

/** The last segment of a task ARN: the member id a scraper passes as `member=`. */
export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/** The ECS API of ecs-sim as a deploy sees it: registers the scrapers' families, runs and stops their tasks. */
export class ScraperTasks {
  readonly #ecs: ECSClient;

  constructor(endpoint: string) {
    this.#ecs = new ECSClient({
      endpoint,
      region: REGION,
      credentials: { accessKeyId: 'AKIDE2EPOOLS', secretAccessKey: 'e2e-pools-secret' },
    });
  }

  /** Registers `family` as an awsvpc Fargate task definition that opts into nothing (a scraper is no target here). */
  async register(family: string): Promise<void> {
    await this.#ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: family, image: `${family}:1`, essential: true }],
      }),
    );
  }

  /** Runs `count` tasks of `family` and returns their ARNs (RunTask; they walk ecs-sim's lifecycle to RUNNING). */
  async run(family: string, count: number): Promise<string[]> {
    const out = await this.#ecs.send(
      new RunTaskCommand({
        cluster: CLUSTER,
        taskDefinition: family,
        count,
        launchType: 'FARGATE',
        startedBy: 'e2e-pools',
        networkConfiguration: { awsvpcConfiguration: { subnets: [SUBNET] } },
      }),
    );
    if ((out.failures ?? []).length > 0)
      throw new Error(`RunTask ${family}: ${JSON.stringify(out.failures)}`);
    return (out.tasks ?? []).map((task) => task.taskArn!);
  }

  async stop(taskArn: string): Promise<void> {
    await this.#ecs.send(
      new StopTaskCommand({ cluster: CLUSTER, task: taskArn, reason: 'e2e: scraper stopped' }),
    );
  }

  close(): void {
    this.#ecs.destroy();
  }
}
