const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A seeded PRNG (mulberry32): every id, address and fault decision derives from it so runs are reproducible. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 0x9e3779b9;
  }
  /** A uniformly distributed 32-bit unsigned integer. */
  nextU32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** `n` lowercase hex characters. */
  hex(n: number): string {
    let out = '';
    while (out.length < n) {
      const v = this.nextU32();
      out += HEX[v >>> 24]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
    }
    return out.length === n ? out : out.slice(0, n);
  }
  /** A random RFC 4122 v4-shaped UUID. */
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  /** Digits only, e.g. for the `ecs-svc/` deployment id. */
  digits(n: number): string {
    let out = '';
    while (out.length < n) out += String(this.nextU32() % 10);
    return out;
  }
}
