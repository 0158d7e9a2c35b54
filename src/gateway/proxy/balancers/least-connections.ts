// Least connections: the candidate with the fewest in-flight requests per unit of weight;
// ties rotate so idle pools still spread load.
import type { Balancer } from './balancer.js';

export function leastConnections(): Balancer {
  let rotate = 0;
  return {
    name: 'least-connections',
    pick(candidates) {
      const n = candidates.length;
      if (n === 0) return undefined;
      rotate = (rotate + 1) % n;
      let best = candidates[rotate];
      let bestScore = best.active / Math.max(best.weight, 1e-9);
      for (let i = 1; i < n; i++) {
        const c = candidates[(rotate + i) % n];
        const score = c.active / Math.max(c.weight, 1e-9);
        if (score < bestScore) {
          best = c;
          bestScore = score;
        }
      }
      return best;
    },
  };
}
