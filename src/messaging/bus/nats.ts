// Event bus over core NATS subjects `<prefix>.<topic>` (same wildcard rules as Strata's), JSON body.
import type { Bus, BusHandler, BusOptions } from './bus-types.js';
import { dispatch } from './memory.js';
import { assertPattern, assertTopic } from './topic-match.js';

export interface NatsBusOptions extends BusOptions {
  servers?: string;
  prefix?: string;
}

export async function natsBus(options: NatsBusOptions = {}): Promise<Bus> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: options.servers ?? '127.0.0.1:4222', maxReconnectAttempts: -1 });
  const prefix = options.prefix ?? 'strata.bus';
  return {
    kind: 'nats',
    async publish(topic, payload) {
      assertTopic(topic);
      nc.publish(`${prefix}.${topic}`, Buffer.from(JSON.stringify(payload ?? null)));
    },
    async subscribe(pattern, handler) {
      assertPattern(pattern);
      const sub = nc.subscribe(`${prefix}.${pattern}`, {
        callback: (err, msg) => {
          if (err) return options.onError?.(err, pattern);
          dispatch(handler as BusHandler, msg.data, msg.subject.slice(prefix.length + 1), options);
        },
      });
      await nc.flush(); // the server has the subscription before we say it is live
      return async () => sub.unsubscribe();
    },
    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}
