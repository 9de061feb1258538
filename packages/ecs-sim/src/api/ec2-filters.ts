import { ApiError } from '../protocols/errors.ts';
import { type QueryParams, queryStructList } from '../protocols/query.ts';
import type { Ec2Instance, Eni, Tag } from '../state/model.ts';
import { STATE_CODES } from './ec2-shapes.ts';

/** EC2's InvalidParameterValue. */
export const ec2Invalid = (msg: string): ApiError => new ApiError('InvalidParameterValue', msg);

/** One `Filter.N`: a name and the values any of which may match (`*` and `?` globs). */
export interface Filter {
  name: string;
  values: string[];
}

/** The `Filter.N.Name` / `Filter.N.Value.M` parameters of a request. */
export function filtersOf(params: QueryParams): Filter[] {
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

/** Whether an instance matches every filter (tags or instance fields); an unknown filter name is InvalidParameterValue. */
export function matchInstance(i: Ec2Instance, filters: Filter[]): boolean {
  return filters.every((f) => {
    const t = tagFilter(f, i.tags);
    if (t !== undefined) return t;
    const get = INSTANCE_FILTERS[f.name];
    if (!get) throw ec2Invalid(`The filter '${f.name}' is invalid`);
    return f.values.some((v) => globMatch(v, get(i)));
  });
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

/** Whether a network interface matches every filter; an unknown filter name is InvalidParameterValue. */
export function matchEni(e: Eni, filters: Filter[]): boolean {
  return filters.every((f) => {
    const get = ENI_FILTERS[f.name];
    if (!get) throw ec2Invalid(`The filter '${f.name}' is invalid`);
    return f.values.some((v) => globMatch(v, get(e)));
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
