// The NATS queue's side state in one JetStream KV bucket (entries live a day): a rate-limit window
// is one key per queue, updated by compare-and-set on its revision so every instance shares it;
// progress is one key per job.
import type { KV } from 'nats';
import { grantOf, type QueueSideState } from '../queue-side.js';

interface Window {
  end: number;
  used: number;
}

/** Applies `change` to the window under compare-and-set, retrying when another instance won the race. */
async function casWindow<R>(kv: KV, key: string, change: (w: Window | undefined, now: number) => { next?: Window; result: R }, fallback: R): Promise<R> {
  for (let i = 0; i < 50; i++) {
    const e = await kv.get(key);
    const now = Date.now();
    const w = e && e.operation === 'PUT' ? (JSON.parse(e.string()) as Window) : undefined;
    const { next, result } = change(w, now);
    if (!next) return result;
    try {
      if (e) await kv.update(key, JSON.stringify(next), e.revision);
      else await kv.create(key, JSON.stringify(next));
      return result;
    } catch {
      // wrong last revision (or created meanwhile): read again
    }
  }
  return fallback;
}

export function natsSideState(kv: KV): QueueSideState {
  return {
    take(queue, want, limit) {
      return casWindow(
        kv,
        `rate.${queue}`,
        (w, now) => {
          const open = w && w.end > now ? w : { end: now + limit.perMs, used: 0 };
          const granted = grantOf(want, open.used, limit.max);
          return { next: { end: open.end, used: open.used + granted }, result: { granted, retryInMs: open.end - now } };
        },
        { granted: 0, retryInMs: 20 },
      );
    },
    async giveBack(queue, n) {
      await casWindow(kv, `rate.${queue}`, (w, now) => (w && w.end > now ? { next: { end: w.end, used: Math.max(0, w.used - n) }, result: undefined } : { result: undefined }), undefined);
    },
    async setProgress(queue, id, value) {
      await kv.put(`progress.${queue}.${id}`, value);
    },
    async getProgress(queue, id) {
      const e = await kv.get(`progress.${queue}.${id}`);
      return e && e.operation === 'PUT' ? e.string() : undefined;
    },
  };
}
