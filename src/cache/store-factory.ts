// Builds the configured CacheStore; engines (ioredis, memjs) are imported only when named.
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { CacheSchema } from '../config/schema-cache.js';
import type { CacheStore, InvalidationChannel } from './cache-types.js';

export type CacheConfig = Static<typeof CacheSchema>;

export async function createStore(config: CacheConfig, deps: { dataDir: string; channel?: InvalidationChannel }): Promise<CacheStore> {
  return build(config.store, config, deps);
}

async function build(name: string, config: CacheConfig, deps: { dataDir: string; channel?: InvalidationChannel }): Promise<CacheStore> {
  switch (name) {
    case 'memory': {
      const { memoryStore } = await import('./stores/memory.js');
      return memoryStore({ maxBytes: config.memory.maxBytes });
    }
    case 'disk': {
      const { diskStore } = await import('./stores/disk.js');
      return diskStore({ dir: config.disk.dir || join(deps.dataDir, 'cache'), maxBytes: config.disk.maxBytes, fsync: config.disk.fsync });
    }
    case 'redis': {
      const { redisStore } = await import('./stores/redis.js');
      return redisStore({ url: config.redis.url, prefix: config.redis.prefix });
    }
    case 'memcached': {
      const { memcachedStore } = await import('./stores/memcached.js');
      return memcachedStore({ servers: config.memcached.servers, prefix: config.memcached.prefix });
    }
    case 'tiered': {
      const { tieredStore } = await import('./stores/tiered.js');
      const back = await build(config.tiered.back, config, deps);
      return tieredStore({ back, frontBytes: config.tiered.frontBytes, frontTtlMs: config.tiered.frontTtl, channel: deps.channel });
    }
    default:
      throw new Error(`unknown cache store ${name}`);
  }
}
