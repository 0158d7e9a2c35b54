// In-process rate-limit store (one instance): an LRU-bounded map of algorithm states.
import { LRUCache } from 'lru-cache';
import type { RateLimitStore, RatePolicy } from './store.js';
import { slidingWindowDecision, slidingWindowStep, tokenBucketDecision, tokenBucketStep, type RateDecision, type SlidingWindowState, type TokenBucketState } from './algorithms.js';

export interface MemoryStoreOptions { maxKeys?: number; clock?: () => number }

export function memoryRateStore(opts: MemoryStoreOptions = {}): RateLimitStore {
  const states = new LRUCache<string, TokenBucketState | SlidingWindowState>({ max: opts.maxKeys ?? 100_000 });
  const clock = opts.clock ?? Date.now;
  return {
    name: 'memory',
    async consume(key: string, policy: RatePolicy, now = clock()): Promise<RateDecision> {
      const windowMs = policy.windowSeconds * 1000;
      const k = `${policy.name}\0${policy.algorithm}\0${key}`;
      if (policy.algorithm === 'token-bucket') {
        const { state, allowed } = tokenBucketStep(states.get(k) as TokenBucketState | undefined, policy.limit, windowMs, now);
        states.set(k, state, { ttl: windowMs * 2 });
        return tokenBucketDecision(state.tokens, allowed, policy.limit, windowMs);
      }
      const { state, allowed } = slidingWindowStep(states.get(k) as SlidingWindowState | undefined, policy.limit, windowMs, now);
      states.set(k, state, { ttl: windowMs * 2 });
      return slidingWindowDecision(state.current, state.previous, now, allowed, policy.limit, windowMs);
    },
  } satisfies RateLimitStore;
}
