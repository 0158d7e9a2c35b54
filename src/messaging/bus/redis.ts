// Event bus over Redis pub/sub (ioredis): channel `<prefix><topic>`, JSON body;
// patterns become PSUBSCRIBE globs and are re-checked with the exact matcher.
import type { Redis } from 'ioredis';
import type { Bus, BusHandler, BusOptions } from './bus-types.js';
import { dispatch } from './memory.js';
import { assertPattern, assertTopic, topicMatches } from './topic-match.js';

export interface RedisBusOptions extends BusOptions {
  /** redis:// URL; ignored when `clients` is given. */
  url?: string;
  /** Existing clients to share (not closed by the bus): one for PUBLISH, one in subscribe mode. */
  clients?: { publish: Redis; subscribe: Redis };
  prefix?: string;
}

export async function redisBus(options: RedisBusOptions = {}): Promise<Bus> {
  let clients = options.clients;
  const owned = clients === undefined;
  if (!clients) {
    const { Redis: RedisClient } = await import('ioredis');
    const url = options.url ?? 'redis://127.0.0.1:6379';
    clients = { publish: new RedisClient(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2 }), subscribe: new RedisClient(url) };
    clients.publish.on('error', () => {});
    clients.subscribe.on('error', () => {});
  }
  const pub = clients.publish;
  const sub = clients.subscribe; // a subscribed connection can do nothing else; ioredis re-subscribes after reconnects
  const prefix = options.prefix ?? 'strata:bus:';
  const byGlob = new Map<string, Set<{ pattern: string; handler: BusHandler }>>();
  const onMessage = (glob: string, channel: string, message: string) => {
    const topic = channel.slice(prefix.length);
    for (const s of byGlob.get(glob) ?? []) if (topicMatches(s.pattern, topic)) dispatch(s.handler, message, topic, options);
  };
  sub.on('pmessage', onMessage);
  const globOf = (pattern: string) => prefix.replace(/[*?[\]\\]/g, '\\$&') + pattern.split('.').map((t) => (t === '>' ? '*' : t)).join('.');
  return {
    kind: 'redis',
    async publish(topic, payload) {
      assertTopic(topic);
      await pub.publish(prefix + topic, JSON.stringify(payload ?? null));
    },
    async subscribe(pattern, handler) {
      assertPattern(pattern);
      const glob = globOf(pattern);
      let set = byGlob.get(glob);
      if (!set) {
        set = new Set();
        byGlob.set(glob, set);
        await sub.psubscribe(glob);
      }
      const s = { pattern, handler: handler as BusHandler };
      set.add(s);
      return async () => {
        set.delete(s);
        if (set.size === 0 && byGlob.get(glob) === set) {
          byGlob.delete(glob);
          await sub.punsubscribe(glob).catch(() => {});
        }
      };
    },
    async close() {
      const globs = [...byGlob.keys()];
      byGlob.clear();
      if (owned) {
        await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
        return;
      }
      // A shared subscriber stays open for its owner: leave only this bus's channels.
      sub.off('pmessage', onMessage);
      if (globs.length > 0) await sub.punsubscribe(...globs).catch(() => {});
    },
  };
}
