// Event bus over Redis pub/sub (ioredis): channel `<prefix><topic>`, JSON body;
// patterns become PSUBSCRIBE globs and are re-checked with the exact matcher.
import type { Redis } from 'ioredis';
import type { Bus, BusHandler, BusOptions } from './bus-types.js';
import { dispatch } from './memory.js';
import { assertPattern, assertTopic, topicMatches } from './topic-match.js';

export interface RedisBusOptions extends BusOptions {
  url?: string;
  prefix?: string;
}

export async function redisBus(options: RedisBusOptions = {}): Promise<Bus> {
  const { Redis: RedisClient } = await import('ioredis');
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const pub: Redis = new RedisClient(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  const sub: Redis = new RedisClient(url); // a subscribed connection can do nothing else; ioredis re-subscribes after reconnects
  pub.on('error', () => {});
  sub.on('error', () => {});
  const prefix = options.prefix ?? 'strata:bus:';
  const byGlob = new Map<string, Set<{ pattern: string; handler: BusHandler }>>();
  sub.on('pmessage', (glob: string, channel: string, message: string) => {
    const topic = channel.slice(prefix.length);
    for (const s of byGlob.get(glob) ?? []) if (topicMatches(s.pattern, topic)) dispatch(s.handler, message, topic, options);
  });
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
      byGlob.clear();
      await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
    },
  };
}
