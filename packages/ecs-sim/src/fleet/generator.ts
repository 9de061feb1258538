import { Prng } from '../state/prng.ts';
import { FleetError } from './errors.ts';
import type { Fleet, FleetSpec, GenerateSpec } from './schema.ts';

/** Network mode mix used when `networkModes` is not given. */
export const DEFAULT_NETWORK_MODES = 'awsvpc:40/bridge:30/host:10/fargate:20';

const MODES = ['awsvpc', 'bridge', 'host', 'none', 'fargate'] as const;
type Mode = (typeof MODES)[number];

const NUMERIC_KEYS = [
  'clusters',
  'tasks',
  'services',
  'taskDefinitions',
  'hosts',
  'optedIn',
  'standalone',
  'external',
  'seed',
] as const;

/** Parses `awsvpc:50/bridge:30/host:10/fargate:10` into weights; returns problems as strings. */
export function parseNetworkModes(text: string): Map<Mode, number> | string[] {
  const out = new Map<Mode, number>();
  const problems: string[] = [];
  for (const part of text.split('/')) {
    const [m, w] = part.split(':');
    const weight = Number(w);
    if (!(MODES as readonly string[]).includes(m ?? '')) {
      problems.push(`networkModes: got ${JSON.stringify(m)}, expected one of ${MODES.join(', ')}`);
    } else if (!(weight >= 0) || w === undefined || w === '') {
      problems.push(`networkModes: got weight ${JSON.stringify(w)} for ${m}, expected a number >= 0`);
    } else out.set(m as Mode, weight);
  }
  if (problems.length === 0 && [...out.values()].every((w) => w === 0)) {
    problems.push(`networkModes: got ${JSON.stringify(text)}, expected at least one weight above 0`);
  }
  return problems.length > 0 ? problems : out;
}

/** Parses `clusters=2,tasks=50,networkModes=awsvpc:50/bridge:50`; throws FleetError with one line per problem. */
export function parseGenerateSpec(text: string): GenerateSpec {
  const spec: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if ((NUMERIC_KEYS as readonly string[]).includes(key)) {
      const n = Number(value);
      const fraction = key === 'optedIn' || key === 'standalone';
      if (
        value === '' ||
        !Number.isFinite(n) ||
        n < 0 ||
        (!fraction && !Number.isInteger(n)) ||
        (fraction && n > 1)
      ) {
        problems.push(
          `generate.${key}: got ${JSON.stringify(value)}, expected ${fraction ? 'a fraction from 0 to 1' : 'a whole number >= 0'}`,
        );
      } else spec[key] = n;
    } else if (key === 'networkModes') {
      const r = parseNetworkModes(value);
      if (Array.isArray(r)) problems.push(...r.map((p) => `generate.${p}`));
      else spec[key] = value;
    } else if (key === 'arnFormat') {
      if (value === 'long' || value === 'short' || value === 'mixed') spec[key] = value;
      else problems.push(`generate.arnFormat: got ${JSON.stringify(value)}, expected long, short or mixed`);
    } else {
      problems.push(
        `generate.${key}: unknown key, expected one of ${[...NUMERIC_KEYS, 'networkModes', 'arnFormat'].join(', ')}`,
      );
    }
  }
  if (spec['clusters'] === 0) problems.push('generate.clusters: got "0", expected at least 1');
  if (problems.length > 0) throw new FleetError(problems);
  return spec as GenerateSpec;
}

/** Splits `n` into `k` near-equal whole parts (the first parts get the remainder). */
export function split(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  return Array.from({ length: k }, (_, i) => base + (i < n % k ? 1 : 0));
}

/** Splits `n` by weights with the largest-remainder method (sums exactly to n). */
function splitWeighted<K>(n: number, weights: Map<K, number>): Map<K, number> {
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const out = new Map<K, number>();
  const rems: [K, number][] = [];
  let used = 0;
  for (const [k, w] of weights) {
    const exact = (n * w) / total;
    const f = Math.floor(exact);
    out.set(k, f);
    used += f;
    rems.push([k, exact - f]);
  }
  rems.sort((a, b) => b[1] - a[1]);
  for (let i = 0; i < n - used; i++) {
    const k = rems[i % rems.length]![0];
    out.set(k, out.get(k)! + 1);
  }
  return out;
}

/**
 * Generates a fleet deterministically from generator keys: tasks split evenly over clusters, by network-mode weight,
 * then over services; containers opt in with PROMETHEUS=true by family; every address inside 127.0.0.0/8.
 */
