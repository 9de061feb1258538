import type { Cluster, ContainerInstance, LaunchType, TaskDefinition } from './model.ts';

/** Where a new task goes: its container instance (none on FARGATE) and the static host ports reserved there. */
export interface Placed {
  containerInstance: ContainerInstance | undefined;
  staticPorts: number[];
}

/** Host ports a task of this definition needs free on its container instance (host mode, static bridge ports). */
function staticPortsOf(td: TaskDefinition): number[] {
  const ports: number[] = [];
  for (const c of td.containerDefinitions) {
    for (const p of c.portMappings) {
      if (td.networkMode === 'host') ports.push(p.containerPort);
      else if (td.networkMode === 'bridge' && p.hostPort > 0) ports.push(p.hostPort);
    }
  }
  return ports;
}

/**
 * Task placement: round-robin over a cluster's ACTIVE container instances of the launch type, skipping those whose
 * static host ports are taken (no CPU or memory accounting, no strategies or constraints).
 */
export class Placement {
  readonly #candidateCache = new WeakMap<
    Cluster,
    { size: number; version: number; byType: Map<string, ContainerInstance[]> }
  >();
  #version = 0;

  /** Call when a container instance leaves: the cached candidate lists are rebuilt on the next placement. */
  instancesChanged(): void {
    this.#version++;
  }

  /**
   * Places a task (on `containerInstance` when given, as StartTask does) and reserves its static host ports; a
   * failure reason as RunTask's `failures[].reason` when it does not fit.
   */
  place(
    cluster: Cluster,
    td: TaskDefinition,
    launchType: LaunchType,
    containerInstance: ContainerInstance | undefined,
  ): Placed | { reason: string } {
    let ci = containerInstance;
    const staticPorts = staticPortsOf(td);
    if (launchType !== 'FARGATE') {
      if (ci === undefined) {
        const candidates = this.#candidates(cluster, launchType);
        if (candidates.length === 0) return { reason: 'No Container Instances were found in your cluster.' };
        for (let i = 0; i < candidates.length; i++) {
          const c = candidates[(cluster.placementCursor + i) % candidates.length]!;
          if (staticPorts.every((p) => c.ports.isFree(p))) {
            ci = c;
            cluster.placementCursor = (cluster.placementCursor + i + 1) % candidates.length;
            break;
          }
        }
        if (ci === undefined) return { reason: 'RESOURCE:PORTS' };
      } else if (!staticPorts.every((p) => ci!.ports.isFree(p))) {
        return { reason: 'RESOURCE:PORTS' };
      }
      for (const p of staticPorts) ci.ports.reserve(p);
    }
    return { containerInstance: ci, staticPorts };
  }

  /** ACTIVE container instances of a launch type, cached until an instance registers, deregisters or drains. */
  #candidates(cluster: Cluster, launchType: LaunchType): ContainerInstance[] {
    let c = this.#candidateCache.get(cluster);
    if (!c || c.size !== cluster.containerInstances.size || c.version !== this.#version) {
      c = { size: cluster.containerInstances.size, version: this.#version, byType: new Map() };
      this.#candidateCache.set(cluster, c);
    }
    let list = c.byType.get(launchType);
    if (!list) {
      list = [...cluster.containerInstances.values()].filter(
        (x) => x.status === 'ACTIVE' && x.launchType === launchType,
      );
      c.byType.set(launchType, list);
    }
    return list;
  }
}
