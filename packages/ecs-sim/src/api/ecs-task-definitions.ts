import { ApiError, invalidParameter } from '../protocols/errors.ts';
import {
  optBool,
  optInt,
  optObject,
  optObjectList,
  optString,
  optStringList,
  reqString,
} from '../protocols/json.ts';
import type { ContainerDefinition, LaunchType, NetworkMode } from '../state/model.ts';
import type { RequestContext } from './context.ts';
import { type Body, includes, tagsIn } from './ecs-input.ts';
import { taskDefinitionOrThrow } from './ecs-refs.ts';
import { renderTaskDefinition } from './ecs-shapes.ts';

const NETWORK_MODES: readonly NetworkMode[] = ['awsvpc', 'bridge', 'host', 'none'];

/** Converts an ECS RegisterTaskDefinition containerDefinitions entry into the model, validating as ECS does. */
export function containerDefinitionFromApi(c: Body, mode: NetworkMode): ContainerDefinition {
  const name = optString(c, 'name');
  if (!name) throw new ApiError('ClientException', 'Container.name should not be null or empty.');
  const image = optString(c, 'image');
  if (!image) throw new ApiError('ClientException', 'Container.image should not be null or empty.');
  const portMappings = (optObjectList(c, 'portMappings') ?? []).map((p) => {
    const containerPort = optInt(p, 'containerPort');
    if (containerPort === undefined || containerPort < 1 || containerPort > 65535) {
      throw new ApiError('ClientException', `Invalid 'containerPort' setting for container '${name}'.`);
    }
    const hostPort = optInt(p, 'hostPort') ?? (mode === 'bridge' ? 0 : containerPort);
    if ((mode === 'awsvpc' || mode === 'host') && hostPort !== containerPort) {
      throw new ApiError(
        'ClientException',
        `When networkMode=${mode}, the host ports must either be undefined or equal to the container port values.`,
      );
    }
    return { containerPort, hostPort, protocol: optString(p, 'protocol') ?? 'tcp' };
  });
  const environment = (optObjectList(c, 'environment') ?? []).map((e) => ({
    name: String(e['name'] ?? ''),
    value: String(e['value'] ?? ''),
  }));
  const labels = optObject(c, 'dockerLabels') ?? {};
  const dockerLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) dockerLabels[k] = String(v);
  return {
    name,
    image,
    cpu: optInt(c, 'cpu') ?? 0,
    memory: optInt(c, 'memory'),
    essential: optBool(c, 'essential') ?? true,
    portMappings,
    environment,
    dockerLabels,
  };
}

/** RegisterTaskDefinition: the next revision of a family. */
export function registerTaskDefinition(ctx: RequestContext, body: Body): unknown {
  const family = reqString(body, 'family', 'ClientException');
  if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family)) {
    throw new ApiError('ClientException', `Family contains invalid characters: ${family}.`);
  }
  const mode = (optString(body, 'networkMode') ?? 'bridge') as NetworkMode;
  if (!NETWORK_MODES.includes(mode)) {
    throw invalidParameter(`networkMode must be one of awsvpc, bridge, host, none, got ${String(mode)}.`);
  }
  const defs = optObjectList(body, 'containerDefinitions') ?? [];
  if (defs.length === 0) throw new ApiError('ClientException', 'Container list cannot be empty.');
  const requires = (optStringList(body, 'requiresCompatibilities') ?? []) as LaunchType[];
  if (requires.includes('FARGATE') && mode !== 'awsvpc') {
    throw new ApiError('ClientException', 'Fargate only supports network mode ‘awsvpc’.');
  }
  const tags = tagsIn(body);
  const td = ctx.world.registerTaskDefinition(ctx.account, {
    family,
    networkMode: mode,
    requiresCompatibilities: requires,
    cpu: optString(body, 'cpu'),
    memory: optString(body, 'memory'),
    containerDefinitions: defs.map((c) => containerDefinitionFromApi(c, mode)),
    tags,
  });
  return { taskDefinition: renderTaskDefinition(td), tags };
}

/** DeregisterTaskDefinition: one revision becomes INACTIVE. */
export function deregisterTaskDefinition(ctx: RequestContext, body: Body): unknown {
  const ref = reqString(body, 'taskDefinition');
  if (!ref.includes(':'))
    throw invalidParameter('A revision must be specified: family:revision or a full ARN.');
  const td = taskDefinitionOrThrow(ctx, ref);
  if (td.status === 'ACTIVE') {
    td.status = 'INACTIVE';
    td.deregisteredAt = new Date();
  }
  return { taskDefinition: renderTaskDefinition(td) };
}

/** DescribeTaskDefinition: `family`, `family:rev` or ARN, with tags on `include: [TAGS]`. */
export function describeTaskDefinition(ctx: RequestContext, body: Body): unknown {
  const td = taskDefinitionOrThrow(ctx, reqString(body, 'taskDefinition'));
  const out: Record<string, unknown> = { taskDefinition: renderTaskDefinition(td) };
  if (includes(body, 'TAGS')) out['tags'] = td.tags;
  return out;
}

/** ListTaskDefinitionFamilies: family names by prefix. */
export function listTaskDefinitionFamilies(ctx: RequestContext, body: Body): unknown {
  const prefix = optString(body, 'familyPrefix') ?? '';
  return { families: [...ctx.account.taskDefinitions.keys()].filter((f) => f.startsWith(prefix)) };
}
