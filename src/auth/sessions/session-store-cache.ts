// SessionStore over the cache capability's Cache (memory, Redis, tiered...), so sessions follow the configured
// engine and are shared across instances on Redis. "Log out everywhere" uses a per-user cache tag.
import type { Cache } from '../../cache/index.js';
import type { SessionRecord, SessionStore } from './session-store.js';

export function createCacheSessionStore(opts: { cache: Cache; prefix?: string }): SessionStore {
  const prefix = opts.prefix ?? 'auth:';
  const tag = (userId: string) => `${prefix}user:${userId}`;
  return {
    get: (key) => opts.cache.get<SessionRecord>(prefix + key),
    set: (key, record, ttlMs) => opts.cache.set(prefix + key, record, { ttl: Math.max(1, ttlMs), tags: [tag(record.userId)] }),
    async delete(key) {
      await opts.cache.delete(prefix + key);
    },
    deleteAllForUser: (userId) => opts.cache.invalidateTag(tag(userId)),
  } satisfies SessionStore;
}
