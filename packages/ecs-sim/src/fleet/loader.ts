import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseCidr4 } from '../state/addressing.ts';
import type {
  Account,
  Cluster,
  ContainerDefinition,
  LaunchType,
  Subnet,
  Tag,
  TaskDefinition,
} from '../state/model.ts';
import type { World } from '../state/world.ts';
import { FleetError, formatIssues } from './errors.ts';
import { type Fleet, type FleetAccount, FleetSchema } from './schema.ts';

/** Tags in ECS's `[{key, value}]` shape from the fleet file's map. */
const tagsFromMap = (m: Record<string, string> | undefined): Tag[] =>
  Object.entries(m ?? {}).map(([key, value]) => ({ key, value }));

/** Validates a parsed fleet object against the schema; throws FleetError with every problem. */
export function validateFleet(input: unknown, source?: string): Fleet {
  const r = FleetSchema.safeParse(input ?? {}, { reportInput: true });
  if (!r.success) throw new FleetError(formatIssues(r.error.issues), source);
  const problems = checkReferences(r.data);
  if (problems.length > 0) throw new FleetError(problems, source);
  return r.data;
}

/** Reads a YAML or JSON fleet file and validates it; throws FleetError (path: message per problem). */
export function loadFleetFile(path: string): Fleet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FleetError([
      `${path}: cannot read the fleet file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    ]);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new FleetError(
      [
        `(root): not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
      ],
      path,
    );
  }
  return validateFleet(parsed, path);
}

function accountsOf(f: Fleet): { prefix: string; a: FleetAccount }[] {
  const main: FleetAccount = {
    accountId: f.accountId ?? '123456789012',
    accessKeyIds: f.accessKeyIds,
    roles: f.roles,
    subnets: f.subnets,
    taskDefinitions: f.taskDefinitions,
    clusters: f.clusters,
    events: f.events,
  };
  return [{ prefix: '', a: main }, ...(f.accounts ?? []).map((a, i) => ({ prefix: `accounts[${i}].`, a }))];
}

function familyRevisions(a: FleetAccount): Map<string, { count: number; mode: string; requires: string[] }> {
  const m = new Map<string, { count: number; mode: string; requires: string[] }>();
  for (const td of a.taskDefinitions ?? []) {
    const prev = m.get(td.family);
    m.set(td.family, {
      count: (prev?.count ?? 0) + 1,
      mode: td.networkMode,
      requires: td.requiresCompatibilities ?? [],
    });
  }
  return m;
}

