// Config section for the cache capability: which store, and each store's settings.
import { Type } from '@sinclair/typebox';

const Bytes = (def: number, description: string) => Type.Integer({ minimum: 1024, default: def, description });
const StoreName = (names: string[], def: string, description: string) =>
  Type.Union(names.map((n) => Type.Literal(n)), { default: def, description });

export const CacheSchema = Type.Object(
  {
    store: StoreName(['memory', 'disk', 'redis', 'memcached', 'tiered'], 'memory', 'Cache store: `memory`, `disk`, `redis`, `memcached`, or `tiered` (memory in front of `tiered.back`).'),
    defaultTtl: Type.Integer({ minimum: 0, default: 0, description: 'TTL in ms for writes that give none; 0 = no expiry.' }),
    memory: Type.Object(
      { maxBytes: Bytes(64 * 1024 * 1024, 'Bytes (keys + values) the memory store may hold; least recently used entries go first.') },
      { default: {}, additionalProperties: false },
    ),
    disk: Type.Object(
      {
        dir: Type.String({ default: '', description: 'Directory of the disk store; empty = `<dataDir>/cache`.' }),
        maxBytes: Bytes(256 * 1024 * 1024, 'Bytes the disk store may use.'),
        fsync: Type.Boolean({ default: false, description: 'fsync each entry before it becomes visible (survives power loss; slower).' }),
      },
      { default: {}, additionalProperties: false },
    ),
    redis: Type.Object(
      {
        prefix: Type.String({ default: 'strata:cache:', description: 'Key prefix isolating this cache in a shared Redis.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    memcached: Type.Object(
      {
        prefix: Type.String({ default: 'strata:', pattern: '^[\\x21-\\x7e]{0,64}$', description: 'Key prefix isolating this cache.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    tiered: Type.Object(
      {
        back: StoreName(['disk', 'redis', 'memcached'], 'redis', 'Store behind the memory tier.'),
        frontBytes: Bytes(32 * 1024 * 1024, 'Bytes of the in-process memory tier.'),
        frontTtl: Type.Integer({ minimum: 0, default: 10_000, description: 'Longest time in ms a value stays in the memory tier (bounds staleness if an invalidation message is lost).' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false, description: 'Cache: store and settings.' },
);
