/** @module Cache: one typed Cache (TTL, tags, single-flight, bulk, stats) over memory, disk, Redis, Memcached or tiered stores. */
import type { Component } from '../core/index.js';
import { createCache, type CacheOptions } from './cache.js';
import type { Cache, InvalidationChannel } from './cache-types.js';
import { createStore, type CacheConfig } from './store-factory.js';
import { enginesOrOwn, type Engines } from '../engines/index.js';

export type { Cache, CacheStats, CacheStore, InvalidationChannel, SetOptions, StoreEntry, StoreStats } from './cache-types.js';
export { createCache, type CacheOptions } from './cache.js';
export { CacheUnavailableError } from './errors.js';
export { memoryStore, MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export { diskStore, DiskStore, type DiskStoreOptions } from './stores/disk.js';
export { redisStore, RedisStore, type RedisStoreOptions } from './stores/redis.js';
export { memcachedStore, MemcachedStore, type MemcachedStoreOptions } from './stores/memcached.js';
export { tieredStore, TieredStore, type TieredStoreOptions } from './stores/tiered.js';
export { createStore, type CacheConfig, type StoreDeps } from './store-factory.js';

/** The shape of an event bus the cache needs to reach other instances (the messaging Bus satisfies it). */
export interface BusLike {
  publish(topic: string, payload: unknown): Promise<void> | void;
  subscribe(pattern: string, handler: (payload: unknown, topic: string) => void): Promise<() => Promise<void> | void> | (() => void);
}

/** An InvalidationChannel over an event bus topic (default `cache.invalidate`). */
export function busInvalidation(bus: BusLike, topic = 'cache.invalidate'): InvalidationChannel {
  return {
    publish: (keys) => bus.publish(topic, { keys }),
    subscribe: (listener) => {
      const off = bus.subscribe(topic, (payload) => {
        const keys = (payload as { keys?: unknown })?.keys;
        if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) listener(keys);
      });
      return () => void Promise.resolve(off).then((f) => f());
    },
  };
}

/**
 * The cache as a Component for the composition root.
 *
 * @example
 * // With the tiered store, start messaging first and hand the bus over lazily:
 * const cache = cacheComponent(config.cache, { dataDir: config.dataDir, channel: () => busInvalidation(messaging.bus) });
 * await cache.start(); await cache.cache.set('k', 1, { ttl: 1000 });
 */
export function cacheComponent(
  config: CacheConfig,
  deps: {
    dataDir: string;
    channel?: InvalidationChannel | (() => InvalidationChannel | undefined);
    /** Shared engine clients (the composition root's); without it, the cache opens its own and closes them. */
    engines?: Engines;
  } & CacheOptions,
): Component & { readonly cache: Cache } {
  let cache: Cache | undefined;
  let engines: ReturnType<typeof enginesOrOwn> | undefined;
  return {
    name: 'cache',
    get cache(): Cache {
      if (!cache) throw new Error('cache used before start()');
      return cache;
    },
    async start() {
      // A function defers the channel to start(), so the bus may be started after this component is built.
      const channel = typeof deps.channel === 'function' ? deps.channel() : deps.channel;
      const e = enginesOrOwn(deps.engines);
      const store = await createStore(config, { dataDir: deps.dataDir, channel, engines: e.engines }).catch(async (err: unknown) => {
        await e.release();
        throw err;
      });
      engines = e;
      cache = createCache(store, { defaultTtl: config.defaultTtl, now: deps.now });
    },
    async stop() {
      await cache?.close();
      await engines?.release();
      cache = undefined;
      engines = undefined;
    },
    ready: () => cache !== undefined,
  };
}
