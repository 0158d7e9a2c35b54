// Cluster mode on the in-process bus: each worker's record-change events reach the other workers'
// subscribers (realtime, gRPC Watch) through node:cluster IPC, relayed by the primary.
import cluster, { type Worker } from 'node:cluster';
import type { BusLink, LinkedMessage } from '../messaging/index.js';

const TYPE = 'strata:bus';

interface BusEnvelope extends LinkedMessage {
  type: typeof TYPE;
}

const isEnvelope = (m: unknown): m is BusEnvelope => (m as BusEnvelope | null)?.type === TYPE && typeof (m as BusEnvelope).topic === 'string';

/** Record-change topics are shared: only the worker holding the outbox relay's lease publishes them. */
export const sharedTopic = (topic: string): boolean => topic.startsWith('records.');

/** A worker's side: sends to the primary, hears what the primary relays from the other workers. */
export function workerBusLink(): BusLink {
  return {
    send(message) {
      if (process.connected) process.send?.({ type: TYPE, topic: message.topic, payload: message.payload } satisfies BusEnvelope);
    },
    listen(onMessage) {
      const handler = (m: unknown) => {
        if (isEnvelope(m)) onMessage({ topic: m.topic, payload: m.payload });
      };
      process.on('message', handler);
      return () => void process.off('message', handler);
    },
  };
}

/** The primary's side: what one worker publishes goes to every other live worker, in order. */
export function relayBus(from: Worker, message: unknown): void {
  if (!isEnvelope(message)) return;
  for (const w of Object.values(cluster.workers ?? {})) {
    if (w && w !== from && w.isConnected()) w.send(message);
  }
}
