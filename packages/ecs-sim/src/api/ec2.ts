import { ApiError } from '../protocols/errors.ts';
import { type QueryParams, queryInt, queryList, queryStructList } from '../protocols/query.ts';
import { items, type XmlElement } from '../protocols/xml.ts';
import type { Ec2Instance, Subnet, Tag } from '../state/model.ts';
import type { RequestContext } from './context.ts';
import { ec2Invalid, filtersOf, matchEni, matchInstance } from './ec2-filters.ts';
import { eniXml, instanceXml, STATE_CODES, subnetXml, vpcXml } from './ec2-shapes.ts';
import { decodeToken, page } from './paging.ts';

export { isUnfilteredUnpaginated } from './ec2-filters.ts';

const EC2_TOKEN = (msg: string): ApiError => new ApiError('InvalidParameterValue', msg);

function describeInstances(ctx: RequestContext, params: QueryParams): XmlElement {
  const ids = queryList(params, 'InstanceId');
  const filters = filtersOf(params);
  const maxResults = queryInt(params, 'MaxResults');
  if (maxResults !== undefined && ids.length > 0) {
    throw new ApiError(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
    throw ec2Invalid(
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    );
  }
  const acct = ctx.account;
  let list: Ec2Instance[];
  if (ids.length > 0) {
    const bad = ids.filter((id) => !/^i-[0-9a-f]{8,17}$/.test(id));
    if (bad.length > 0) {
      throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${bad[0]}" (expecting "i-...")`);
    }
    const missing = ids.filter((id) => !acct.ec2Instances.has(id));
    if (missing.length > 0) {
      const quoted = missing.map((m) => `'${m}'`).join(', ');
      throw new ApiError(
        'InvalidInstanceID.NotFound',
        missing.length === 1
          ? `The instance ID ${quoted} does not exist`
          : `The instance IDs ${quoted} do not exist`,
      );
    }
    list = [...new Set(ids)].map((id) => acct.ec2Instances.get(id)!);
  } else {
    list = [...acct.ec2Instances.values()];
  }
  list = list.filter((i) => matchInstance(i, filters));
  const seqOf = new Map(list.map((i, n) => [i, n]));
  const after = decodeToken('ec2', params.get('NextToken'), EC2_TOKEN);
  const r = page(list, (i) => seqOf.get(i)!, after, maxResults ?? 1_000_000, 'ec2');
  const byReservation = new Map<string, Ec2Instance[]>();
  for (const i of r.items) {
    const l = byReservation.get(i.reservationId) ?? [];
    l.push(i);
    byReservation.set(i.reservationId, l);
  }
  return {
    reservationSet: items(
      [...byReservation.entries()].map(([rid, insts]) => ({
        reservationId: rid,
        ownerId: acct.id,
        groupSet: [],
        instancesSet: items(insts.map((i) => instanceXml(ctx, i))),
      })),
    ),
    nextToken: r.nextToken,
  };
}

function tagSpecs(params: QueryParams, resourceType: string): Tag[] {
  const out: Tag[] = [];
  for (const spec of queryStructList(params, 'TagSpecification')) {
    if (spec.get('ResourceType') !== resourceType) continue;
    for (const t of queryStructList(spec, 'Tag')) {
      out.push({ key: t.get('Key') ?? '', value: t.get('Value') ?? '' });
    }
  }
  return out;
}

function subnetOrThrow(ctx: RequestContext, id: string): Subnet {
  const s = ctx.account.subnets.get(id) ?? ctx.world.subnets(ctx.account).find((x) => x.id === id);
  if (!s) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
  return s;
}

function runInstances(ctx: RequestContext, params: QueryParams): XmlElement {
  const min = queryInt(params, 'MinCount');
  const max = queryInt(params, 'MaxCount');
  if (min === undefined || max === undefined) {
    throw new ApiError(
      'MissingParameter',
      `The request must contain the parameter ${min === undefined ? 'MinCount' : 'MaxCount'}`,
    );
  }
  if (min < 1 || max < min) throw ec2Invalid(`Invalid MinCount/MaxCount: ${min}/${max}`);
  if (max > 1000)
    throw new ApiError(
      'InstanceLimitExceeded',
      `You have requested more instances (${max}) than your current instance limit of 1000 allows.`,
    );
  const subnetId = params.get('SubnetId');
  const subnet = subnetId ? subnetOrThrow(ctx, subnetId) : undefined;
  const tags = tagSpecs(params, 'instance');
  const reservationId = `r-${ctx.world.prng.hex(17)}`;
  const created: Ec2Instance[] = [];
  for (let n = 0; n < max; n++) {
    created.push(
      ctx.world.runInstance(ctx.account, {
        ...(subnet ? { subnet } : {}),
        instanceType: params.get('InstanceType') ?? 'm5.large',
        imageId: params.get('ImageId') ?? 'ami-0ecs0sim0000000001',
        tags: tags.map((t) => ({ ...t })),
        reservationId,
      }),
    );
  }
  return {
    reservationId,
    ownerId: ctx.account.id,
    groupSet: [],
    instancesSet: items(created.map((i) => instanceXml(ctx, i))),
  };
}

function terminateInstances(ctx: RequestContext, params: QueryParams): XmlElement {
  const ids = queryList(params, 'InstanceId');
  if (ids.length === 0)
    throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  const missing = ids.filter((id) => !ctx.account.ec2Instances.has(id));
  if (missing.length > 0) {
    throw new ApiError(
      'InvalidInstanceID.NotFound',
      `The instance ID '${missing.join("', '")}' does not exist`,
    );
  }
  return {
    instancesSet: items(
      ids.map((id) => {
        const i = ctx.account.ec2Instances.get(id)!;
        const prev = i.state;
        ctx.world.terminateInstance(ctx.account, i);
        return {
          instanceId: id,
          currentState: { code: STATE_CODES['shutting-down'], name: 'shutting-down' },
          previousState: { code: STATE_CODES[prev], name: prev },
        };
      }),
    ),
  };
}

function createVpc(ctx: RequestContext, params: QueryParams): XmlElement {
  const cidr = params.get('CidrBlock');
  if (!cidr) throw new ApiError('MissingParameter', 'The request must contain the parameter CidrBlock');
  return { vpc: vpcXml(ctx.world.createVpc(ctx.account, cidr)) };
}

function createSubnet(ctx: RequestContext, params: QueryParams): XmlElement {
  const vpcId = params.get('VpcId');
  const cidr = params.get('CidrBlock');
  if (!vpcId) throw new ApiError('MissingParameter', 'The request must contain the parameter VpcId');
  if (!cidr) throw new ApiError('MissingParameter', 'The request must contain the parameter CidrBlock');
  if (!ctx.account.vpcs.has(vpcId))
    throw new ApiError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
  try {
    const s = ctx.world.createSubnet(ctx.account, {
      cidrBlock: cidr,
      vpcId,
      availabilityZone: params.get('AvailabilityZone') ?? `${ctx.world.region}a`,
      ...(params.get('Ipv6CidrBlock') ? { ipv6CidrBlock: params.get('Ipv6CidrBlock')! } : {}),
    });
    s.tags = tagSpecs(params, 'subnet');
    return { subnet: subnetXml(ctx, s) };
  } catch (err) {
    const msg = (err as Error).message;
    throw new ApiError(msg.includes('overlaps') ? 'InvalidSubnet.Conflict' : 'InvalidParameterValue', msg);
  }
}

function describeSubnets(ctx: RequestContext, params: QueryParams): XmlElement {
  const ids = queryList(params, 'SubnetId');
  const all = ctx.world.subnets(ctx.account);
  const list = ids.length > 0 ? ids.map((id) => subnetOrThrow(ctx, id)) : all;
  return { subnetSet: items(list.map((s) => subnetXml(ctx, s))) };
}

function describeNetworkInterfaces(ctx: RequestContext, params: QueryParams): XmlElement {
  const ids = queryList(params, 'NetworkInterfaceId');
  const filters = filtersOf(params);
  const maxResults = queryInt(params, 'MaxResults');
  if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) {
    throw ec2Invalid(
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    );
  }
  const acct = ctx.account;
  const missing = ids.filter((id) => !acct.enis.has(id));
  if (missing.length > 0) {
    throw new ApiError(
      'InvalidNetworkInterfaceID.NotFound',
      `The networkInterface ID '${missing[0]}' does not exist`,
    );
  }
  let list = ids.length > 0 ? ids.map((id) => acct.enis.get(id)!) : [...acct.enis.values()];
  list = list.filter((e) => matchEni(e, filters));
  const seqOf = new Map(list.map((e, n) => [e, n]));
  const after = decodeToken('eni', params.get('NextToken'), EC2_TOKEN);
  const r = page(list, (e) => seqOf.get(e)!, after, maxResults ?? 1_000_000, 'eni');
  return { networkInterfaceSet: items(r.items.map((e) => eniXml(ctx, e))), nextToken: r.nextToken };
}

function describeAvailabilityZones(ctx: RequestContext): XmlElement {
  const azs = [...new Set(ctx.world.subnets(ctx.account).map((s) => s.availabilityZone))];
  return {
    availabilityZoneInfo: items(
      azs.map((z) => ({
        zoneName: z,
        zoneState: 'available',
        regionName: ctx.world.region,
        zoneType: 'availability-zone',
      })),
    ),
  };
}

/** EC2 operations by Action (Query protocol, XML responses). */
export const EC2_HANDLERS: Record<string, (ctx: RequestContext, params: QueryParams) => XmlElement> = {
  DescribeInstances: describeInstances,
  RunInstances: runInstances,
  TerminateInstances: terminateInstances,
  CreateVpc: createVpc,
  CreateSubnet: createSubnet,
  DescribeSubnets: describeSubnets,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeAvailabilityZones: describeAvailabilityZones,
};
