// A local bus joined to other processes' buses by a message link (cluster workers through their
// primary): what a process publishes on a shared topic reaches the subscribers of every process.
import type { Bus } from './bus-types.js';
import { assertTopic } from './topic-match.js';

/** One published message as it travels between processes. */
export interface LinkedMessage {
  topic: string;
  payload: unknown;
}

/** A two-way channel to the other processes (e.g. node:cluster IPC through the primary). */
export interface BusLink {
  /** Hands the message to every other process; in order. */
  send(message: LinkedMessage): void;
  /** Messages other processes published; returns the function that stops listening. */
  listen(onMessage: (message: LinkedMessage) => void): () => void;
}

/**
 * Wraps `local` so a publish on a topic `share` accepts also goes over `link`, and what arrives over
 * it is delivered to the local subscribers (and not sent on again). Other topics stay in-process.
 *
 * @example
 * const bus = linkedBus(memoryBus(), workerLink, (topic) => topic.startsWith('records.'));
 */
export function linkedBus(local: Bus, link: BusLink, share: (topic: string) => boolean): Bus {
  const unlisten = link.listen((m) => {
    if (typeof m?.topic === 'string' && share(m.topic)) void local.publish(m.topic, m.payload);
  });
  return {
    kind: local.kind,
    async publish(topic, payload) {
      assertTopic(topic);
      await local.publish(topic, payload);
      if (share(topic)) link.send({ topic, payload: payload ?? null });
    },
    subscribe: (pattern, handler) => local.subscribe(pattern, handler),
    async close() {
      unlisten();
      await local.close();
    },
  };
}
