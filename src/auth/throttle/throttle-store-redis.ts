// Redis AttemptStore, so throttling holds across instances: one hash per key (f = count, l = latest attempt,
// e = expiry by the caller's clock), each operation one Lua script, so increments are atomic and ordered.
// ioredis is loaded on demand.
import type { Redis } from 'ioredis';
import type { AttemptState, AttemptStore, RecordedAttempt } from './throttle-store.js';

export interface RedisAttemptStoreOptions {
  url?: string;
  /** An existing client to share (not closed by the store). */
  client?: Redis;
  prefix?: string;
  now?: () => number;
}

// KEYS[1] = key; ARGV = now, at, ttlMs. A stale entry (expired by our clock, not yet by Redis') starts over.
const RECORD = `
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
local p = redis.call('HGET', KEYS[1], 'l')
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('HSET', KEYS[1], 'l', ARGV[2], 'e', tostring(tonumber(ARGV[2]) + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[3])))
return {f, p or ''}`;

const UNDO = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local f = redis.call('HINCRBY', KEYS[1], 'f', -1)
if f <= 0 then redis.call('DEL', KEYS[1]) end
return f`;

export async function createRedisAttemptStore(opts: RedisAttemptStoreOptions = {}): Promise<AttemptStore & { close(): Promise<void> }> {
  let client = opts.client;
  const owned = !client;
  if (!client) {
    const { Redis: RedisClient } = await import('ioredis');
    client = new RedisClient(opts.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2, lazyConnect: false });
  }
  const redis = client;
  const prefix = opts.prefix ?? 'strata:auth:throttle:';
  const now = opts.now ?? Date.now;

  const store = {
    async get(key: string): Promise<AttemptState | undefined> {
      const [failures, last, exp] = await redis.hmget(prefix + key, 'f', 'l', 'e');
      if (failures === null || last === null || exp === null || Number(exp) <= now()) return undefined;
      return { failures: Number(failures), lastFailureAt: Number(last) };
    },
    async recordFailure(key: string, at: number, ttlMs: number): Promise<RecordedAttempt> {
      const [f, p] = (await redis.eval(RECORD, 1, prefix + key, String(now()), String(at), String(Math.round(ttlMs)))) as [number, string];
      return { failures: Number(f), lastFailureAt: at, previousAt: p === '' ? null : Number(p) };
    },
    async undo(key: string) {
      await redis.eval(UNDO, 1, prefix + key);
    },
    async reset(key: string) {
      await redis.del(prefix + key);
    },
    async close() {
      if (owned) await redis.quit();
    },
  };
  return store satisfies AttemptStore;
}
