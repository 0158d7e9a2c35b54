// Event bus over core NATS subjects `<prefix>.<topic>` (same wildcard rules as Strata's), JSON body.
import type { NatsConnection, Subscription } from 'nats';
import type { Bus, BusHandler, BusOptions } from './bus-types.js';
import { dispatch } from './memory.js';
import { assertPattern, assertTopic } from './topic-match.js';

export interface NatsBusOptions extends BusOptions {
  /** Comma-separated servers; ignored when `connection` is given. */
  servers?: string;
  /** An existing connection to share (not closed by the bus; its subscriptions are). */
  connection?: NatsConnection;
  prefix?: string;
}

export async function natsBus(options: NatsBusOptions = {}): Promise<Bus> {
  let nc = options.connection;
  const owned = nc === undefined;
  if (!nc) {
    const { connect } = await import('nats');
    nc = await connect({ servers: options.servers ?? '127.0.0.1:4222', maxReconnectAttempts: -1 });
  }
  const conn = nc;
  const subs = new Set<Subscription>();
  const prefix = options.prefix ?? 'strata.bus';
  return {
    kind: 'nats',
    async publish(topic, payload) {
      assertTopic(topic);
      conn.publish(`${prefix}.${topic}`, Buffer.from(JSON.stringify(payload ?? null)));
    },
    async subscribe(pattern, handler) {
      assertPattern(pattern);
      const sub = conn.subscribe(`${prefix}.${pattern}`, {
        callback: (err, msg) => {
          if (err) return options.onError?.(err, pattern);
          dispatch(handler as BusHandler, msg.data, msg.subject.slice(prefix.length + 1), options);
        },
      });
      await conn.flush(); // the server has the subscription before we say it is live
      subs.add(sub);
      return async () => {
        subs.delete(sub);
        sub.unsubscribe();
      };
    },
    async close() {
      if (owned) return conn.drain().catch(() => conn.close());
      for (const s of subs) s.unsubscribe();
      subs.clear();
    },
  };
}