function checkReferences(f: Fleet): string[] {
  const problems: string[] = [];
  const seenAccounts = new Set<string>();
  for (const { prefix, a } of accountsOf(f)) {
    if (seenAccounts.has(a.accountId))
      problems.push(`${prefix}accountId: got "${a.accountId}", expected an account id not used twice`);
    seenAccounts.add(a.accountId);
    const subnetIds = new Set<string>();
    const cidrs: { path: string; c: { base: number; size: number } }[] = [];
    (a.subnets ?? []).forEach((s, i) => {
      const path = `${prefix}subnets[${i}]`;
      if (subnetIds.has(s.id))
        problems.push(`${path}.id: got "${s.id}", expected a subnet id not used twice`);
      subnetIds.add(s.id);
      const c = parseCidr4(s.cidr);
      if (typeof c === 'string') problems.push(`${path}.cidr: ${c}`);
      else {
        const clash = cidrs.find((x) => c.base < x.c.base + x.c.size && x.c.base < c.base + c.size);
        if (clash)
          problems.push(
            `${path}.cidr: got "${s.cidr}", expected a range that does not overlap ${clash.path}`,
          );
        cidrs.push({ path: `${path}.cidr`, c });
      }
      if (s.ipv6Cidr !== undefined && !/^[0-9a-fA-F:]+::\/64$/.test(s.ipv6Cidr)) {
        problems.push(`${path}.ipv6Cidr: got "${s.ipv6Cidr}", expected an IPv6 /64 like "fd00:1::/64"`);
      }
    });
    const hasDefaultSubnets = (a.subnets ?? []).length === 0;
    const subnetOk = (id: string | undefined): boolean =>
      id === undefined || subnetIds.has(id) || (hasDefaultSubnets && /^subnet-\d{4}[abc]0{12}$/.test(id));
    const fams = familyRevisions(a);
    (a.taskDefinitions ?? []).forEach((td, i) => {
      const path = `${prefix}taskDefinitions[${i}]`;
      if ((td.requiresCompatibilities ?? []).includes('FARGATE') && td.networkMode !== 'awsvpc') {
        problems.push(
          `${path}.networkMode: got "${td.networkMode}", expected awsvpc because requiresCompatibilities includes FARGATE`,
        );
      }
      const names = new Set<string>();
      td.containerDefinitions.forEach((c, j) => {
        if (names.has(c.name))
          problems.push(
            `${path}.containerDefinitions[${j}].name: got "${c.name}", expected a container name not used twice`,
          );
        names.add(c.name);
        (c.portMappings ?? []).forEach((p, k) => {
          if (
            (td.networkMode === 'awsvpc' || td.networkMode === 'host') &&
            p.hostPort !== undefined &&
            p.hostPort !== p.containerPort
          ) {
            problems.push(
              `${path}.containerDefinitions[${j}].portMappings[${k}].hostPort: got ${p.hostPort}, expected ${p.containerPort} (the containerPort) or nothing in ${td.networkMode} mode`,
            );
          }
        });
      });
    });
    const resolveTd = (ref: string): { mode: string; requires: string[] } | undefined => {
      const arn = /^arn:aws[\w-]*:ecs:[^:]+:\d{12}:task-definition\/(.+)$/.exec(ref);
      const spec = arn ? arn[1]! : ref;
      const colon = spec.lastIndexOf(':');
      const fam = fams.get(colon >= 0 ? spec.slice(0, colon) : spec);
      if (!fam) return undefined;
      if (colon >= 0) {
        const rev = Number(spec.slice(colon + 1));
        if (!Number.isInteger(rev) || rev < 1 || rev > fam.count) return undefined;
      }
      return fam;
    };
    const clusterNames = new Set<string>();
    (a.clusters ?? []).forEach((c, ci) => {
      const cpath = `${prefix}clusters[${ci}]`;
      if (clusterNames.has(c.name))
        problems.push(`${cpath}.name: got "${c.name}", expected a cluster name not used twice`);
      clusterNames.add(c.name);
      const hostKinds = new Set((c.instances ?? []).map((g) => g.launchType));
      (c.instances ?? []).forEach((g, gi) => {
        if (!subnetOk(g.subnet))
          problems.push(
            `${cpath}.instances[${gi}].subnet: got "${g.subnet}", expected one of the subnets ids (${[...subnetIds].join(', ') || 'none declared'})`,
          );
      });
      const checkRun = (
        path: string,
        tdRef: string,
        lt: LaunchType | undefined,
        subnets: (string | undefined)[],
      ): void => {
        const td = resolveTd(tdRef);
        if (!td) {
          problems.push(
            `${path}.taskDefinition: got "${tdRef}", expected a family (or family:revision) from taskDefinitions (${[...fams.keys()].join(', ') || 'none declared'})`,
          );
          return;
        }
        const launch = lt ?? (td.requires.length === 1 ? (td.requires[0] as LaunchType) : 'EC2');
        if (launch === 'FARGATE' && td.mode !== 'awsvpc') {
          problems.push(
            `${path}.launchType: got "FARGATE", expected EC2 or EXTERNAL because task definition "${tdRef}" uses network mode ${td.mode}`,
          );
        }
        if (launch !== 'FARGATE' && !hostKinds.has(launch)) {
          problems.push(
            `${path}.launchType: got "${launch}", expected a cluster with ${launch} instances (add instances: [{ launchType: ${launch} }] to cluster "${c.name}")`,
          );
        }
        for (const s of subnets) {
          if (!subnetOk(s))
            problems.push(
              `${path}.subnet: got "${s}", expected one of the subnet ids (${[...subnetIds].join(', ') || 'none declared'})`,
            );
        }
      };
      const svcNames = new Set<string>();
      (c.services ?? []).forEach((s, si) => {
        const path = `${cpath}.services[${si}]`;
        if (svcNames.has(s.name))
          problems.push(
            `${path}.name: got "${s.name}", expected a service name not used twice in the cluster`,
          );
        svcNames.add(s.name);
        if (s.schedulingStrategy === 'DAEMON' && s.launchType === 'FARGATE') {
          problems.push(`${path}.launchType: got "FARGATE", expected EC2 or EXTERNAL for a DAEMON service`);
        }
        checkRun(path, s.taskDefinition, s.launchType, [s.subnet, ...(s.subnets ?? [])]);
      });
      (c.tasks ?? []).forEach((t, ti) => {
        checkRun(`${cpath}.tasks[${ti}]`, t.taskDefinition, t.launchType, [t.subnet]);
      });
    });
  }
  return problems;
}

const envList = (
  e: Record<string, string> | { name: string; value: string }[] | undefined,
): { name: string; value: string }[] =>
  Array.isArray(e) ? e : Object.entries(e ?? {}).map(([name, value]) => ({ name, value }));

function defaultLaunch(td: TaskDefinition): LaunchType {
  return td.requiresCompatibilities.length === 1 ? td.requiresCompatibilities[0]! : 'EC2';
}

