// Builds the configured CacheStore; the Redis and Memcached stores use the engines registry's
// shared client (the registry imports ioredis / memjs only when asked).
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { CacheSchema } from '../config/schema-cache.js';
import type { Engines } from '../engines/index.js';
import type { CacheStore, InvalidationChannel } from './cache-types.js';

export type CacheConfig = Static<typeof CacheSchema>;

export interface StoreDeps {
  dataDir: string;
  channel?: InvalidationChannel;
  engines: Pick<Engines, 'redis' | 'memcached'>;
}

export async function createStore(config: CacheConfig, deps: StoreDeps): Promise<CacheStore> {
  return build(config.store, config, deps);
}

async function build(name: string, config: CacheConfig, deps: StoreDeps): Promise<CacheStore> {
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
      return redisStore({ client: await deps.engines.redis('commands'), prefix: config.redis.prefix });
    }
    case 'memcached': {
      const { memcachedStore } = await import('./stores/memcached.js');
      return memcachedStore({ client: await deps.engines.memcached(), prefix: config.memcached.prefix });
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
