// Balancer registry: a policy chosen by its config name.
import type { Balancer, BalanceTarget } from './balancer.js';
import { roundRobin } from './round-robin.js';
import { weightedRoundRobin } from './weighted-round-robin.js';
import { leastConnections } from './least-connections.js';
import { randomTwoChoices } from './random-two-choices.js';
import { consistentHash } from './consistent-hash.js';

export type { Balancer, BalanceTarget } from './balancer.js';
export const BALANCER_NAMES = ['round-robin', 'weighted-round-robin', 'least-connections', 'random-two-choices', 'consistent-hash'] as const;
export type BalancerName = (typeof BALANCER_NAMES)[number];

export function createBalancer(name: BalancerName, upstreams: readonly BalanceTarget[]): Balancer {
  switch (name) {
    case 'round-robin':
      return roundRobin();
    case 'weighted-round-robin':
      return weightedRoundRobin();
    case 'least-connections':
      return leastConnections();
    case 'random-two-choices':
      return randomTwoChoices();
    case 'consistent-hash':
      return consistentHash(upstreams);
  }
}
export { roundRobin, weightedRoundRobin, leastConnections, randomTwoChoices, consistentHash };
