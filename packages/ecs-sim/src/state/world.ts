import { IpAllocator, ipv6At, PortAllocator, parseCidr4 } from './addressing.ts';
import type {
  Account,
  ArnFormat,
  Cluster,
  ContainerDefinition,
  ContainerInstance,
  Ec2Instance,
  Eni,
  LaunchType,
  ManagedInstance,
  NetworkMode,
  Role,
  Service,
  Subnet,
  Tag,
  Task,
  TaskChaos,
  TaskDefinition,
  TaskStatus,
  Vpc,
} from './model.ts';
import { Prng } from './prng.ts';
import { Scheduler } from './scheduler.ts';

/** The account every unknown access key acts in. */
export const DEFAULT_ACCOUNT_ID = '123456789012';

/** Delays of each lifecycle step of tasks started after load (RunTask, services); 0 makes a step immediate. */
export interface LifecycleOptions {
  provisioningMs: number;
  pendingMs: number;
  activatingMs: number;
  deactivatingMs: number;
  stoppingMs: number;
  deprovisioningMs: number;
  /** How long STOPPED tasks stay visible to DescribeTasks/ListTasks (ECS keeps them about an hour). */
  stoppedRetentionMs: number;
}

/** Default lifecycle timing: a few hundred milliseconds from RunTask to RUNNING. */
export const DEFAULT_LIFECYCLE: LifecycleOptions = {
  provisioningMs: 100,
  pendingMs: 200,
  activatingMs: 0,
  deactivatingMs: 0,
  stoppingMs: 200,
  deprovisioningMs: 100,
  stoppedRetentionMs: 3_600_000,
};

/** Options of the world model. */
export interface WorldOptions {
  region: string;
  accountId: string;
  seed: number;
  lifecycle: LifecycleOptions;
}

/** Input of startTask: everything that decides placement and the initial state. */
export interface StartTaskInput {
  taskDefinition: TaskDefinition;
  launchType: LaunchType;
  group?: string | undefined;
  startedBy?: string | undefined;
  service?: Service | undefined;
  containerInstance?: ContainerInstance | undefined;
  subnets?: Subnet[] | undefined;
  assignIpv6?: boolean | undefined;
  environmentOverrides?: Map<string, { name: string; value: string }[]> | undefined;
  tags?: Tag[] | undefined;
  /** RUNNING immediately (fleet load) or a pinned status; otherwise walk the lifecycle. */
  initialStatus?: TaskStatus | undefined;
  pinned?: boolean | undefined;
  chaos?: TaskChaos | undefined;
}

/** A listener of task and container instance changes (the SQS event publisher). */
export type ChangeListener = (
  change: { kind: 'task'; task: Task } | { kind: 'containerInstance'; ci: ContainerInstance },
) => void;

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);

/** Whether a status is on the stop path. */
export const isStopping = (s: TaskStatus): boolean => TERMINAL.has(s);

/** The whole simulated world: accounts and their resources, the lifecycle engine, IP and port allocation. */
export class World {
  readonly region: string;
  readonly defaultAccountId: string;
  readonly prng: Prng;
  readonly scheduler = new Scheduler();
  readonly lifecycle: LifecycleOptions;
  readonly accounts = new Map<string, Account>();
  readonly listeners = new Set<ChangeListener>();
  #seq = 0;
  #clockMs = -1;
  #clockDate = new Date(0);
  readonly #reconciling = new Set<Service>();

  constructor(opts: WorldOptions) {
    this.region = opts.region;
    this.defaultAccountId = opts.accountId;
    this.prng = new Prng(opts.seed);
    this.lifecycle = opts.lifecycle;
    this.account(opts.accountId);
  }

  /** The current time as a Date shared by everything created in the same millisecond (never mutated: less garbage). */
  now(): Date {
    const ms = Date.now();
    if (ms !== this.#clockMs) {
      this.#clockMs = ms;
      this.#clockDate = new Date(ms);
    }
    return this.#clockDate;
  }

  /** The account with this id, created on first use. */
  account(id: string): Account {
    let a = this.accounts.get(id);
    if (!a) {
      a = {
        id,
        roles: new Map(),
        accessKeyIds: new Set(),
        clusters: new Map(),
        deletedClusters: new Map(),
        taskDefinitions: new Map(),
        ec2Instances: new Map(),
        managedInstances: new Map(),
        vpcs: new Map(),
        subnets: new Map(),
        enis: new Map(),
        queues: new Map(),
        eventsQueue: undefined,
      };
      this.accounts.set(id, a);
    }
    return a;
  }

