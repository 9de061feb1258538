import { ApiError } from '../protocols/errors.ts';
import { type QueryParams, queryInt, queryList, queryStructList } from '../protocols/query.ts';
import { items, type XmlElement } from '../protocols/xml.ts';
import type { Ec2Instance, Eni, Subnet, Tag } from '../state/model.ts';
import type { RequestContext } from './context.ts';
import { decodeToken, page } from './paging.ts';

const STATE_CODES: Record<Ec2Instance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
};

const ec2Invalid = (msg: string): ApiError => new ApiError('InvalidParameterValue', msg);

function tagSet(tags: Tag[]): XmlElement[] | undefined {
  return tags.length > 0 ? items(tags.map((t) => ({ key: t.key, value: t.value }))) : undefined;
}

function instanceXml(ctx: RequestContext, i: Ec2Instance): XmlElement {
  const running = i.state !== 'terminated';
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: { code: STATE_CODES[i.state], name: i.state },
    privateDnsName: running ? `ip-${i.eni.privateIpAddress.replace(/\./g, '-')}.ec2.internal` : '',
    dnsName: '',
    amiLaunchIndex: 0,
    instanceType: i.instanceType,
    launchTime: i.launchTime.toISOString(),
    placement: { availabilityZone: i.subnet.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: running ? i.subnet.id : undefined,
    vpcId: running ? i.subnet.vpcId : undefined,
    privateIpAddress: running ? i.eni.privateIpAddress : undefined,
    ipv6Address: running ? i.eni.ipv6Address : undefined,
    groupSet: [],
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    hypervisor: 'xen',
    tagSet: tagSet(i.tags),
    networkInterfaceSet: running ? items([eniXml(ctx, i.eni)]) : undefined,
  };
}

function eniXml(ctx: RequestContext, e: Eni): XmlElement {
  return {
    networkInterfaceId: e.id,
    subnetId: e.subnet.id,
    vpcId: e.subnet.vpcId,
    availabilityZone: e.subnet.availabilityZone,
    description: e.description,
    ownerId: ctx.account.id,
    requesterManaged: e.instanceId === undefined,
    status: e.status,
    macAddress: e.macAddress,
    privateIpAddress: e.privateIpAddress,
    privateDnsName: `ip-${e.privateIpAddress.replace(/\./g, '-')}.ec2.internal`,
    sourceDestCheck: true,
    interfaceType: e.interfaceType,
    attachment: e.instanceId
      ? {
          attachmentId: `eni-attach-${e.id.slice(4)}`,
          instanceId: e.instanceId,
          deviceIndex: 0,
          status: 'attached',
        }
      : undefined,
    privateIpAddressesSet: items([{ privateIpAddress: e.privateIpAddress, primary: true }]),
    ipv6AddressesSet: e.ipv6Address ? items([{ ipv6Address: e.ipv6Address }]) : undefined,
    tagSet: undefined,
  };
}

interface Filter {
  name: string;
  values: string[];
}

function filtersOf(params: QueryParams): Filter[] {
  return queryStructList(params, 'Filter').map((g) => {
    const name = g.get('Name');
    if (!name) throw ec2Invalid('The filter name must not be empty.');
    const values: string[] = [];
    for (const [k, v] of [...g.entries()].sort()) if (/^Value\.\d+$/.test(k)) values.push(v);
    return { name, values };
  });
}

function globMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

function tagFilter(f: Filter, tags: Tag[]): boolean | undefined {
  if (f.name.startsWith('tag:')) {
    const key = f.name.slice(4);
    return tags.some((t) => t.key === key && f.values.some((v) => globMatch(v, t.value)));
  }
  if (f.name === 'tag-key') return tags.some((t) => f.values.some((v) => globMatch(v, t.key)));
  if (f.name === 'tag-value') return tags.some((t) => f.values.some((v) => globMatch(v, t.value)));
  return undefined;
}

const INSTANCE_FILTERS: Record<string, (i: Ec2Instance) => string | undefined> = {
  'instance-id': (i) => i.instanceId,
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => String(STATE_CODES[i.state]),
  'instance-type': (i) => i.instanceType,
  'private-ip-address': (i) => (i.state === 'terminated' ? undefined : i.eni.privateIpAddress),
  'network-interface.addresses.private-ip-address': (i) => i.eni.privateIpAddress,
  'subnet-id': (i) => i.subnet.id,
  'vpc-id': (i) => i.subnet.vpcId,
  'availability-zone': (i) => i.subnet.availabilityZone,
  'image-id': (i) => i.imageId,
  'reservation-id': (i) => i.reservationId,
};

function matchInstance(i: Ec2Instance, filters: Filter[]): boolean {
  return filters.every((f) => {
    const t = tagFilter(f, i.tags);
    if (t !== undefined) return t;
    const get = INSTANCE_FILTERS[f.name];
    if (!get) throw ec2Invalid(`The filter '${f.name}' is invalid`);
    return f.values.some((v) => globMatch(v, get(i)));
  });
}

/** Whether a DescribeInstances / DescribeNetworkInterfaces call is "unfiltered and unpaginated" (the stricter EC2 bucket). */
export function isUnfilteredUnpaginated(params: QueryParams): boolean {
  for (const k of params.keys()) {
    if (k.startsWith('Filter.') || k.startsWith('InstanceId.') || k.startsWith('NetworkInterfaceId.'))
      return false;
    if (k === 'MaxResults' || k === 'NextToken') return false;
  }
  return true;
}

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

function vpcXml(v: { id: string; cidrBlock: string }): XmlElement {
  return {
    vpcId: v.id,
    state: 'available',
    cidrBlock: v.cidrBlock,
    isDefault: false,
    instanceTenancy: 'default',
  };
}

function subnetXml(ctx: RequestContext, s: Subnet): XmlElement {
  return {
    subnetId: s.id,
    subnetArn: `arn:aws:ec2:${ctx.world.region}:${ctx.account.id}:subnet/${s.id}`,
    state: 'available',
    vpcId: s.vpcId,
    cidrBlock: s.cidrBlock,
    availabilityZone: s.availabilityZone,
    availableIpAddressCount: s.ips.available,
    ownerId: ctx.account.id,
    ipv6CidrBlockAssociationSet: s.ipv6CidrBlock
      ? items([
          {
            associationId: `subnet-cidr-assoc-${s.id.slice(7)}`,
            ipv6CidrBlock: s.ipv6CidrBlock,
            ipv6CidrBlockState: { state: 'associated' },
          },
        ])
      : undefined,
    tagSet: tagSet(s.tags),
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

const ENI_FILTERS: Record<string, (e: Eni) => string | undefined> = {
  'network-interface-id': (e) => e.id,
  'private-ip-address': (e) => e.privateIpAddress,
  'addresses.private-ip-address': (e) => e.privateIpAddress,
  'subnet-id': (e) => e.subnet.id,
  'vpc-id': (e) => e.subnet.vpcId,
  'availability-zone': (e) => e.subnet.availabilityZone,
  'attachment.instance-id': (e) => e.instanceId,
  description: (e) => e.description,
  status: (e) => e.status,
  'mac-address': (e) => e.macAddress,
};

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
  list = list.filter((e) =>
    filters.every((f) => {
      const get = ENI_FILTERS[f.name];
      if (!get) throw ec2Invalid(`The filter '${f.name}' is invalid`);
      return f.values.some((v) => globMatch(v, get(e)));
    }),
  );
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
