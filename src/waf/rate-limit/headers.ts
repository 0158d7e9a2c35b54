// RateLimit-Policy and RateLimit response fields (IETF draft-ietf-httpapi-ratelimit-headers,
// structured-field form: `"name";q=100;w=60` and `"name";r=42;t=17`).
import type { RateDecision } from './algorithms.js';
import type { RatePolicy } from './store.js';

const sfString = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;

export function rateLimitPolicyHeader(policies: readonly RatePolicy[]): string {
  return policies.map((p) => `${sfString(p.name)};q=${p.limit};w=${p.windowSeconds}`).join(', ');
}

export function rateLimitHeader(policy: RatePolicy, d: RateDecision): string {
  return `${sfString(policy.name)};r=${d.remaining};t=${d.resetSeconds}`;
}
