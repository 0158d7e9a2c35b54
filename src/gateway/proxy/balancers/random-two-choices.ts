// Power of two random choices (Mitzenmacher): sample two, keep the less loaded one.
import type { Balancer } from './balancer.js';

export function randomTwoChoices(random: () => number = Math.random): Balancer {
  return {
    name: 'random-two-choices',
    pick(candidates) {
      const n = candidates.length;
      if (n <= 1) return candidates[0];
      const i = Math.floor(random() * n);
      let j = Math.floor(random() * (n - 1));
      if (j >= i) j++;
      const a = candidates[i];
      const b = candidates[j];
      return a.active / Math.max(a.weight, 1e-9) <= b.active / Math.max(b.weight, 1e-9) ? a : b;
    },
  };
}
