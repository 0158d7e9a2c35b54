// Rate-limit algorithms as pure state transitions: token bucket (capacity `limit`,
// refilled over `window`) and the sliding-window counter (two fixed windows, the
// previous one weighted by how much of it still overlaps). Redis Lua mirrors these.

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left after this one (RateLimit `r`). */
  remaining: number;
  /** Seconds until the quota is fully available again (RateLimit `t`). */
  resetSeconds: number;
  /** When refused: whole seconds to wait (Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
}

export interface TokenBucketState { tokens: number; ts: number }
export interface SlidingWindowState { window: number; current: number; previous: number }

export function tokenBucketStep(s: TokenBucketState | undefined, limit: number, windowMs: number, now: number): { state: TokenBucketState; allowed: boolean } {
  const rate = limit / windowMs;
  let tokens = s === undefined ? limit : Math.min(limit, s.tokens + Math.max(0, now - s.ts) * rate);
  let allowed = false;
  if (tokens >= 1) { tokens -= 1; allowed = true; }
  return { state: { tokens, ts: now }, allowed };
}

export function tokenBucketDecision(tokens: number, allowed: boolean, limit: number, windowMs: number): RateDecision {
  const rate = limit / windowMs;
  return {
    allowed,
    limit,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((limit - tokens) / rate / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / rate / 1000)),
  };
}

export function slidingWindowStep(s: SlidingWindowState | undefined, limit: number, windowMs: number, now: number): { state: SlidingWindowState; allowed: boolean } {
  const w = Math.floor(now / windowMs);
  let current = 0, previous = 0;
  if (s !== undefined) {
    if (s.window === w) { current = s.current; previous = s.previous; }
    else if (s.window === w - 1) previous = s.current;
  }
  const f = (now - w * windowMs) / windowMs;
  const estimate = previous * (1 - f) + current;
  const allowed = estimate + 1 <= limit;
  if (allowed) current += 1;
  return { state: { window: w, current, previous }, allowed };
}

export function slidingWindowDecision(current: number, previous: number, now: number, allowed: boolean, limit: number, windowMs: number): RateDecision {
  const w = Math.floor(now / windowMs);
  const f = (now - w * windowMs) / windowMs;
  const estimate = previous * (1 - f) + current;
  const toWindowEnd = (1 - f) * windowMs;
  let retry = 0;
  if (!allowed) {
    // wait until previous*(1-f') + current + 1 <= limit, within this window or the next
    if (previous > 0 && current + 1 <= limit) {
      const fNeeded = 1 - (limit - 1 - current) / previous;
      retry = Math.max(0, (fNeeded - f) * windowMs);
    } else {
      const g = current > 0 ? Math.max(0, 1 - (limit - 1) / current) : 0;
      retry = toWindowEnd + g * windowMs;
    }
  }
  return {
    allowed,
    limit,
    remaining: Math.max(0, Math.floor(limit - estimate)),
    resetSeconds: Math.ceil((current > 0 ? toWindowEnd + windowMs : previous > 0 ? toWindowEnd : 0) / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retry / 1000)),
  };
}
