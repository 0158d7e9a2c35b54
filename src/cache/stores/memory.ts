// In-process store: lru-cache bounded by bytes (key + value), not by entry count.
import { LRUCache } from 'lru-cache';
import type { CacheStore, StoreEntry, StoreStats } from '../cache-types.js';

export interface MemoryStoreOptions {
  /** Upper bound of key + value bytes held. */
  maxBytes?: number;
  /** Largest single entry accepted, in bytes; bigger ones are not kept. Defaults to maxBytes / 8. */
  maxEntryBytes?: number;
}

export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}

export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  private evictions = 0;
  private readonly lru: LRUCache<string, Buffer>;

  constructor(options: MemoryStoreOptions = {}) {
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.lru = new LRUCache<string, Buffer>({
      maxSize: maxBytes,
      maxEntrySize: options.maxEntryBytes ?? Math.max(1, Math.floor(maxBytes / 8)),
      sizeCalculation: (v, k) => v.length + k.length * 2 + 64,
      ttlAutopurge: false,
      allowStale: false,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.lru.get(key);
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return keys.map((k) => this.lru.get(k));
  }

  async set(key: string, value: Buffer, ttlMs?: number): Promise<void> {
    this.put(key, value, ttlMs);
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    for (const e of entries) this.put(e.key, e.value, e.ttlMs);
  }

  /** Synchronous delete, used by the tiered store when another instance says a key changed. */
  drop(key: string): boolean {
    return this.lru.delete(key);
  }

  async delete(key: string): Promise<boolean> {
    return this.lru.delete(key);
  }

  async clear(): Promise<void> {
    this.lru.clear();
  }

  async stats(): Promise<StoreStats> {
    return { bytes: this.lru.calculatedSize, entries: this.lru.size, evictions: this.evictions };
  }

  async close(): Promise<void> {
    this.lru.clear();
  }

  private put(key: string, value: Buffer, ttlMs?: number): void {
    // A slice of a larger pooled buffer (msgpackr, Buffer.from pools) would pin the whole pool: keep an own copy
    // so the byte bound counts what is really held.
    if (value.byteOffset !== 0 || value.buffer.byteLength !== value.length) {
      const own = Buffer.allocUnsafeSlow(value.length); // not from Node's pool either
      value.copy(own);
      value = own;
    }
    // An over-size value is refused by lru-cache; drop any older copy so a stale value is never served.
    if (!this.lru.set(key, value, ttlMs ? { ttl: ttlMs } : undefined).has(key)) this.lru.delete(key);
  }
}
