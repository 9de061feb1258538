/**
 * Who scrapes what, as the store and as ecs-sd see it: per pool, each target (`instance`) and the
 * members (`scraper`) whose samples of it reached VictoriaMetrics lately, or whose http_sd share
 * holds it; and the checks of the issue on those maps (coverage, replication, movement).
 */
import { getJson } from '@ecs-sd/testkit';
import { queryStore } from './pools-scrapers.ts';

/** instance → the members that scrape it. */
export type Owners = Map<string, Set<string>>;

/**
 * The members whose successful scrapes (`up == 1`) of each target of `pool` reached the store in the
 * last `windowS` seconds.
 */
export async function storeOwners(storeUrl: string, pool: string, windowS: number): Promise<Owners> {
  const result = await queryStore(
    storeUrl,
    `count by (instance, scraper) (max_over_time(up{pool="${pool}"}[${windowS}s]) == 1)`,
  );
  const owners: Owners = new Map();
  for (const { metric } of result) {
    const instance = metric['instance'];
    const scraper = metric['scraper'];
    if (instance === undefined || scraper === undefined) continue;
    const set = owners.get(instance) ?? new Set<string>();
    set.add(scraper);
    owners.set(instance, set);
  }
  return owners;
}

/** One target of an http_sd answer. */
interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** What ecs-sd tells each member of `pool` to scrape: its http_sd share, asked as the member asks. */
export async function sdOwners(sdUrl: string, pool: string, members: readonly string[]): Promise<Owners> {
  const owners: Owners = new Map();
  for (const member of members) {
    const groups = await getJson<TargetGroup[]>(
      `${sdUrl}/http-sd?pool=${encodeURIComponent(pool)}&member=${encodeURIComponent(member)}`,
    );
    for (const group of groups) {
      for (const instance of group.targets) {
        const set = owners.get(instance) ?? new Set<string>();
        set.add(member);
        owners.set(instance, set);
      }
    }
  }
  return owners;
}

/**
 * Why `owners` is not `replication` live members per expected target, one line per problem (at most
 * `limit`), or [] when it is: a missing target, one scraped by too few or too many, by a member that
 * is not live, a live member that scrapes nothing (not yet in the pool: with many more targets than
 * members, each member has a share), or a target that should not be there.
 */
export function coverageProblems(
  owners: Owners,
  expected: readonly string[],
  replication: number,
  live: readonly string[],
  limit = 5,
): string[] {
  const problems: string[] = [];
  const liveSet = new Set(live);
  const want = Math.min(replication, live.length);
  for (const instance of expected) {
    const scrapers = [...(owners.get(instance) ?? [])].sort();
    const dead = scrapers.filter((s) => !liveSet.has(s));
    if (scrapers.length === 0) problems.push(`${instance} is scraped by no member`);
    else if (dead.length > 0)
      problems.push(`${instance} is scraped by ${dead.join(', ')}, not a live member`);
    else if (scrapers.length !== want) {
      problems.push(
        `${instance} is scraped by ${scrapers.length} members (${scrapers.join(', ')}), expected ${want}`,
      );
    }
  }
  const scraping = new Set([...owners.values()].flatMap((set) => [...set]));
  for (const member of live) {
    if (!scraping.has(member)) problems.push(`member ${member} scrapes nothing`);
  }
  const expectedSet = new Set(expected);
  for (const instance of owners.keys()) {
    if (!expectedSet.has(instance)) problems.push(`${instance} is scraped but is no expected target`);
  }
  return problems.length > limit
    ? [...problems.slice(0, limit), `… ${problems.length - limit} more`]
    : problems;
}

/** Lines where two ownership maps differ (at most `limit`), [] when they are equal. */
export function ownersDiffer(a: Owners, b: Owners, aName: string, bName: string, limit = 5): string[] {
  const out: string[] = [];
  for (const instance of new Set([...a.keys(), ...b.keys()])) {
    const x = [...(a.get(instance) ?? [])].sort().join(',');
    const y = [...(b.get(instance) ?? [])].sort().join(',');
    if (x !== y) out.push(`${instance}: ${aName} [${x}], ${bName} [${y}]`);
  }
  return out.length > limit ? [...out.slice(0, limit), `… ${out.length - limit} more`] : out;
}

/** Assignments (target, member) of `after` that `before` did not have, and all assignments of `after`. */
export function movedAssignments(before: Owners, after: Owners): { moved: number; total: number } {
  let moved = 0;
  let total = 0;
  for (const [instance, members] of after) {
    for (const member of members) {
      total++;
      if (!before.get(instance)?.has(member)) moved++;
    }
  }
  return { moved, total };
}

/** Members of `after` per target that `before` did not have: who took each target over. */
export function newOwners(before: Owners, after: Owners): Owners {
  const out: Owners = new Map();
  for (const [instance, members] of after) {
    const added = [...members].filter((m) => !before.get(instance)?.has(m));
    if (added.length > 0) out.set(instance, new Set(added));
  }
  return out;
}

/**
 * When each member first scraped each target of `pool` at or after `sinceMs` (epoch ms), from the
 * raw samples' own timestamps (scrape time, not arrival; `/api/v1/export`): `instance` → `scraper` → ms.
 */
export async function firstScrapes(
  storeUrl: string,
  pool: string,
  sinceMs: number,
): Promise<Map<string, Map<string, number>>> {
  const match = encodeURIComponent(`up{pool="${pool}"}`);
  const res = await fetch(`${storeUrl}/api/v1/export?match[]=${match}&start=${Math.floor(sinceMs / 1000)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`export up{pool="${pool}"}: HTTP ${res.status}: ${text}`);
  const out = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const series = JSON.parse(line) as { metric: Record<string, string>; timestamps: number[] };
    const instance = series.metric['instance'];
    const scraper = series.metric['scraper'];
    const first = series.timestamps.filter((ms) => ms >= sinceMs).sort((a, b) => a - b)[0];
    if (instance === undefined || scraper === undefined || first === undefined) continue;
    const perScraper = out.get(instance) ?? new Map<string, number>();
    perScraper.set(scraper, Math.min(first, perScraper.get(scraper) ?? first));
    out.set(instance, perScraper);
  }
  return out;
}

/** The `instance` of each active target of `pool` (its `pool` label) in a scraper's own targets API. */
export async function activeInstances(scraperUrl: string, pool: string): Promise<Set<string>> {
  const body = await getJson<{ data: { activeTargets: { labels: Record<string, string> }[] } }>(
    `${scraperUrl}/api/v1/targets?state=active`,
  );
  return new Set(
    body.data.activeTargets
      .filter((target) => target.labels['pool'] === pool)
      .map((target) => target.labels['instance'] ?? ''),
  );
}
