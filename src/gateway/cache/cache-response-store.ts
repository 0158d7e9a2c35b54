// A ResponseStore over the cache capability's Cache (memory, disk, Redis, Memcached or
// tiered stores): entries are msgpack-encoded by the Cache, tags map to its tag stamps.
import { createHash } from 'node:crypto';
import type { Cache } from '../../cache/index.js';
import type { ResponseStore, StoreValue } from './response-store.js';

export interface CacheResponseStoreOptions {
  /** Key and tag namespace inside the shared cache. Default `gw:`. */
  prefix?: string;
}

/**
 * @param cache the Cache, or a getter for one that exists only after the cache component started.
 * @example
 * createGateway({ config, store: cacheResponseStore(() => cacheComponent.cache) });
 */
export function cacheResponseStore(cache: Cache | (() => Cache), o: CacheResponseStoreOptions = {}): ResponseStore {
  const prefix = o.prefix ?? 'gw:';
  const get = typeof cache === 'function' ? cache : () => cache;
  // The Cache takes keys and tags of at most 1024 characters: long URLs are hashed.
  const name = (k: string) => {
    const full = prefix + k;
    return full.length <= 512 ? full : `${prefix}#${createHash('sha256').update(k).digest('base64url')}`;
  };
  return {
    get: (key) => get().get<StoreValue>(name(key)),
    async set(key, value, { ttlMs, tags }) {
      const v: StoreValue = 'body' in value ? { ...value, body: Buffer.from(value.body) } : value;
      await get().set(name(key), v, { ttl: Math.max(1, Math.ceil(ttlMs)), tags: tags.map(name) });
    },
    delete: (key) => get().delete(name(key)),
    async deleteByTag(tag) {
      // Tag invalidation is a stamp: effective everywhere at once, but uncounted.
      await get().invalidateTag(name(tag));
      return undefined;
    },
  };
}
