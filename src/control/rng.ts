/**
 * A small seeded random number generator (mulberry32) for fault probabilities: the same seed gives
 * the same sequence of draws, so a test that injects "30 % of requests" sees the same requests hit.
 */
export class SeededRandom {
  private state: number;
  readonly seed: number;

  constructor(seed?: number) {
    this.seed = seed === undefined ? Math.floor(Math.random() * 0x1_0000_0000) >>> 0 : seed >>> 0;
    this.state = this.seed;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** True with probability `p` (always for p ≥ 1, never for p ≤ 0, and then no draw is used). */
  chance(p: number): boolean {
    if (p >= 1) return true;
    if (p <= 0) return false;
    return this.next() < p;
  }
}
