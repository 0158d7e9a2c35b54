// Runs the one store contract against every cache store, on the real Redis and Memcached.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import type { InvalidationChannel } from './cache-types.js';
import { cacheStoreContract } from './store.contract.js';
import { diskStore } from './stores/disk.js';
import { memcachedStore } from './stores/memcached.js';
import { memoryStore } from './stores/memory.js';
import { redisStore } from './stores/redis.js';
import { tieredStore } from './stores/tiered.js';
import { unreachable } from './testing.js';

const run = randomBytes(4).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'strata-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function emitterChannel(ee: EventEmitter): InvalidationChannel {
  return {
    publish: (keys) => void ee.emit('inv', keys),
    subscribe: (fn) => {
      ee.on('inv', fn);
      return () => ee.off('inv', fn);
    },
  };
}

const redisDown = await unreachable(6379);
const memcachedDown = await unreachable(11211);

cacheStoreContract('memory', { make: async () => memoryStore({ maxBytes: 8 << 20 }) });

cacheStoreContract('disk', {
  make: () => diskStore({ dir: join(dir, 'a'), maxBytes: 8 << 20 }),
  sibling: () => diskStore({ dir: join(dir, 'a'), maxBytes: 8 << 20 }),
  neighbour: () => diskStore({ dir: join(dir, 'b'), maxBytes: 8 << 20 }),
});

cacheStoreContract('redis', {
  skip: redisDown,
  make: () => redisStore({ prefix: `test:${run}:a:` }),
  sibling: () => redisStore({ prefix: `test:${run}:a:` }),
  neighbour: () => redisStore({ prefix: `test:${run}:b:` }),
});

cacheStoreContract('memcached', {
  skip: memcachedDown,
  make: () => memcachedStore({ prefix: `t${run}a:` }),
  sibling: () => memcachedStore({ prefix: `t${run}a:` }),
  neighbour: () => memcachedStore({ prefix: `t${run}b:` }),
});

const bus = new EventEmitter();
cacheStoreContract('tiered (memory in front of redis, invalidation over a channel)', {
  skip: redisDown,
  make: async () => tieredStore({ back: await redisStore({ prefix: `test:${run}:t:` }), channel: emitterChannel(bus) }),
  sibling: async () => tieredStore({ back: await redisStore({ prefix: `test:${run}:t:` }), channel: emitterChannel(bus) }),
  neighbour: async () => tieredStore({ back: await redisStore({ prefix: `test:${run}:u:` }), channel: emitterChannel(new EventEmitter()) }),
});

cacheStoreContract('tiered (memory in front of disk)', {
  make: async () => tieredStore({ back: await diskStore({ dir: join(dir, 't'), maxBytes: 8 << 20 }) }),
});
