// The typed Cache over any CacheStore: msgpack encoding, expiry, tags by
// version stamps (works on every engine, across instances) and single-flight.
import { randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import type { Cache, CacheStats, CacheStore, SetOptions } from './cache-types.js';
import { assertKey } from './errors.js';

const packr = new Packr({ useRecords: false, moreTypes: true });
const VALUE = 'v:';
const TAG = 't:';

/** Stored shape: [expiresAt ms (0 = never), tag -> version stamp at write time, value]. */
type Encoded = [number, Record<string, string> | null, unknown];

export interface CacheOptions {
  /** Default TTL in ms for writes without one; 0 = never expires. */
  defaultTtl?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Build a Cache over a store.
 *
 * @example
 * const cache = createCache(memoryStore({ maxBytes: 64 << 20 }));
 * const user = await cache.getOrSet(`user:${id}`, () => db.findUser(id), { ttl: 60_000, tags: [`user:${id}`] });
 */
export function createCache(store: CacheStore, options: CacheOptions = {}): Cache {
  return new TaggedCache(store, options);
}

class TaggedCache implements Cache {
  private hits = 0;
  private misses = 0;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  private readonly defaultTtl: number;

  constructor(
    private readonly store: CacheStore,
    options: CacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.defaultTtl = options.defaultTtl ?? 0;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.mget<T>([key]))[0];
  }

  async mget<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    keys.forEach(assertKey);
    if (keys.length === 0) return [];
    const raw = await this.store.getMany(keys.map((k) => VALUE + k));
    const now = this.now();
    const decoded = raw.map((buf) => (buf === undefined ? undefined : decode(buf, now)));
    const tags = new Set<string>();
    for (const d of decoded) if (d?.[1]) for (const t of Object.keys(d[1])) tags.add(t);
    let current = new Map<string, string | undefined>();
    if (tags.size > 0) current = await this.tagVersions([...tags]);
    return decoded.map((d) => {
      const ok = d !== undefined && (d[1] === null || Object.entries(d[1]).every(([t, v]) => current.get(t) === v));
      if (ok) this.hits++;
      else this.misses++;
      return ok ? (d[2] as T) : undefined;
    });
  }

  async set<T>(key: string, value: T, options: SetOptions = {}): Promise<void> {
    if (options.tags && options.tags.length > 0) return this.mset([{ key, value, ...options }]);
    assertKey(key);
    if (value === undefined) throw new TypeError('undefined cannot be cached; use null');
    const ttl = options.ttl && options.ttl > 0 ? options.ttl : this.defaultTtl;
    const enc: Encoded = [ttl > 0 ? this.now() + ttl : 0, null, value];
    await this.store.set(VALUE + key, packr.pack(enc), ttl > 0 ? ttl : undefined);
  }

  async mset<T>(entries: readonly ({ key: string; value: T } & SetOptions)[]): Promise<void> {
    const tags = new Set<string>();
    for (const e of entries) {
      assertKey(e.key);
      if (e.value === undefined) throw new TypeError('undefined cannot be cached; use null');
      for (const t of e.tags ?? []) tags.add(t);
    }
    const versions = tags.size > 0 ? await this.ensureTagVersions([...tags]) : new Map<string, string>();
    const now = this.now();
    await this.store.setMany(
      entries.map((e) => {
        const ttl = e.ttl && e.ttl > 0 ? e.ttl : this.defaultTtl;
        const stamp = e.tags && e.tags.length > 0 ? Object.fromEntries(e.tags.map((t) => [t, versions.get(t) as string])) : null;
        const enc: Encoded = [ttl > 0 ? now + ttl : 0, stamp, e.value];
        return { key: VALUE + e.key, value: packr.pack(enc), ttlMs: ttl > 0 ? ttl : undefined };
      }),
    );
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    return this.store.delete(VALUE + key);
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async getOrSet<T>(key: string, compute: () => T | Promise<T>, options?: SetOptions): Promise<T> {
    const pending = this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const run = (async () => {
      const hit = await this.get<T>(key);
      if (hit !== undefined) return hit;
      const value = await compute();
      if (value !== undefined) await this.set(key, value, options);
      return value;
    })();
    this.inflight.set(key, run);
    try {
      return await run;
    } finally {
      this.inflight.delete(key);
    }
  }

  async invalidateTag(tag: string): Promise<void> {
    assertKey(tag);
    // A fresh stamp makes every entry written under the old one a miss, on every instance.
    await this.store.set(TAG + tag, Buffer.from(stamp()));
  }

  async clear(): Promise<void> {
    await this.store.clear();
  }

  async stats(): Promise<CacheStats> {
    const s = await this.store.stats();
    return { hits: this.hits, misses: this.misses, ...s };
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private async tagVersions(tags: string[]): Promise<Map<string, string | undefined>> {
    const raw = await this.store.getMany(tags.map((t) => TAG + t));
    return new Map(tags.map((t, i) => [t, raw[i]?.toString()]));
  }

  private async ensureTagVersions(tags: string[]): Promise<Map<string, string>> {
    const found = await this.tagVersions(tags);
    const fresh = tags.filter((t) => found.get(t) === undefined).map((t) => ({ key: TAG + t, value: Buffer.from(stamp()) }));
    if (fresh.length > 0) await this.store.setMany(fresh);
    const out = new Map<string, string>();
    for (const t of tags) out.set(t, found.get(t) ?? (fresh.find((f) => f.key === TAG + t) as { value: Buffer }).value.toString());
    return out;
  }
}

function stamp(): string {
  return randomBytes(9).toString('base64url');
}

function decode(buf: Buffer, now: number): Encoded | undefined {
  try {
    const d = packr.unpack(buf) as Encoded;
    if (!Array.isArray(d) || d.length !== 3) return undefined;
    if (d[0] !== 0 && d[0] <= now) return undefined;
    return d;
  } catch {
    return undefined; // a foreign or damaged value is a miss, never an exception
  }
}
