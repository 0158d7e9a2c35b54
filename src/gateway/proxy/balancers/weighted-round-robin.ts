// Smooth weighted round robin (the nginx algorithm): picks follow the weights and are
// interleaved (5:1:1 gives a a b a c a a), not bunched.
import type { Balancer } from './balancer.js';

export function weightedRoundRobin(): Balancer {
  const current = new Map<string, number>();
  return {
    name: 'weighted-round-robin',
    pick(candidates) {
      let best: (typeof candidates)[number] | undefined;
      let bestWeight = -Infinity;
      let total = 0;
      for (const c of candidates) {
        const w = Math.max(0, c.weight);
        total += w;
        const cw = (current.get(c.id) ?? 0) + w;
        current.set(c.id, cw);
        if (cw > bestWeight) {
          best = c;
          bestWeight = cw;
        }
      }
      if (best) current.set(best.id, bestWeight - total);
      return best;
    },
  };
}