  /** Adds an IAM role that AssumeRole accepts. */
  addRole(account: Account, name: string, externalId: string | undefined): Role {
    const role = { name, arn: `arn:aws:iam::${account.id}:role/${name}`, externalId };
    account.roles.set(name, role);
    return role;
  }

  #emit(change: Parameters<ChangeListener>[0]): void {
    for (const l of this.listeners) l(change);
  }

  // ---- ARNs --------------------------------------------------------------

  /** `arn:aws:ecs:REGION:ACCOUNT:RESOURCE`. */
  ecsArn(account: Account, resource: string): string {
    return `arn:aws:ecs:${this.region}:${account.id}:${resource}`;
  }

  // ---- EC2: VPCs, subnets, instances ------------------------------------

  /** Creates a VPC. */
  createVpc(account: Account, cidrBlock: string, id?: string): Vpc {
    const vpc = { id: id ?? `vpc-${this.prng.hex(17)}`, cidrBlock, tags: [] };
    account.vpcs.set(vpc.id, vpc);
    return vpc;
  }

  /** Creates a subnet; throws a lowercase message when the CIDR is invalid or overlaps another subnet. */
  createSubnet(
    account: Account,
    input: {
      id?: string;
      cidrBlock: string;
      availabilityZone?: string;
      ipv6CidrBlock?: string;
      vpcId?: string;
    },
  ): Subnet {
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
      id: input.id ?? `subnet-${this.prng.hex(17)}`,
      vpcId,
      cidrBlock: input.cidrBlock,
      cidr,
      availabilityZone: input.availabilityZone ?? `${this.region}a`,
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
          availabilityZone: `${this.region}${az}`,
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
      const s = list[(this.#seq + i) % list.length]!;
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
    const mac = this.prng.hex(10).replace(/(..)/g, '$1:');
    const eni: Eni = {
      id: `eni-${this.prng.hex(17)}`,
      attachmentId: this.prng.uuid(),
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
  runInstance(
    account: Account,
    input: { subnet?: Subnet; instanceType?: string; imageId?: string; tags?: Tag[]; reservationId?: string },
  ): Ec2Instance {
    const subnet = input.subnet ?? this.pickSubnet(account);
    this.#seq++;
    const instanceId = `i-${this.prng.hex(17)}`;
    const eni = this.createEni(account, subnet, 'Primary network interface', false, 'interface');
    eni.instanceId = instanceId;
    const inst: Ec2Instance = {
      instanceId,
      imageId: input.imageId ?? 'ami-0ecs0sim0000000001',
      instanceType: input.instanceType ?? 'm5.large',
      state: 'running',
      launchTime: this.now(),
      subnet,
      eni,
      tags: input.tags ?? [],
      reservationId: input.reservationId ?? `r-${this.prng.hex(17)}`,
    };
    account.ec2Instances.set(instanceId, inst);
    return inst;
  }

  /** Terminates an EC2 instance: its container instance goes INACTIVE and its tasks stop. */
  terminateInstance(account: Account, inst: Ec2Instance): void {
    if (inst.state === 'terminated') return;
    inst.state = 'terminated';
    this.deleteEni(account, inst.eni);
    for (const cluster of account.clusters.values()) {
      for (const ci of cluster.containerInstances.values()) {
        if (ci.ec2InstanceId === inst.instanceId && ci.status !== 'INACTIVE') {
          this.deregisterContainerInstance(ci, `Host EC2 (instance ${inst.instanceId}) terminated.`);
        }
      }
    }
  }

  /** Registers an SSM managed instance (`mi-…`) with an address from a subnet: an ECS Anywhere host. */
  registerManagedInstance(account: Account, subnet?: Subnet): ManagedInstance {
    const s = subnet ?? this.pickSubnet(account);
    this.#seq++;
    const off = s.ips.allocate();
    if (off === undefined) throw new Error(`subnet ${s.id} has no free address`);
    const id = `mi-${this.prng.hex(17)}`;
    const now = this.now();
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

  // ---- clusters ----------------------------------------------------------

  /** Creates (or returns the existing ACTIVE) cluster. */
  createCluster(account: Account, name: string, opts: { arnFormat?: ArnFormat; tags?: Tag[] } = {}): Cluster {
    const existing = account.clusters.get(name);
    if (existing) return existing;
    account.deletedClusters.delete(name);
    const cluster: Cluster = {
      name,
      arn: this.ecsArn(account, `cluster/${name}`),
      account,
      arnFormat: opts.arnFormat ?? 'long',
      status: 'ACTIVE',
      tags: opts.tags ?? [],
      tasks: new Map(),
      containerInstances: new Map(),
      services: new Map(),
      placementCursor: 0,
      seq: ++this.#seq,
    };
    account.clusters.set(name, cluster);
    return cluster;
  }

  /** Deletes a cluster (INACTIVE, kept for DescribeClusters) and drops every pending step of its tasks. */
  deleteCluster(cluster: Cluster): void {
    cluster.status = 'INACTIVE';
    cluster.account.clusters.delete(cluster.name);
    cluster.account.deletedClusters.set(cluster.name, cluster);
    for (const t of cluster.tasks.values()) this.scheduler.cancel(t);
  }

  // ---- task definitions --------------------------------------------------

  /** Registers the next revision of a family. */
  registerTaskDefinition(
    account: Account,
    input: {
      family: string;
      networkMode: NetworkMode;
      requiresCompatibilities: LaunchType[];
      cpu?: string | undefined;
      memory?: string | undefined;
      containerDefinitions: ContainerDefinition[];
      tags?: Tag[];
    },
  ): TaskDefinition {
    let revs = account.taskDefinitions.get(input.family);
    if (!revs) {
      revs = [];
      account.taskDefinitions.set(input.family, revs);
    }
    const revision = revs.length + 1;
    const td: TaskDefinition = {
      arn: this.ecsArn(account, `task-definition/${input.family}:${revision}`),
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
      registeredAt: this.now(),
      deregisteredAt: undefined,
      tags: input.tags ?? [],
    };
    revs.push(td);
    return td;
  }

  /** Resolves `family` (latest ACTIVE), `family:rev` or a task definition ARN. */
  resolveTaskDefinition(account: Account, ref: string): TaskDefinition | undefined {
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

  // ---- container instances ------------------------------------------------

  /** Registers a container instance on an EC2 instance or an SSM managed instance. */
  registerContainerInstance(
    cluster: Cluster,
    host: { kind: 'EC2'; instance: Ec2Instance } | { kind: 'EXTERNAL'; instance: ManagedInstance },
    tags: Tag[] = [],
  ): ContainerInstance {
    const id = this.prng.hex(32);
    const acct = cluster.account;
    const ci: ContainerInstance = {
      id,
      arn: this.ecsArn(
        acct,
        cluster.arnFormat === 'long'
          ? `container-instance/${cluster.name}/${id}`
          : `container-instance/${id}`,
      ),
      cluster,
      ec2InstanceId: host.instance.instanceId,
      launchType: host.kind,
      instanceType: host.kind === 'EC2' ? host.instance.instanceType : 'external',
      privateIp: host.kind === 'EC2' ? host.instance.eni.privateIpAddress : host.instance.ipAddress,
      availabilityZone: host.instance.subnet.availabilityZone,
      subnet: host.instance.subnet,
      status: 'ACTIVE',
      agentConnected: true,
      registeredAt: this.now(),
      version: 1,
      ports: new PortAllocator(),
      tasks: new Set(),
      tags,
      seq: ++this.#seq,
    };
    for (const p of [22, 2375, 2376, 51678, 51679]) ci.ports.reserve(p);
    cluster.containerInstances.set(id, ci);
    this.#emit({ kind: 'containerInstance', ci });
    this.#retryPlacement(cluster);
    return ci;
  }

  /** Deregisters a container instance: INACTIVE, its tasks stop (the service replaces them elsewhere). */
  deregisterContainerInstance(ci: ContainerInstance, reason = 'Container instance deregistered.'): void {
    if (ci.status === 'INACTIVE') return;
    ci.status = 'INACTIVE';
    this.#ciVersion++;
    ci.agentConnected = false;
    ci.version++;
    this.#emit({ kind: 'containerInstance', ci });
    for (const t of [...ci.tasks]) this.stopTask(t, reason, 'TaskFailedToStart');
    ci.cluster.containerInstances.delete(ci.id);
  }

  // ---- tasks ---------------------------------------------------------------

  /** Places and creates a task; returns a failure reason (as RunTask's `failures[].reason`) when it cannot be placed. */
  startTask(cluster: Cluster, input: StartTaskInput): Task | { reason: string } {
    const td = input.taskDefinition;
    const acct = cluster.account;
    let ci: ContainerInstance | undefined = input.containerInstance;
    const staticPorts: number[] = [];
    for (const c of td.containerDefinitions) {
      for (const p of c.portMappings) {
        if (td.networkMode === 'host') staticPorts.push(p.containerPort);
        else if (td.networkMode === 'bridge' && p.hostPort > 0) staticPorts.push(p.hostPort);
      }
    }
    if (input.launchType !== 'FARGATE') {
      if (ci === undefined) {
        const candidates = this.#candidates(cluster, input.launchType);
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
    let subnet: Subnet | undefined;
    let eni: Eni | undefined;
    const id = this.prng.hex(32);
    const arn = this.ecsArn(acct, cluster.arnFormat === 'long' ? `task/${cluster.name}/${id}` : `task/${id}`);
    if (td.networkMode === 'awsvpc') {
      subnet = this.pickSubnet(acct, input.subnets);
      this.#seq++;
      eni = this.createEni(
        acct,
        subnet,
        `arn:aws:ecs:${this.region}:${acct.id}:attachment/${id}`,
        input.assignIpv6 ?? false,
        'interface',
      );
    }
    const now = this.now();
    const task: Task = {
      id,
      arn,
      seq: ++this.#seq,
      cluster,
      taskDefinition: td,
      launchType: input.launchType,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      group: input.group ?? (input.service ? `service:${input.service.name}` : `family:${td.family}`),
      startedBy: input.startedBy,
      service: input.service,
      containerInstance: ci,
      subnet,
      eni,
      assignIpv6: input.assignIpv6 ?? false,
      availabilityZone: subnet?.availabilityZone ?? ci?.availabilityZone ?? `${this.region}a`,
      containers: td.containerDefinitions.map((def) => ({
        id: this.prng.uuid(),
        def,
        lastStatus: 'PENDING' as const,
        runtimeId: undefined,
        exitCode: undefined,
        hostPorts: def.portMappings.map(() => undefined),
        environmentOverrides: input.environmentOverrides?.get(def.name),
      })),
      staticPorts,
      createdAt: now,
      pullStartedAt: undefined,
      pullStoppedAt: undefined,
      startedAt: undefined,
      connectivityAt: undefined,
      stoppingAt: undefined,
      executionStoppedAt: undefined,
      stoppedAt: undefined,
      stoppedReason: undefined,
      stopCode: undefined,
      version: 0,
      tags: input.tags ?? [],
      pinned: input.pinned ?? false,
      chaos: input.chaos,
      platformVersion: input.launchType === 'FARGATE' ? '1.4.0' : undefined,
      cpu: td.cpu ?? String(td.containerDefinitions.reduce((s, c) => s + c.cpu, 0) || 256),
      memory: td.memory ?? String(td.containerDefinitions.reduce((s, c) => s + (c.memory ?? 0), 0) || 512),
    };
    cluster.tasks.set(id, task);
    ci?.tasks.add(task);
    input.service?.tasks.add(task);
    const initial = input.initialStatus;
    if (initial !== undefined) {
      this.#jumpTo(task, initial);
      if (!task.pinned && initial !== 'RUNNING' && initial !== 'STOPPED') this.#scheduleNext(task);
    } else {
      this.#enter(task, td.networkMode === 'awsvpc' ? 'PROVISIONING' : 'PENDING');
    }
    return task;
  }

  readonly #candidateCache = new WeakMap<
    Cluster,
    { size: number; version: number; byType: Map<string, ContainerInstance[]> }
  >();
  #ciVersion = 0;

  /** ACTIVE container instances of a launch type, cached until an instance registers, deregisters or drains. */
  #candidates(cluster: Cluster, launchType: LaunchType): ContainerInstance[] {
    let c = this.#candidateCache.get(cluster);
    if (!c || c.size !== cluster.containerInstances.size || c.version !== this.#ciVersion) {
      c = { size: cluster.containerInstances.size, version: this.#ciVersion, byType: new Map() };
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

  readonly #orderCache = new WeakMap<Cluster, { version: number; list: Task[] }>();
  #taskVersion = 0;

  /** Removes a task from its cluster (after the STOPPED retention). */
  forgetTask(task: Task): void {
    if (task.cluster.tasks.delete(task.id)) this.#taskVersion++;
  }

  /** A cluster's tasks in creation (seq) order as an array, cached until a task is added or forgotten: O(log n) paging. */
  orderedTasks(cluster: Cluster): Task[] {
    const c = this.#orderCache.get(cluster);
    if (c && c.version === this.#taskVersion && c.list.length === cluster.tasks.size) return c.list;
    const list = [...cluster.tasks.values()];
    this.#orderCache.set(cluster, { version: this.#taskVersion, list });
    return list;
  }

  /** Walks a freshly created task straight to `status`, applying each step's side effects without delays. */
  #jumpTo(task: Task, status: TaskStatus): void {
    const order: TaskStatus[] = ['PROVISIONING', 'PENDING', 'RUNNING'];
    if (
      status === 'PROVISIONING' ||
      status === 'PENDING' ||
      status === 'ACTIVATING' ||
      status === 'RUNNING'
    ) {
      for (const s of order) {
        this.#apply(task, s);
        if (s === status || (status === 'ACTIVATING' && s === 'PENDING')) break;
      }
      if (status === 'ACTIVATING') this.#apply(task, 'ACTIVATING');
    } else {
      this.#apply(task, 'PENDING');
      this.#apply(task, 'RUNNING');
      task.desiredStatus = 'STOPPED';
      for (const s of ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const) {
        this.#apply(task, s);
        if (s === status) break;
      }
    }
    task.version = 1;
    this.#emit({ kind: 'task', task });
  }

  /** Enters `status` (side effects, version bump, event) and schedules the following step. */
  #enter(task: Task, status: TaskStatus): void {
    this.#apply(task, status);
    task.version++;
    this.#emit({ kind: 'task', task });
    if (!task.pinned) this.#scheduleNext(task);
    if (status === 'STOPPED') this.#retryPlacement(task.cluster);
  }

  /** Like the ECS service scheduler, retries services that could not place all their tasks once resources free up. */
  #retryPlacement(cluster: Cluster): void {
    if (cluster.status !== 'ACTIVE') return;
    for (const svc of cluster.services.values()) {
      if (svc.status !== 'ACTIVE') continue;
      let live = 0;
      for (const t of svc.tasks) if (t.desiredStatus === 'RUNNING') live++;
      if (svc.schedulingStrategy === 'DAEMON' || live < svc.desiredCount) this.reconcileService(svc);
    }
  }

  #nextOf(task: Task): [TaskStatus, number] | undefined {
    const L = this.lifecycle;
    const vpc = task.taskDefinition.networkMode === 'awsvpc';
    switch (task.lastStatus) {
      case 'PROVISIONING':
        return ['PENDING', L.provisioningMs];
      case 'PENDING':
        return L.activatingMs > 0 ? ['ACTIVATING', L.pendingMs] : ['RUNNING', L.pendingMs];
      case 'ACTIVATING':
        return ['RUNNING', L.activatingMs];
      case 'RUNNING':
        return undefined;
      case 'DEACTIVATING':
        return ['STOPPING', L.deactivatingMs];
      case 'STOPPING':
        return vpc ? ['DEPROVISIONING', L.stoppingMs] : ['STOPPED', L.stoppingMs];
      case 'DEPROVISIONING':
        return ['STOPPED', L.deprovisioningMs];
      case 'STOPPED':
        return undefined;
    }
  }

  #scheduleNext(task: Task): void {
    if (task.lastStatus === 'STOPPED') {
      const retention = this.lifecycle.stoppedRetentionMs;
      this.scheduler.schedule(task, retention, () => this.forgetTask(task), true);
      return;
    }
    const next = this.#nextOf(task);
    if (!next) return;
    const [status, delay] = next;
    if (delay <= 0) this.#enter(task, status);
    else this.scheduler.schedule(task, delay, () => this.#enter(task, status));
  }

  /** Side effects of entering a status: timestamps, container states, host ports, addresses. */
  #apply(task: Task, status: TaskStatus): void {
    const now = this.now();
    task.lastStatus = status;
    switch (status) {
      case 'PROVISIONING':
        break;
      case 'PENDING':
        task.pullStartedAt = now;
        break;
      case 'ACTIVATING':
      case 'RUNNING': {
        if (task.startedAt) break;
        task.pullStoppedAt = now;
        task.startedAt = now;
        task.connectivityAt = now;
        const mode = task.taskDefinition.networkMode;
        for (const c of task.containers) {
          c.lastStatus = 'RUNNING';
          c.runtimeId = `${task.id}-${this.prng.hex(10)}`;
          c.def.portMappings.forEach((p, i) => {
            if (mode === 'host') c.hostPorts[i] = p.containerPort;
            else if (mode === 'bridge') {
              c.hostPorts[i] = p.hostPort > 0 ? p.hostPort : task.containerInstance?.ports.dynamic();
            } else if (mode === 'awsvpc') c.hostPorts[i] = p.containerPort;
          });
        }
        break;
      }
      case 'DEACTIVATING':
      case 'STOPPING':
        task.desiredStatus = 'STOPPED';
        task.stoppingAt ??= now;
        break;
      case 'DEPROVISIONING':
        task.executionStoppedAt ??= now;
        for (const c of task.containers) this.#stopContainer(c);
        break;
      case 'STOPPED': {
        task.desiredStatus = 'STOPPED';
        task.stoppingAt ??= now;
        task.executionStoppedAt ??= now;
        task.stoppedAt = now;
        for (const c of task.containers) this.#stopContainer(c);
        this.#releaseResources(task);
        break;
      }
    }
  }

  #stopContainer(c: Task['containers'][number]): void {
    if (c.lastStatus === 'STOPPED') return;
    c.exitCode = c.lastStatus === 'RUNNING' ? 137 : undefined;
    c.lastStatus = 'STOPPED';
  }

  #releaseResources(task: Task): void {
    const ci = task.containerInstance;
    if (ci) {
      for (const p of task.staticPorts) ci.ports.release(p);
      if (task.taskDefinition.networkMode === 'bridge') {
        for (const c of task.containers) {
          c.def.portMappings.forEach((p, i) => {
            const hp = c.hostPorts[i];
            if (p.hostPort === 0 && hp !== undefined) ci.ports.release(hp);
          });
        }
      }
      ci.tasks.delete(task);
    }
    if (task.eni && task.eni.status === 'in-use') this.deleteEni(task.cluster.account, task.eni);
    const svc = task.service;
    if (svc) {
      svc.tasks.delete(task);
    }
  }

  /** Stops a task (StopTask, scale-in, host loss): desiredStatus STOPPED and the stop path; services replace it. */
  stopTask(task: Task, reason: string, stopCode = 'UserInitiated'): void {
    if (task.desiredStatus === 'STOPPED' || task.lastStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.pinned = false;
    this.scheduler.cancel(task);
    const first: TaskStatus = this.lifecycle.deactivatingMs > 0 ? 'DEACTIVATING' : 'STOPPING';
    this.#enter(task, first);
    if (task.service) this.reconcileService(task.service);
  }

  // ---- services -------------------------------------------------------------

  /** Creates a service and starts its tasks (RUNNING at once when `initialStatus` is given, as the fleet loader does). */
  createService(
    cluster: Cluster,
    input: {
      name: string;
      taskDefinition: TaskDefinition;
      desiredCount: number;
      schedulingStrategy?: 'REPLICA' | 'DAEMON';
      launchType: LaunchType;
      subnets: Subnet[];
      assignIpv6?: boolean;
      tags?: Tag[];
      initialStatus?: TaskStatus;
    },
  ): Service {
    const acct = cluster.account;
    const now = this.now();
    const svc: Service = {
      name: input.name,
      arn: this.ecsArn(
        acct,
        cluster.arnFormat === 'long' ? `service/${cluster.name}/${input.name}` : `service/${input.name}`,
      ),
      cluster,
      status: 'ACTIVE',
      taskDefinition: input.taskDefinition,
      desiredCount: input.desiredCount,
      schedulingStrategy: input.schedulingStrategy ?? 'REPLICA',
      launchType: input.launchType,
      subnets: input.subnets,
      assignIpv6: input.assignIpv6 ?? false,
      createdAt: now,
      updatedAt: now,
      deploymentId: this.prng.digits(19),
      tasks: new Set(),
      tags: input.tags ?? [],
      seq: ++this.#seq,
    };
    cluster.services.set(svc.name, svc);
    this.reconcileService(svc, input.initialStatus);
    return svc;
  }

  /** Starts or stops tasks until the service runs `desiredCount` tasks of its current task definition. */
  reconcileService(svc: Service, initialStatus?: TaskStatus): { failures: string[] } {
    const failures: string[] = [];
    if (svc.cluster.status !== 'ACTIVE' || this.#reconciling.has(svc)) return { failures };
    this.#reconciling.add(svc);
    try {
      this.#reconcile(svc, initialStatus, failures);
    } finally {
      this.#reconciling.delete(svc);
    }
    return { failures };
  }

  #reconcile(svc: Service, initialStatus: TaskStatus | undefined, failures: string[]): void {
    if (svc.schedulingStrategy === 'DAEMON') {
      this.#reconcileDaemon(svc, initialStatus, failures);
      return;
    }
    const live = [...svc.tasks].filter((t) => t.desiredStatus === 'RUNNING');
    const stale = live.filter((t) => t.taskDefinition !== svc.taskDefinition);
    for (const t of stale) this.stopTask(t, 'Deployment replaced this task.', 'ServiceSchedulerInitiated');
    const current = live.filter((t) => t.taskDefinition === svc.taskDefinition);
    const want = svc.status === 'ACTIVE' ? svc.desiredCount : 0;
    for (let i = current.length; i > want; i--) {
      const t = current[i - 1]!;
      this.stopTask(t, 'Scaling activity initiated by (deployment ecs-svc/' + svc.deploymentId + ')');
    }
    for (let i = current.length; i < want; i++) {
      const r = this.#startServiceTask(svc, initialStatus);
      if ('reason' in r) {
        failures.push(r.reason);
        break;
      }
    }
  }

  /** Like the ECS daemon scheduler: one task of the current task definition on every ACTIVE container instance. */
  #reconcileDaemon(svc: Service, initialStatus: TaskStatus | undefined, failures: string[]): void {
    const live = [...svc.tasks].filter((t) => t.desiredStatus === 'RUNNING');
    for (const t of live) {
      if (t.taskDefinition !== svc.taskDefinition)
        this.stopTask(t, 'Deployment replaced this task.', 'ServiceSchedulerInitiated');
    }
    const instances =
      svc.status === 'ACTIVE'
        ? [...svc.cluster.containerInstances.values()].filter(
            (ci) => ci.status === 'ACTIVE' && ci.launchType === svc.launchType,
          )
        : [];
    svc.desiredCount = instances.length;
    for (const ci of instances) {
      const covered = live.some(
        (t) =>
          t.desiredStatus === 'RUNNING' &&
          t.containerInstance === ci &&
          t.taskDefinition === svc.taskDefinition,
      );
      if (covered) continue;
      const r = this.#startServiceTask(svc, initialStatus, ci);
      if ('reason' in r) failures.push(r.reason);
    }
  }

  /** Starts one task of a service's current deployment, on `ci` when given (DAEMON), else where it fits. */
  #startServiceTask(
    svc: Service,
    initialStatus: TaskStatus | undefined,
    ci?: ContainerInstance,
  ): Task | { reason: string } {
    return this.startTask(svc.cluster, {
      taskDefinition: svc.taskDefinition,
      launchType: svc.launchType,
      service: svc,
      startedBy: `ecs-svc/${svc.deploymentId}`,
      subnets: svc.subnets,
      assignIpv6: svc.assignIpv6,
      containerInstance: ci,
      initialStatus,
    });
  }

  /** Sets a service's desired count and/or task definition (a new deployment) and reconciles. */
  updateService(
    svc: Service,
    input: { desiredCount?: number; taskDefinition?: TaskDefinition; force?: boolean },
  ): void {
    if (input.desiredCount !== undefined) svc.desiredCount = input.desiredCount;
    if (input.taskDefinition && input.taskDefinition !== svc.taskDefinition) {
      svc.taskDefinition = input.taskDefinition;
      svc.deploymentId = this.prng.digits(19);
    } else if (input.force) {
      svc.deploymentId = this.prng.digits(19);
      for (const t of [...svc.tasks]) {
        if (t.desiredStatus === 'RUNNING') this.stopTask(t, 'Deployment replaced this task.');
      }
    }
    svc.updatedAt = this.now();
    this.reconcileService(svc);
  }

  /** Deletes a service: DRAINING, its tasks stop, then INACTIVE. */
  deleteService(svc: Service): void {
    svc.status = 'DRAINING';
    svc.desiredCount = 0;
    for (const t of [...svc.tasks]) if (t.desiredStatus === 'RUNNING') this.stopTask(t, 'Service deleted.');
    svc.status = 'INACTIVE';
    svc.updatedAt = this.now();
    svc.cluster.services.delete(svc.name);
  }

  /** Stops every timer. */
  close(): void {
    this.scheduler.close();
  }
}
