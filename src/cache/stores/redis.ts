// Redis store over ioredis: values under `<prefix>`, expiry with PX, bulk reads
// with MGET, namespace clear with SCAN + UNLINK. ioredis is loaded only when used.
import type { Redis, RedisOptions } from 'ioredis';
import type { CacheStore, StoreEntry, StoreStats } from '../cache-types.js';
import { CacheUnavailableError } from '../errors.js';

export interface RedisStoreOptions {
  /** redis:// URL; ignored when `client` is given. */
  url?: string;
  /** An existing client to share (not closed by the store). */
  client?: Redis;
  /** Key prefix isolating this cache, e.g. `strata:cache:`. */
  prefix?: string;
  redis?: RedisOptions;
}

export async function redisStore(options: RedisStoreOptions = {}): Promise<RedisStore> {
  let client = options.client;
  const owned = client === undefined;
  if (!client) {
    const { Redis: RedisClient } = await import('ioredis');
    client = new RedisClient(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2, ...options.redis });
  }
  return new RedisStore(client, options.prefix ?? 'strata:cache:', owned);
}

export class RedisStore implements CacheStore {
  readonly kind = 'redis';

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly owned: boolean,
  ) {}

  get(key: string): Promise<Buffer | undefined> {
    return this.client.getBuffer(this.prefix + key).then(
      (b) => b ?? undefined,
      (err) => Promise.reject(new CacheUnavailableError(undefined, err)),
    );
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    if (keys.length === 1) return [await this.get(keys[0])];
    const out = await this.call(() => this.client.mgetBuffer(...keys.map((k) => this.prefix + k)));
    return out.map((b) => b ?? undefined);
  }

  set(key: string, value: Buffer, ttlMs?: number): Promise<void> {
    const p = ttlMs ? this.client.set(this.prefix + key, value, 'PX', Math.ceil(ttlMs)) : this.client.set(this.prefix + key, value);
    return p.then(
      () => undefined,
      (err) => Promise.reject(new CacheUnavailableError(undefined, err)),
    );
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (entries.length === 1) return this.set(entries[0].key, entries[0].value, entries[0].ttlMs);
    const p = this.client.pipeline();
    for (const e of entries) {
      if (e.ttlMs) p.set(this.prefix + e.key, e.value, 'PX', Math.ceil(e.ttlMs));
      else p.set(this.prefix + e.key, e.value);
    }
    const res = await this.call(() => p.exec());
    for (const [err] of res ?? []) if (err) throw new CacheUnavailableError(undefined, err);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.call(() => this.client.del(this.prefix + key))) > 0;
  }

  async clear(): Promise<void> {
    const match = this.prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
    let cursor = '0';
    do {
      const [next, keys] = await this.call(() => this.client.scan(cursor, 'MATCH', match, 'COUNT', 500));
      if (keys.length > 0) await this.call(() => this.client.unlink(...keys));
      cursor = next;
    } while (cursor !== '0');
  }

  async stats(): Promise<StoreStats> {
    // Redis counts evictions server-wide only; per-namespace size would need a full SCAN.
    const info = await this.call(() => this.client.info('stats'));
    const m = /evicted_keys:(\d+)/.exec(info);
    return { evictions: m ? Number(m[1]) : 0 };
  }

  async close(): Promise<void> {
    if (this.owned) await this.client.quit().catch(() => this.client.disconnect());
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new CacheUnavailableError(undefined, err);
    }
  }
}
