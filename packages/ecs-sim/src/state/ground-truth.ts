import type { World } from './world.ts';

/** One container's truth: where it can be scraped, if anywhere. */
export interface TruthContainer {
  name: string;
  lastStatus: string;
  /** Address to scrape: ENI IP (awsvpc), host IP (bridge/host), none for `none`. */
  address: string | undefined;
  /** containerPort → hostPort (bridge dynamic/static, host = containerPort, awsvpc = containerPort). */
  ports: { containerPort: number; hostPort: number | undefined }[];
  environment: Record<string, string>;
  dockerLabels: Record<string, string>;
}

/** One task's truth as the simulator knows it (not as DescribeTasks may show it under chaos). */
export interface TruthTask {
  account: string;
  cluster: string;
  taskArn: string;
  family: string;
  revision: number;
  service: string | undefined;
  launchType: string;
  networkMode: string;
  lastStatus: string;
  desiredStatus: string;
  availabilityZone: string;
  containerInstanceArn: string | undefined;
  ec2InstanceId: string | undefined;
  containers: TruthContainer[];
}

/** Every task with lastStatus, network mode, address and host ports per container, so benches can compare discovery to truth. */
export function groundTruth(world: World): { tasks: TruthTask[] } {
  const tasks: TruthTask[] = [];
  for (const a of world.accounts.values()) {
    for (const c of a.clusters.values()) {
      for (const t of c.tasks.values()) {
        const mode = t.taskDefinition.networkMode;
        const address =
          mode === 'awsvpc'
            ? t.eni?.privateIpAddress
            : mode === 'none'
              ? undefined
              : t.containerInstance?.privateIp;
        tasks.push({
          account: a.id,
          cluster: c.name,
          taskArn: t.arn,
          family: t.taskDefinition.family,
          revision: t.taskDefinition.revision,
          service: t.service?.name,
          launchType: t.launchType,
          networkMode: mode,
          lastStatus: t.lastStatus,
          desiredStatus: t.desiredStatus,
          availabilityZone: t.availabilityZone,
          containerInstanceArn: t.containerInstance?.arn,
          ec2InstanceId: t.containerInstance?.ec2InstanceId,
          containers: t.containers.map((ct) => {
            const env: Record<string, string> = {};
            for (const e of ct.def.environment) env[e.name] = e.value;
            for (const e of ct.environmentOverrides ?? []) env[e.name] = e.value;
            return {
              name: ct.def.name,
              lastStatus: ct.lastStatus,
              address,
              ports: ct.def.portMappings.map((p, i) => ({
                containerPort: p.containerPort,
                hostPort: ct.hostPorts[i],
              })),
              environment: env,
              dockerLabels: ct.def.dockerLabels,
            };
          }),
        });
      }
    }
  }
  return { tasks };
}