/** Creates everything a validated fleet describes; fleet tasks start RUNNING (or pinned in their lastStatus). */
export function applyFleet(world: World, fleet: Fleet): void {
  const problems: string[] = [];
  for (const { prefix, a } of accountsOf(fleet)) {
    const acct: Account = world.account(a.accountId);
    for (const k of a.accessKeyIds ?? []) acct.accessKeyIds.add(k);
    for (const r of a.roles ?? []) world.addRole(acct, r.name, r.externalId);
    if (a.events) acct.eventsQueue = a.events.queue;
    for (const s of a.subnets ?? []) {
      world.createSubnet(acct, {
        id: s.id,
        cidrBlock: s.cidr,
        availabilityZone: s.availabilityZone ?? `${world.region}a`,
        ...(s.ipv6Cidr !== undefined ? { ipv6CidrBlock: s.ipv6Cidr } : {}),
      });
    }
    for (const td of a.taskDefinitions ?? []) {
      world.registerTaskDefinition(acct, {
        family: td.family,
        networkMode: td.networkMode,
        requiresCompatibilities: td.requiresCompatibilities ?? [],
        cpu: td.cpu,
        memory: td.memory,
        tags: tagsFromMap(td.tags),
        containerDefinitions: td.containerDefinitions.map(
          (c): ContainerDefinition => ({
            name: c.name,
            image: c.image,
            cpu: c.cpu ?? 128,
            memory: c.memory ?? 256,
            essential: c.essential ?? true,
            portMappings: (c.portMappings ?? []).map((p) => ({
              containerPort: p.containerPort,
              hostPort: p.hostPort ?? (td.networkMode === 'bridge' ? 0 : p.containerPort),
              protocol: p.protocol ?? 'tcp',
            })),
            environment: envList(c.environment),
            dockerLabels: c.dockerLabels ?? {},
          }),
        ),
      });
    }
    const subnet = (id: string | undefined): Subnet | undefined =>
      id === undefined ? undefined : world.subnets(acct).find((s) => s.id === id);
    (a.clusters ?? []).forEach((c, ci) => {
      const cpath = `${prefix}clusters[${ci}]`;
      const cluster: Cluster = world.createCluster(acct, c.name, {
        arnFormat: c.arnFormat,
        tags: tagsFromMap(c.tags),
      });
      for (const g of c.instances ?? []) {
        for (let n = 0; n < g.count; n++) {
          const s = subnet(g.subnet);
          if (g.launchType === 'EXTERNAL') {
            world.registerContainerInstance(
              cluster,
              { kind: 'EXTERNAL', instance: world.registerManagedInstance(acct, s) },
              tagsFromMap(g.tags),
            );
          } else {
            const inst = world.runInstance(acct, {
              ...(s ? { subnet: s } : {}),
              ...(g.instanceType ? { instanceType: g.instanceType } : {}),
              tags: tagsFromMap({ ...g.ec2Tags, 'aws:ecs:clusterName': c.name }),
            });
            world.registerContainerInstance(cluster, { kind: 'EC2', instance: inst }, tagsFromMap(g.tags));
          }
        }
      }
      (c.services ?? []).forEach((s, si) => {
        const td = world.resolveTaskDefinition(acct, s.taskDefinition)!;
        const subnets = [s.subnet, ...(s.subnets ?? [])]
          .map(subnet)
          .filter((x): x is Subnet => x !== undefined);
        const svc = world.createService(cluster, {
          name: s.name,
          taskDefinition: td,
          desiredCount: 0,
          schedulingStrategy: s.schedulingStrategy,
          // DAEMON services place their tasks at creation: a loaded fleet starts RUNNING.
          initialStatus: 'RUNNING',
          launchType: s.launchType ?? defaultLaunch(td),
          subnets,
          assignIpv6: s.assignIpv6 ?? false,
          tags: tagsFromMap(s.tags),
        });
        svc.desiredCount = s.desiredCount;
        const r = world.reconcileService(svc, 'RUNNING');
        if (r.failures.length > 0) {
          problems.push(
            `${cpath}.services[${si}].desiredCount: got ${s.desiredCount}, expected a count the cluster can place (${r.failures[0]})`,
          );
        }
      });
      (c.tasks ?? []).forEach((t, ti) => {
        const td = world.resolveTaskDefinition(acct, t.taskDefinition)!;
        const overrides = t.overrides
          ? new Map(Object.entries(t.overrides).map(([k, v]) => [k, envList(v)] as const))
          : undefined;
        for (let n = 0; n < t.count; n++) {
          const s = subnet(t.subnet);
          const r = world.startTask(cluster, {
            taskDefinition: td,
            launchType: t.launchType ?? defaultLaunch(td),
            group: t.group,
            startedBy: t.startedBy,
            subnets: s ? [s] : undefined,
            assignIpv6: t.assignIpv6,
            environmentOverrides: overrides,
            tags: tagsFromMap(t.tags),
            initialStatus: t.lastStatus ?? 'RUNNING',
            pinned: t.lastStatus !== undefined,
            chaos: t.chaos
              ? { missing: new Set(t.chaos.missing), bindingUnassigned: t.chaos.bindingUnassigned }
              : undefined,
          });
          if ('reason' in r) {
            problems.push(
              `${cpath}.tasks[${ti}].count: got ${t.count}, expected a count the cluster can place (${r.reason})`,
            );
            break;
          }
        }
      });
    });
  }
  if (problems.length > 0) throw new FleetError(problems);
}
