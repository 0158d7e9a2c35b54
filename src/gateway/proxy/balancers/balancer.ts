// The load-balancing policy contract: pure selection over candidate upstreams (no I/O).

/** What a policy may look at: identity, configured weight and in-flight requests. */
export interface BalanceTarget {
  readonly id: string;
  readonly weight: number;
  readonly active: number;
}

export interface Balancer {
  readonly name: string;
  /**
   * Choose one of `candidates` (healthy, not yet tried for this request). `key` is the
   * affinity key for hashing policies (client IP, header or cookie value); others ignore it.
   */
  pick<T extends BalanceTarget>(candidates: readonly T[], key?: string): T | undefined;
}

/** 32-bit FNV-1a: fast, well spread for short keys, stable across processes. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (from murmur3's fmix32) so nearby keys land far apart on the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
