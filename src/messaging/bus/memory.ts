// In-process event bus: the embedded default; delivers on the next microtask so a
// publisher never runs subscriber code re-entrantly.
import type { Bus, BusHandler, BusOptions } from './bus-types.js';
import { assertPattern, assertTopic, topicMatches } from './topic-match.js';

export function memoryBus(options: BusOptions = {}): Bus {
  const subs = new Set<{ pattern: string; handler: BusHandler }>();
  return {
    kind: 'memory',
    async publish(topic, payload) {
      assertTopic(topic);
      // Copy through JSON so subscribers see what a remote bus would deliver, not a shared object.
      const body = JSON.stringify(payload ?? null);
      for (const s of [...subs]) {
        if (!topicMatches(s.pattern, topic)) continue;
        queueMicrotask(() => {
          try {
            Promise.resolve(s.handler(JSON.parse(body), topic)).catch((e) => options.onError?.(e, topic));
          } catch (e) {
            options.onError?.(e, topic);
          }
        });
      }
    },
    async subscribe(pattern, handler) {
      assertPattern(pattern);
      const s = { pattern, handler: handler as BusHandler };
      subs.add(s);
      return async () => void subs.delete(s);
    },
    async close() {
      subs.clear();
    },
  };
}

/** Run a handler safely for an adapter: decode errors and throws go to onError. */
export function dispatch(handler: BusHandler, raw: string | Uint8Array, topic: string, options: BusOptions): void {
  let payload: unknown;
  try {
    payload = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch (e) {
    options.onError?.(e, topic);
    return;
  }
  try {
    Promise.resolve(handler(payload, topic)).catch((e) => options.onError?.(e, topic));
  } catch (e) {
    options.onError?.(e, topic);
  }
}
