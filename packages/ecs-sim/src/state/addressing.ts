/** Converts a dotted IPv4 address to an unsigned integer; returns undefined for anything else. */
export function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Converts an unsigned integer to a dotted IPv4 address. */
export const intToIpv4 = (n: number): string =>
  `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** A parsed IPv4 CIDR block. */
export interface Cidr4 {
  base: number;
  prefix: number;
  size: number;
}

/** Parses `a.b.c.d/n` (host bits must be zero); returns an error message naming the value otherwise. */
export function parseCidr4(cidr: string): Cidr4 | string {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const base = m ? ipv4ToInt(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : Number.NaN;
  if (!m || base === undefined || prefix < 8 || prefix > 28) {
    return `got ${JSON.stringify(cidr)}, expected an IPv4 CIDR block like 127.1.0.0/16 with a prefix from /8 to /28`;
  }
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return `got ${JSON.stringify(cidr)}, expected the host bits to be zero`;
  return { base, prefix, size };
}

/** Whether two CIDR blocks overlap. */
export const cidrOverlaps = (a: Cidr4, b: Cidr4): boolean =>
  a.base < b.base + b.size && b.base < a.base + a.size;

/** Allocates addresses in a subnet lowest-first, skipping the 4 first and the last address as AWS reserves them. */
export class IpAllocator {
  readonly cidr: Cidr4;
  readonly #used = new Set<number>();
  #cursor = 4;
  constructor(cidr: Cidr4) {
    this.cidr = cidr;
  }
  /** Next free offset, or undefined when the subnet is full. */
  allocate(): number | undefined {
    const limit = this.cidr.size - 1;
    for (let tries = 0; tries < limit; tries++) {
      if (this.#cursor >= limit) this.#cursor = 4;
      const off = this.#cursor++;
      if (!this.#used.has(off)) {
        this.#used.add(off);
        return off;
      }
    }
    return undefined;
  }
  /** The IPv4 address of an offset. */
  address(offset: number): string {
    return intToIpv4(this.cidr.base + offset);
  }
  /** Returns an offset to the pool. */
  release(offset: number): void {
    this.#used.delete(offset);
  }
  /** Number of free addresses left. */
  get available(): number {
    return this.cidr.size - 5 - this.#used.size;
  }
}

/** Builds the IPv6 address at `offset` inside an IPv6 /64 prefix like `fd00:1::/64`. */
export function ipv6At(prefix: string, offset: number): string {
  const base = prefix.split('/')[0]!.replace(/::$/, '').replace(/:$/, '');
  return `${base}::${offset.toString(16)}`;
}

/** The dynamic host port range ECS uses on container instances (ephemeral range 32768-60999). */
export const DYNAMIC_PORT_MIN = 32768;
/** Upper bound of the dynamic host port range. */
export const DYNAMIC_PORT_MAX = 60999;

/** Host ports of one container instance: static reservations and dynamic ports from 32768 upward, freed when a task stops. */
export class PortAllocator {
  readonly #used = new Set<number>();
  #cursor = DYNAMIC_PORT_MIN;
  /** Whether a static port is free. */
  isFree(port: number): boolean {
    return !this.#used.has(port);
  }
  /** Reserves a static port; false when taken. */
  reserve(port: number): boolean {
    if (this.#used.has(port)) return false;
    this.#used.add(port);
    return true;
  }
  /** Allocates the next free dynamic port, or undefined when the range is exhausted. */
  dynamic(): number | undefined {
    const span = DYNAMIC_PORT_MAX - DYNAMIC_PORT_MIN + 1;
    for (let i = 0; i < span; i++) {
      if (this.#cursor > DYNAMIC_PORT_MAX) this.#cursor = DYNAMIC_PORT_MIN;
      const p = this.#cursor++;
      if (!this.#used.has(p)) {
        this.#used.add(p);
        return p;
      }
    }
    return undefined;
  }
  /** Frees a port. */
  release(port: number): void {
    this.#used.delete(port);
  }
}
