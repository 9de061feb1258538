/**
 * Which pool members scrape a target: rendezvous (highest-random-weight) hashing. Every member
 * gets a weight per target from a stable hash of both; the target goes to the `replication`
 * members of highest weight. Pure and deterministic: two ecs-sd replicas with the same members
 * give the same answer without talking to each other, and adding or removing one member of N
 * moves only the targets it wins or held (about 1/N).
 */

/**
 * FNV-1a (32-bit) over a string's UTF-16 code units: stable across processes, versions and hosts
 * (no seed), and without encoding the string first, as it runs once per target per assignment.
 */
export function stableHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < value.length; at++) {
    const unit = value.charCodeAt(at);
    hash ^= unit & 0xff;
    hash = Math.imul(hash, 0x01000193);
    hash ^= unit >>> 8;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** MurmurHash3's finaliser: a bijection of 32-bit integers whose every input bit changes half the output bits. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Members prepared once per assignment: sorted by id (ties go to the smaller id) with their hashes. */
export interface MemberHashes {
  ids: readonly string[];
  hashes: Uint32Array;
}

/** Sorts and hashes members once, for many `assignTarget` calls; duplicates count once. */
export function prepareMembers(members: Iterable<string>): MemberHashes {
  const ids = [...new Set(members)].sort();
  const hashes = new Uint32Array(ids.length);
  ids.forEach((id, index) => {
    hashes[index] = mix32(stableHash(id) ^ 0x9e3779b9);
  });
  return { ids, hashes };
}

/** The weight of a member for a target: high weight wins. */
function weight(targetHash: number, memberHash: number): number {
  return mix32(targetHash ^ memberHash);
}

/**
 * The members (ids, highest weight first) that scrape the target of this identity: `replication`
 * of them, or every member when there are fewer; none when the pool has no members.
 */
export function assignTarget(identity: string, members: MemberHashes, replication: number): string[] {
  const count = Math.min(Math.max(1, Math.floor(replication)), members.ids.length);
  if (count === 0) return [];
  const targetHash = mix32(stableHash(identity));
  if (count === 1) {
    let best = 0;
    let bestWeight = -1;
    for (let index = 0; index < members.ids.length; index++) {
      const w = weight(targetHash, members.hashes[index]!);
      if (w > bestWeight) {
        best = index;
        bestWeight = w;
      }
    }
    return [members.ids[best]!];
  }
  const ranked = members.ids.map((id, index) => ({ id, w: weight(targetHash, members.hashes[index]!) }));
  ranked.sort((a, b) => b.w - a.w || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return ranked.slice(0, count).map((entry) => entry.id);
}

/** The assignment of many targets at once: identity → its members, highest weight first. */
export function assignAll(
  identities: Iterable<string>,
  members: Iterable<string>,
  replication: number,
): Map<string, string[]> {
  const prepared = prepareMembers(members);
  const out = new Map<string, string[]>();
  for (const identity of identities) out.set(identity, assignTarget(identity, prepared, replication));
  return out;
}
