// Redis AttemptStore, so login throttling holds across instances: one hash per key, updated in MULTI
// (HINCRBY + HSET + PEXPIRE); expiry is also checked against the caller's clock. ioredis is loaded on demand.
import type { Redis } from 'ioredis';
import type { AttemptState, AttemptStore } from './throttle-store.js';

export interface RedisAttemptStoreOptions {
  url?: string;
  /** An existing client to share (not closed by the store). */
  client?: Redis;
  prefix?: string;
  now?: () => number;
}

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
    async recordFailure(key: string, at: number, ttlMs: number): Promise<AttemptState> {
      const k = prefix + key;
      // A stale entry (expired by our clock, not yet by Redis') starts over.
      const exp = await redis.hget(k, 'e');
      const stale = exp !== null && Number(exp) <= now();
      const multi = redis.multi();
      if (stale) multi.del(k);
      multi.hincrby(k, 'f', 1).hset(k, 'l', String(at), 'e', String(at + ttlMs)).pexpire(k, Math.max(1, ttlMs));
      const res = await multi.exec();
      if (!res) throw new Error('redis transaction aborted');
      const incr = res[stale ? 1 : 0];
      if (incr[0]) throw incr[0];
      return { failures: Number(incr[1]), lastFailureAt: at };
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
