// Storage behind the response cache: a small local contract (get/set with TTL and tags,
// delete, delete by tag) that the cache capability's stores can back later, plus an
// in-memory byte-bounded LRU implementation.
import { LRUCache } from 'lru-cache';
import type { HeaderMap } from './cache-freshness.js';

export interface StoredResponse {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  requestTime: number;
  responseTime: number;
  /** Request header values the response varies on (lower-case names), for secondary keys. */
  vary?: Record<string, string>;
}

/** An index entry kept at the primary key when responses vary. */
export interface VaryIndex {
  varyOn: string[];
}

export type StoreValue = StoredResponse | VaryIndex;

export interface ResponseStore {
  get(key: string): Promise<StoreValue | undefined> | StoreValue | undefined;
  /** A synchronous get, for stores that hold entries in this process (the gateway's fast lane answers hits from it). */
  peek?(key: string): StoreValue | undefined;
  set(key: string, value: StoreValue, opts: { ttlMs: number; tags: string[] }): Promise<void> | void;
  delete(key: string): Promise<boolean> | boolean;
  /** Removes every entry carrying `tag`; returns how many, or undefined when the store cannot count. */
  deleteByTag(tag: string): Promise<number | undefined> | number | undefined;
}

function sizeOf(v: StoreValue): number {
  if (!('body' in v)) return 64 + v.varyOn.join().length;
  let n = v.body.length + 256;
  for (const k in v.headers) n += k.length + String(v.headers[k] ?? '').length;
  return n;
}

/**
 * A memory store bounded by bytes (`maxBytes`) with per-entry TTL and a tag index.
 * @example
 * const store = memoryResponseStore({ maxBytes: 64 * 1024 * 1024 });
 */
export function memoryResponseStore(o: { maxBytes?: number } = {}): ResponseStore {
  const tagIndex = new Map<string, Set<string>>();
  const tagsOf = new Map<string, string[]>();
  const unindex = (key: string) => {
    for (const t of tagsOf.get(key) ?? []) {
      const s = tagIndex.get(t);
      s?.delete(key);
      if (s && s.size === 0) tagIndex.delete(t);
    }
    tagsOf.delete(key);
  };
  const lru = new LRUCache<string, StoreValue>({
    maxSize: o.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: sizeOf,
    ttlAutopurge: false,
    dispose: (_v, key, reason) => {
      if (reason !== 'set') unindex(key);
    },
  });
  const store: ResponseStore = {
    get: (key) => lru.get(key),
    peek: (key) => lru.get(key),
    set(key, value, { ttlMs, tags }) {
      unindex(key);
      lru.set(key, value, { ttl: Math.max(1, Math.ceil(ttlMs)) });
      if (!lru.has(key)) return; // too big for the budget
      tagsOf.set(key, tags);
      for (const t of tags) {
        let s = tagIndex.get(t);
        if (!s) tagIndex.set(t, (s = new Set()));
        s.add(key);
      }
    },
    delete: (key) => lru.delete(key),
    deleteByTag(tag) {
      const keys = [...(tagIndex.get(tag) ?? [])];
      let n = 0;
      for (const k of keys) if (lru.delete(k)) n++;
      return n;
    },
  };
  return store;
}
