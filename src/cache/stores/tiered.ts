// Two-tier store: a bounded in-process memory tier in front of a shared store
// (disk, Redis, Memcached). Writes go through to the back tier and are announced
// on an InvalidationChannel so every instance drops its memory copy.
import type { CacheStore, InvalidationChannel, StoreEntry, StoreStats } from '../cache-types.js';
import { MemoryStore } from './memory.js';

export interface TieredStoreOptions {
  back: CacheStore;
  /** Bytes for the memory tier. */
  frontBytes?: number;
  /** Longest time a value lives in the memory tier; bounds staleness if an invalidation is missed. */
  frontTtlMs?: number;
  /** Reaches the other instances; without one, only this instance's writes invalidate its memory tier. */
  channel?: InvalidationChannel;
}

export function tieredStore(options: TieredStoreOptions): TieredStore {
  return new TieredStore(options);
}

export class TieredStore implements CacheStore {
  readonly kind = 'tiered';
  readonly front: MemoryStore;
  private readonly back: CacheStore;
  private readonly frontTtlMs: number;
  private readonly channel?: InvalidationChannel;
  private readonly unsubscribe?: () => void;
  /** Bumped on every invalidation so a back-tier read that raced one is not cached in front. */
  private epoch = 0;

  constructor(options: TieredStoreOptions) {
    this.back = options.back;
    this.front = new MemoryStore({ maxBytes: options.frontBytes ?? 32 * 1024 * 1024 });
    this.frontTtlMs = options.frontTtlMs ?? 10_000;
    this.channel = options.channel;
    this.unsubscribe = this.channel?.subscribe((keys) => this.invalidateLocal(keys));
  }

  /** Drop keys from this instance's memory tier; an empty list drops everything. */
  invalidateLocal(keys: readonly string[]): void {
    this.epoch++;
    if (keys.length === 0) void this.front.clear();
    else for (const k of keys) this.front.drop(k);
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.getMany([key]))[0];
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    const out = await this.front.getMany(keys);
    const missing = keys.filter((_, i) => out[i] === undefined);
    if (missing.length === 0) return out;
    const epoch = this.epoch;
    const found = await this.back.getMany(missing);
    const fill = epoch === this.epoch;
    let j = 0;
    for (let i = 0; i < keys.length; i++) {
      if (out[i] !== undefined) continue;
      const v = found[j++];
      out[i] = v;
      if (v !== undefined && fill) await this.front.set(keys[i], v, this.frontTtlMs);
    }
    return out;
  }

  async set(key: string, value: Buffer, ttlMs?: number): Promise<void> {
    await this.setMany([{ key, value, ttlMs }]);
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    await this.back.setMany(entries);
    this.invalidateLocal(entries.map((e) => e.key));
    for (const e of entries) await this.front.set(e.key, e.value, Math.min(e.ttlMs ?? Infinity, this.frontTtlMs));
    await this.channel?.publish(entries.map((e) => e.key));
  }

  async delete(key: string): Promise<boolean> {
    const had = await this.back.delete(key);
    this.invalidateLocal([key]);
    await this.channel?.publish([key]);
    return had;
  }

  async clear(): Promise<void> {
    await this.back.clear();
    this.invalidateLocal([]);
    await this.channel?.publish([]);
  }

  async stats(): Promise<StoreStats> {
    const [f, b] = await Promise.all([this.front.stats(), this.back.stats()]);
    const tier = (name: string, t: StoreStats) => ({ name, bytes: t.bytes, entries: t.entries, evictions: t.evictions });
    return { bytes: b.bytes, entries: b.entries, evictions: f.evictions + b.evictions, tiers: [tier(this.front.kind, f), tier(this.back.kind, b)] };
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.front.close();
    await this.back.close();
  }
}
