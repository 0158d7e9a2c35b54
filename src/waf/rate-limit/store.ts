// The rate-limit store contract: one atomic "consume one request" per key and policy.
import type { RateDecision } from './algorithms.js';

export interface RatePolicy {
  name: string;
  algorithm: 'token-bucket' | 'sliding-window';
  limit: number;
  windowSeconds: number;
}

export interface RateLimitStore {
  readonly name: string;
  /** Consumes one request from `key` under `policy`, atomically; `now` (ms) is for tests, stores may use their own clock. */
  consume(key: string, policy: RatePolicy, now?: number): Promise<RateDecision>;
  close?(): Promise<void>;
}
