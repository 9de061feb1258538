import type { Account, ContainerDefinition, LaunchType, NetworkMode, Tag, TaskDefinition } from './model.ts';
import type { WorldCore } from './world-core.ts';

/** Input of registerTaskDefinition. */
export interface TaskDefinitionInput {
  family: string;
  networkMode: NetworkMode;
  requiresCompatibilities: LaunchType[];
  cpu?: string | undefined;
  memory?: string | undefined;
  containerDefinitions: ContainerDefinition[];
  tags?: Tag[];
}

/** Registers the next revision of a family; outside bridge mode every host port is its container port. */
export function registerTaskDefinition(
  core: WorldCore,
  account: Account,
  input: TaskDefinitionInput,
): TaskDefinition {
  let revs = account.taskDefinitions.get(input.family);
  if (!revs) {
    revs = [];
    account.taskDefinitions.set(input.family, revs);
  }
  const revision = revs.length + 1;
  const td: TaskDefinition = {
    arn: core.ecsArn(account, `task-definition/${input.family}:${revision}`),
    family: input.family,
    revision,
    status: 'ACTIVE',
    networkMode: input.networkMode,
    requiresCompatibilities: input.requiresCompatibilities,
    cpu: input.cpu,
    memory: input.memory,
    containerDefinitions: input.containerDefinitions.map((c) => ({
      ...c,
      portMappings: c.portMappings.map((p) => ({
        ...p,
        hostPort: input.networkMode === 'bridge' ? p.hostPort : p.containerPort,
      })),
    })),
    registeredAt: core.now(),
    deregisteredAt: undefined,
    tags: input.tags ?? [],
  };
  revs.push(td);
  return td;
}

/** Resolves `family` (latest ACTIVE), `family:rev` or a task definition ARN of this account. */
export function resolveTaskDefinition(account: Account, ref: string): TaskDefinition | undefined {
  let spec = ref;
  const m = /^arn:aws[\w-]*:ecs:[^:]+:(\d{12}):task-definition\/(.+)$/.exec(ref);
  if (m) {
    if (m[1] !== account.id) return undefined;
    spec = m[2]!;
  }
  const colon = spec.lastIndexOf(':');
  if (colon >= 0) {
    const revs = account.taskDefinitions.get(spec.slice(0, colon));
    const rev = Number(spec.slice(colon + 1));
    return Number.isInteger(rev) ? revs?.[rev - 1] : undefined;
  }
  const revs = account.taskDefinitions.get(spec);
  if (!revs) return undefined;
  for (let i = revs.length - 1; i >= 0; i--) if (revs[i]!.status === 'ACTIVE') return revs[i];
  return undefined;
}
