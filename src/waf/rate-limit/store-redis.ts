// Redis rate-limit store: each consume is one Lua script (atomic on the server, using
// Redis TIME as the shared clock) so N Strata instances enforce one limit together.
// ioredis is loaded on demand.
import type { Redis as RedisClient } from 'ioredis';
import type { RateLimitStore, RatePolicy } from './store.js';
import { slidingWindowDecision, tokenBucketDecision, type RateDecision } from './algorithms.js';

const NOW = `local now
if ARGV[3] and ARGV[3] ~= '' then now = tonumber(ARGV[3]) else local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
`;

const TOKEN_BUCKET = `${NOW}
local rate = limit / window
local s = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(s[1])
local ts = tonumber(s[2])
if tokens == nil or ts == nil then tokens = limit; ts = now end
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
tokens = math.min(limit, tokens + elapsed * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], window * 2)
return { allowed, tostring(tokens), tostring(now) }`;

const SLIDING_WINDOW = `${NOW}
local w = math.floor(now / window)
local s = redis.call('HMGET', KEYS[1], 'w', 'cur', 'prev')
local sw = tonumber(s[1])
local cur = tonumber(s[2]) or 0
local prev = tonumber(s[3]) or 0
if sw == nil then cur = 0; prev = 0
elseif sw == w - 1 then prev = cur; cur = 0
elseif sw ~= w then prev = 0; cur = 0 end
local f = (now - w * window) / window
local est = prev * (1 - f) + cur
local allowed = 0
if est + 1 <= limit then cur = cur + 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'w', tostring(w), 'cur', tostring(cur), 'prev', tostring(prev))
redis.call('PEXPIRE', KEYS[1], window * 2)
return { allowed, tostring(cur), tostring(prev), tostring(now) }`;

type Scripted = RedisClient & {
  strataTokenBucket(key: string, limit: number, windowMs: number, now: string): Promise<[number, string, string]>;
  strataSlidingWindow(key: string, limit: number, windowMs: number, now: string): Promise<[number, string, string, string]>;
};

export interface RedisStoreOptions {
  url?: string;
  /** An existing client (not closed by the store). */
  client?: RedisClient;
  prefix?: string;
}

export async function redisRateStore(opts: RedisStoreOptions): Promise<RateLimitStore> {
  let owned = false;
  let client = opts.client;
  if (!client) {
    const { Redis } = await import('ioredis');
    client = new Redis(opts.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    owned = true;
  }
  client.defineCommand('strataTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET });
  client.defineCommand('strataSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
  const r = client as Scripted;
  const prefix = opts.prefix ?? 'strata:rl:';
  return {
    name: 'redis',
    async consume(key: string, policy: RatePolicy, now?: number): Promise<RateDecision> {
      const windowMs = policy.windowSeconds * 1000;
      const k = `${prefix}${policy.name}:${policy.algorithm === 'token-bucket' ? 'tb' : 'sw'}:${key}`;
      const n = now === undefined ? '' : String(now);
      if (policy.algorithm === 'token-bucket') {
        const [allowed, tokens] = await r.strataTokenBucket(k, policy.limit, windowMs, n);
        return tokenBucketDecision(Number(tokens), allowed === 1, policy.limit, windowMs);
      }
      const [allowed, cur, prev, at] = await r.strataSlidingWindow(k, policy.limit, windowMs, n);
      return slidingWindowDecision(Number(cur), Number(prev), Number(at), allowed === 1, policy.limit, windowMs);
    },
    async close() {
      if (owned) await r.quit().catch(() => undefined);
    },
  } satisfies RateLimitStore;
}
