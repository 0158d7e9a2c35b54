// Round robin: each candidate in turn.
import type { Balancer } from './balancer.js';

export function roundRobin(): Balancer {
  let next = 0;
  return {
    name: 'round-robin',
    pick(candidates) {
      if (candidates.length === 0) return undefined;
      const c = candidates[next % candidates.length];
      next = (next + 1) % 1_000_000_007;
      return c;
    },
  };
}
