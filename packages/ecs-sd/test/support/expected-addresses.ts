/**
 * The `host:port` targets the simulator's ground truth implies for PROMETHEUS=true containers:
 * what discovery must find. Pure and import-light, so the benchmark's daemon process can load it
 * without loading ecs-sim.
 */
/** The fields of ecs-sim's ground-truth task (`/_sim/state`) this needs. */
export interface TruthTaskLike {
  lastStatus: string;
  desiredStatus: string;
  containers: readonly {
    lastStatus: string;
    address: string | undefined;
    ports: readonly { containerPort: number; hostPort: number | undefined }[];
    environment: Readonly<Record<string, string>>;
  }[];
}

/** Addresses of running, opted-in containers with a bound PROMETHEUS_PORT, sorted. */
export function expectedAddresses(tasks: readonly TruthTaskLike[]): string[] {
  const out: string[] = [];
  for (const task of tasks) {
    if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') continue;
    for (const container of task.containers) {
      if (container.environment['PROMETHEUS'] !== 'true' || container.lastStatus !== 'RUNNING') continue;
      const port = Number(container.environment['PROMETHEUS_PORT']);
      const binding = container.ports.find((mapping) => mapping.containerPort === port);
      if (container.address === undefined || binding?.hostPort === undefined) continue;
      out.push(`${container.address}:${binding.hostPort}`);
    }
  }
  return out.sort();
}
