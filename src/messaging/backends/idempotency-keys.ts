// Idempotency keys for brokers that have no deduplication of their own (RabbitMQ).
// The default lives in this process; pass a shared implementation for several instances.
import type { Redis } from 'ioredis';

export interface IdempotencyKeys {
  /** Remember `id` under the key unless one is already there; return the earlier id if so. */
  claim(queue: string, key: string, id: string, ttlMs: number): Promise<string | undefined>;
  /** Drop a claim whose enqueue failed. */
  forget(queue: string, key: string, id: string): Promise<void>;
}

export class MemoryKeys implements IdempotencyKeys {
  private readonly keys = new Map<string, { id: string; until: number }>();

  async claim(queue: string, key: string, id: string, ttlMs: number): Promise<string | undefined> {
    const k = `${queue}\0${key}`;
    const now = Date.now();
    const hit = this.keys.get(k);
    if (hit && hit.until > now) return hit.id;
    this.keys.set(k, { id, until: now + ttlMs });
    if (this.keys.size > 100_000) for (const [kk, v] of this.keys) if (v.until <= now) this.keys.delete(kk);
    return undefined;
  }

  async forget(queue: string, key: string, id: string): Promise<void> {
    const k = `${queue}\0${key}`;
    if (this.keys.get(k)?.id === id) this.keys.delete(k);
  }
}

/** Keys shared by every instance through Redis (SET NX PX), for RabbitMQ queues run by several instances. */
export async function redisKeys(options: { url?: string; client?: Redis; prefix?: string } = {}): Promise<IdempotencyKeys & { close(): Promise<void> }> {
  const owned = options.client === undefined;
  const client = options.client ?? new (await import('ioredis')).Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  const prefix = options.prefix ?? 'strata:idem:';
  return {
    async claim(queue, key, id, ttlMs) {
      const k = `${prefix}${queue}:${key}`;
      if ((await client.set(k, id, 'PX', ttlMs, 'NX')) === 'OK') return undefined;
      return (await client.get(k)) ?? undefined;
    },
    async forget(queue, key, id) {
      const k = `${prefix}${queue}:${key}`;
      if ((await client.get(k)) === id) await client.del(k);
    },
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}
