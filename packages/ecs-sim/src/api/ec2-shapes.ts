import { items, type XmlElement } from '../protocols/xml.ts';
import type { Ec2Instance, Eni, Subnet, Tag } from '../state/model.ts';
import type { RequestContext } from './context.ts';

/** EC2 instance state codes by state name. */
export const STATE_CODES: Record<Ec2Instance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
};

/** A resource's tags as an EC2 `tagSet` (absent when there are none). */
function tagSet(tags: Tag[]): XmlElement[] | undefined {
  return tags.length > 0 ? items(tags.map((t) => ({ key: t.key, value: t.value }))) : undefined;
}

/** An instance as DescribeInstances and RunInstances return it (no address once terminated). */
export function instanceXml(ctx: RequestContext, i: Ec2Instance): XmlElement {
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

/** A network interface as DescribeNetworkInterfaces returns it. */
export function eniXml(ctx: RequestContext, e: Eni): XmlElement {
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

/** A VPC as CreateVpc returns it. */
export function vpcXml(v: { id: string; cidrBlock: string }): XmlElement {
  return {
    vpcId: v.id,
    state: 'available',
    cidrBlock: v.cidrBlock,
    isDefault: false,
    instanceTenancy: 'default',
  };
}

/** A subnet as DescribeSubnets and CreateSubnet return it. */
export function subnetXml(ctx: RequestContext, s: Subnet): XmlElement {
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
