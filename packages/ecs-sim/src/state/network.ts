import { IpAllocator, ipv6At, parseCidr4 } from './addressing.ts';
import type { Account, Ec2Instance, Eni, ManagedInstance, Subnet, Tag, Vpc } from './model.ts';
import type { WorldCore } from './world-core.ts';

/** Input of createSubnet; the VPC defaults to the account's first (created on demand), the AZ to REGIONa. */
export interface SubnetInput {
  id?: string;
  cidrBlock: string;
  availabilityZone?: string;
  ipv6CidrBlock?: string;
  vpcId?: string;
}

/** Input of runInstance; the subnet defaults to the round-robin pick. */
export interface InstanceInput {
  subnet?: Subnet;
  instanceType?: string;
  imageId?: string;
  tags?: Tag[];
  reservationId?: string;
}

/** The account's network and hosts: VPCs, subnets and their addresses, ENIs, EC2 instances, SSM managed instances. */
export class Network {
  readonly #core: WorldCore;

  constructor(core: WorldCore) {
    this.#core = core;
  }

  /** Creates a VPC. */
  createVpc(account: Account, cidrBlock: string, id?: string): Vpc {
    const vpc = { id: id ?? `vpc-${this.#core.prng.hex(17)}`, cidrBlock, tags: [] };
    account.vpcs.set(vpc.id, vpc);
    return vpc;
  }

  /** Creates a subnet; throws a lowercase message when the CIDR is invalid or overlaps another subnet. */
  createSubnet(account: Account, input: SubnetInput): Subnet {
    const cidr = parseCidr4(input.cidrBlock);
    if (typeof cidr === 'string') throw new Error(cidr);
    for (const s of account.subnets.values()) {
      if (cidr.base < s.cidr.base + s.cidr.size && s.cidr.base < cidr.base + cidr.size) {
        throw new Error(`cidr ${input.cidrBlock} overlaps subnet ${s.id} (${s.cidrBlock})`);
      }
    }
    let vpcId = input.vpcId;
    if (vpcId === undefined) {
      const first = account.vpcs.values().next().value;
      vpcId = (first ?? this.createVpc(account, '127.0.0.0/8')).id;
    }
    const subnet: Subnet = {
      id: input.id ?? `subnet-${this.#core.prng.hex(17)}`,
      vpcId,
      cidrBlock: input.cidrBlock,
      cidr,
      availabilityZone: input.availabilityZone ?? `${this.#core.region}a`,
      ipv6CidrBlock: input.ipv6CidrBlock,
      ips: new IpAllocator(cidr),
      ipv6Next: 4,
      tags: [],
    };
    account.subnets.set(subnet.id, subnet);
    return subnet;
  }

  /** The account's subnets, creating one /16 per AZ (127.1.0.0/16, 127.2.0.0/16, 127.3.0.0/16) when it has none. */
  subnets(account: Account): Subnet[] {
    if (account.subnets.size === 0) {
      const azs = ['a', 'b', 'c'];
      azs.forEach((az, i) => {
        this.createSubnet(account, {
          id: `subnet-${account.id.slice(-4)}${az}${'0'.repeat(12)}`,
          cidrBlock: `127.${i + 1}.0.0/16`,
          availabilityZone: `${this.#core.region}${az}`,
          ipv6CidrBlock: `fd00:${i + 1}::/64`,
        });
      });
    }
    return [...account.subnets.values()];
  }

  /** Picks a subnet round-robin with free addresses. */
  pickSubnet(account: Account, from?: Subnet[]): Subnet {
    const list = from && from.length > 0 ? from : this.subnets(account);
    for (let i = 0; i < list.length; i++) {
      const s = list[(this.#core.seq.current + i) % list.length]!;
      if (s.ips.available > 0) return s;
    }
    throw new Error(`no free address in subnets ${list.map((s) => s.id).join(', ')}`);
  }

  /** Allocates an ENI in a subnet (an EC2 instance's primary interface or an awsvpc task's). */
  createEni(
    account: Account,
    subnet: Subnet,
    description: string,
    ipv6: boolean,
    interfaceType: string,
  ): Eni {
    const off = subnet.ips.allocate();
    if (off === undefined) throw new Error(`subnet ${subnet.id} (${subnet.cidrBlock}) has no free address`);
    const mac = this.#core.prng.hex(10).replace(/(..)/g, '$1:');
    const eni: Eni = {
      id: `eni-${this.#core.prng.hex(17)}`,
      attachmentId: this.#core.prng.uuid(),
      subnet,
      ipOffset: off,
      privateIpAddress: subnet.ips.address(off),
      ipv6Address:
        ipv6 && subnet.ipv6CidrBlock !== undefined
          ? ipv6At(subnet.ipv6CidrBlock, subnet.ipv6Next++)
          : undefined,
      macAddress: `0e:${mac.slice(0, 14)}`,
      description,
      instanceId: undefined,
      interfaceType,
      status: 'in-use',
    };
    account.enis.set(eni.id, eni);
    return eni;
  }

  /** Releases an ENI and its address. */
  deleteEni(account: Account, eni: Eni): void {
    eni.subnet.ips.release(eni.ipOffset);
    eni.status = 'available';
    account.enis.delete(eni.id);
  }

  /** Launches an EC2 instance (running at once) with a private IP from its subnet. */
  runInstance(account: Account, input: InstanceInput): Ec2Instance {
    const subnet = input.subnet ?? this.pickSubnet(account);
    this.#core.seq.next();
    const instanceId = `i-${this.#core.prng.hex(17)}`;
    const eni = this.createEni(account, subnet, 'Primary network interface', false, 'interface');
    eni.instanceId = instanceId;
    const inst: Ec2Instance = {
      instanceId,
      imageId: input.imageId ?? 'ami-0ecs0sim0000000001',
      instanceType: input.instanceType ?? 'm5.large',
      state: 'running',
      launchTime: this.#core.now(),
      subnet,
      eni,
      tags: input.tags ?? [],
      reservationId: input.reservationId ?? `r-${this.#core.prng.hex(17)}`,
    };
    account.ec2Instances.set(instanceId, inst);
    return inst;
  }

  /** Marks an EC2 instance terminated and releases its address; false when it already was. */
  terminate(account: Account, inst: Ec2Instance): boolean {
    if (inst.state === 'terminated') return false;
    inst.state = 'terminated';
    this.deleteEni(account, inst.eni);
    return true;
  }

  /** Registers an SSM managed instance (`mi-…`) with an address from a subnet: an ECS Anywhere host. */
  registerManagedInstance(account: Account, subnet?: Subnet): ManagedInstance {
    const s = subnet ?? this.pickSubnet(account);
    this.#core.seq.next();
    const off = s.ips.allocate();
    if (off === undefined) throw new Error(`subnet ${s.id} has no free address`);
    const id = `mi-${this.#core.prng.hex(17)}`;
    const now = this.#core.now();
    const mi: ManagedInstance = {
      instanceId: id,
      ipAddress: s.ips.address(off),
      computerName: `ecs-anywhere-${id.slice(3, 11)}`,
      platformType: 'Linux',
      platformName: 'Ubuntu',
      registrationDate: now,
      lastPingDateTime: now,
      pingStatus: 'Online',
      subnet: s,
      ipOffset: off,
    };
    account.managedInstances.set(id, mi);
    return mi;
  }
}
