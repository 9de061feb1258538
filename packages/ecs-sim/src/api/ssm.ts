import { ApiError } from '../protocols/errors.ts';
import { optInt, optObjectList, optString } from '../protocols/json.ts';
import type { ManagedInstance } from '../state/model.ts';
import type { RequestContext } from './context.ts';
import { epoch } from './ecs-shapes.ts';
import { decodeToken, page } from './paging.ts';

/** DescribeInstanceInformation returns at most 50 per page (MaxResults 5 to 50, default 10). */
export const SSM_PAGE_MAX = 50;

const validation = (msg: string): ApiError => new ApiError('ValidationException', msg);

function render(mi: ManagedInstance): Record<string, unknown> {
  return {
    InstanceId: mi.instanceId,
    PingStatus: mi.pingStatus,
    LastPingDateTime: epoch(mi.lastPingDateTime),
    AgentVersion: '3.3.0.0',
    IsLatestVersion: true,
    PlatformType: mi.platformType,
    PlatformName: mi.platformName,
    PlatformVersion: '22.04',
    ResourceType: 'ManagedInstance',
    IPAddress: mi.ipAddress,
    ComputerName: mi.computerName,
    RegistrationDate: epoch(mi.registrationDate),
    Name: mi.computerName,
    AssociationStatus: 'Success',
    SourceId: mi.instanceId,
    SourceType: 'AWS::SSM::ManagedInstance',
  };
}

type Body = Record<string, unknown>;

function describeInstanceInformation(ctx: RequestContext, body: Body): unknown {
  const max = optInt(body, 'MaxResults') ?? 10;
  if (max < 5 || max > SSM_PAGE_MAX) {
    throw validation(
      `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and ${SSM_PAGE_MAX}`,
    );
  }
  const conds: { key: string; values: string[] }[] = [];
  for (const f of optObjectList(body, 'InstanceInformationFilterList') ?? []) {
    conds.push({ key: String(f['key'] ?? ''), values: (f['valueSet'] as string[] | undefined) ?? [] });
  }
  for (const f of optObjectList(body, 'Filters') ?? []) {
    conds.push({ key: String(f['Key'] ?? ''), values: (f['Values'] as string[] | undefined) ?? [] });
  }
  const getters: Record<string, (m: ManagedInstance) => string> = {
    InstanceIds: (m) => m.instanceId,
    PingStatus: (m) => m.pingStatus,
    PlatformTypes: (m) => m.platformType,
    ResourceType: () => 'ManagedInstance',
  };
  for (const c of conds) {
    if (!getters[c.key]) throw new ApiError('InvalidFilterKey', `The filter key ${c.key} is not valid.`);
    if (c.values.length === 0) {
      throw new ApiError(
        'InvalidInstanceInformationFilterValue',
        `The filter ${c.key} needs at least one value.`,
      );
    }
    if (c.key === 'InstanceIds' && c.values.length > SSM_PAGE_MAX) {
      throw new ApiError(
        'InvalidInstanceInformationFilterValue',
        `InstanceIds can have at most 50 values, got ${c.values.length}.`,
      );
    }
  }
  const list = [...ctx.account.managedInstances.values()].filter((m) =>
    conds.every((c) => c.values.includes(getters[c.key]!(m))),
  );
  const seq = new Map(list.map((m, i) => [m, i]));
  const after = decodeToken('ssm', optString(body, 'NextToken'), (m) => new ApiError('InvalidNextToken', m));
  const r = page(list, (m) => seq.get(m)!, after, max, 'ssm');
  return { InstanceInformationList: r.items.map(render), NextToken: r.nextToken };
}

/** SSM operations (AWS JSON 1.1, target prefix AmazonSSM). */
export const SSM_HANDLERS: Record<string, (ctx: RequestContext, body: Body) => unknown> = {
  DescribeInstanceInformation: describeInstanceInformation,
};
