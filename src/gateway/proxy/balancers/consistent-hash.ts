// Consistent hashing (Karger et al.) on a ring with virtual nodes per unit of weight:
// one key sticks to one upstream, and removing an upstream only moves that upstream's keys.
import { fnv1a, type Balancer, type BalanceTarget } from './balancer.js';
import { roundRobin } from './round-robin.js';

interface Ring {
  points: Uint32Array;
  owners: string[];
}

function buildRing(targets: readonly BalanceTarget[], vnodes: number): Ring {
  const entries: { h: number; id: string }[] = [];
  for (const t of targets) {
    const n = Math.max(1, Math.round(vnodes * Math.max(t.weight, 0.01)));
    for (let i = 0; i < n; i++) entries.push({ h: fnv1a(`${t.id}#${i}`), id: t.id });
  }
  entries.sort((a, b) => a.h - b.h);
  return { points: Uint32Array.from(entries.map((e) => e.h)), owners: entries.map((e) => e.id) };
}

/**
 * @param all every upstream of the pool: the ring is built once over all of them so an
 *   upstream leaving the candidate set (unhealthy) moves only its own keys.
 */
export function consistentHash(all: readonly BalanceTarget[], vnodes = 160): Balancer {
  const ring = buildRing(all, vnodes);
  const fallback = roundRobin();
  return {
    name: 'consistent-hash',
    pick(candidates, key) {
      if (candidates.length === 0) return undefined;
      if (key === undefined || key === '') return fallback.pick(candidates);
      const byId = new Map(candidates.map((c) => [c.id, c] as const));
      const h = fnv1a(key);
      // First ring point at or after h (binary search), then walk clockwise to a candidate.
      let lo = 0;
      let hi = ring.points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ring.points[mid] < h) lo = mid + 1;
        else hi = mid;
      }
      for (let i = 0; i < ring.owners.length; i++) {
        const c = byId.get(ring.owners[(lo + i) % ring.owners.length]);
        if (c) return c;
      }
      return fallback.pick(candidates);
    },
  };
}