export function generateFleet(g: GenerateSpec, base?: Fleet): FleetSpec {
  const prng = new Prng((g.seed ?? 1) ^ 0x6e6e);
  const clusters = g.clusters ?? 2;
  const tasks = g.tasks ?? 50;
  const weights = parseNetworkModes(g.networkModes ?? DEFAULT_NETWORK_MODES);
  if (Array.isArray(weights)) throw new FleetError(weights.map((p) => `generate.${p}`));
  for (const [m, w] of weights) if (w === 0) weights.delete(m);
  const modes = [...weights.keys()];
  const familiesWanted = Math.max(g.taskDefinitions ?? 10, modes.length);
  const familiesPerMode = splitWeighted(familiesWanted - modes.length, weights);
  const optedIn = g.optedIn ?? 0.8;
  const standalone = g.standalone ?? 0.1;
  const servicesTotal = g.services ?? Math.max(clusters, Math.round(tasks / 10));

  // Task definitions: per mode, a few families; opted-in by family index so the fraction holds per mode.
  const families = new Map<Mode, { family: string; port: number }[]>();
  const taskDefinitions: NonNullable<FleetSpec['taskDefinitions']> = [];
  let famIndex = 0;
  for (const m of modes) {
    const n = 1 + (familiesPerMode.get(m) ?? 0);
    const list: { family: string; port: number }[] = [];
    for (let i = 0; i < n; i++) {
      const family = `gen-${m}-${i}`;
      const port = 9100 + famIndex++;
      const opted = (i + 0.5) / n <= optedIn;
      const env: Record<string, string> = { APP: family };
      if (opted) {
        env['PROMETHEUS'] = 'true';
        env['PROMETHEUS_PORT'] = String(port);
        env['PROMETHEUS_ENDPOINT'] = '/metrics';
      }
      taskDefinitions.push({
        family,
        networkMode: m === 'fargate' ? 'awsvpc' : m,
        ...(m === 'fargate'
          ? { requiresCompatibilities: ['FARGATE' as const], cpu: '256', memory: '512' }
          : {}),
        tags: { generator: 'ecs-sim' },
        containerDefinitions: [
          {
            name: 'app',
            image: `example/${family}:1`,
            cpu: 128,
            memory: 256,
            portMappings: m === 'none' ? [] : [{ containerPort: port }],
            environment: env,
            dockerLabels: opted ? { PROMETHEUS_EXPORTER_PORT: String(port) } : {},
          },
          {
            name: 'sidecar',
            image: 'example/log-router:1',
            cpu: 32,
            memory: 64,
            environment: { ROLE: 'sidecar' },
          },
        ],
      });
      list.push({ family, port });
    }
    families.set(m, list);
  }

  const taskSplit = split(tasks, clusters);
  const serviceSplit = split(servicesTotal, clusters);
  const out: NonNullable<FleetSpec['clusters']> = [];
  for (let c = 0; c < clusters; c++) {
    const arnFormat = g.arnFormat === 'mixed' ? (c % 2 === 0 ? 'long' : 'short') : (g.arnFormat ?? 'long');
    const perMode = splitWeighted(taskSplit[c]!, weights);
    const svcPerMode = splitWeighted(serviceSplit[c]!, weights);
    const services: NonNullable<NonNullable<FleetSpec['clusters']>[number]['services']> = [];
    const standaloneTasks: NonNullable<NonNullable<FleetSpec['clusters']>[number]['tasks']> = [];
    let ec2Tasks = 0;
    let maxHostFamily = 0;
    let needsHosts = false;
    for (const m of modes) {
      const n = perMode.get(m) ?? 0;
      const fams = families.get(m)!;
      const alone = Math.min(n, Math.round(n * standalone));
      let svcCount = svcPerMode.get(m) ?? 0;
      const inServices = n - alone;
      if (inServices > 0 && svcCount === 0) svcCount = 1;
      const perSvc = split(inServices, Math.max(1, svcCount));
      const byFamily = new Map<string, number>();
      for (let s = 0; s < svcCount; s++) {
        const fam = fams[s % fams.length]!;
        services.push({
          name: `svc-${m}-${s}`,
          taskDefinition: fam.family,
          desiredCount: perSvc[s] ?? 0,
          ...(m === 'fargate' ? { launchType: 'FARGATE' as const } : {}),
          tags: { generator: 'ecs-sim' },
        });
        byFamily.set(fam.family, (byFamily.get(fam.family) ?? 0) + (perSvc[s] ?? 0));
      }
      const aloneSplit = split(alone, Math.min(fams.length, Math.max(1, alone)));
      aloneSplit.forEach((count, i) => {
        if (count === 0) return;
        const fam = fams[i % fams.length]!;
        standaloneTasks.push({
          taskDefinition: fam.family,
          count,
          ...(m === 'fargate' ? { launchType: 'FARGATE' as const } : {}),
        });
        byFamily.set(fam.family, (byFamily.get(fam.family) ?? 0) + count);
      });
      if (m !== 'fargate') {
        ec2Tasks += n;
        if (svcCount > 0 || alone > 0) needsHosts = true;
      }
      if (m === 'host') for (const v of byFamily.values()) maxHostFamily = Math.max(maxHostFamily, v);
    }
    const hostsWanted = split(g.hosts ?? 0, clusters)[c]!;
    const hosts = needsHosts
      ? Math.max(hostsWanted, Math.ceil(ec2Tasks / 40), maxHostFamily, 1)
      : hostsWanted;
    const external = g.external ?? 0;
    out.push({
      name: `cluster-${c}`,
      arnFormat,
      tags: { generator: 'ecs-sim', index: String(c) },
      instances: [
        ...(hosts > 0
          ? [
              {
                count: hosts,
                launchType: 'EC2' as const,
                instanceType: 'm5.large',
                tags: { role: 'generated' },
              },
            ]
          : []),
        ...(external > 0 ? [{ count: external, launchType: 'EXTERNAL' as const }] : []),
      ],
      services,
      tasks: standaloneTasks,
    });
  }
  void prng;
  // Merge with a base fleet: generated clusters and families are added to the default account.
  const existingFamilies = new Set((base?.taskDefinitions ?? []).map((t) => t.family));
  const existingClusters = new Set((base?.clusters ?? []).map((c) => c.name));
  return {
    ...(base?.region ? { region: base.region } : {}),
    ...(base?.accountId ? { accountId: base.accountId } : {}),
    taskDefinitions: taskDefinitions.filter((t) => !existingFamilies.has(t.family)),
    clusters: out.filter((c) => !existingClusters.has(c.name)),
  };
}
