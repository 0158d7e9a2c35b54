// The contracts of the cache capability: a byte-level CacheStore (one per engine)
// and the options and statistics of the typed Cache built on top of it.

/** One entry handed to a store; `ttlMs` is an eviction hint (the Cache also checks expiry itself). */
export interface StoreEntry {
  key: string;
  value: Buffer;
  /** Milliseconds until the store may drop the entry; undefined = no expiry. */
  ttlMs?: number;
}

/** What a store knows about itself; `bytes`/`entries` are undefined when the engine cannot tell cheaply. */
export interface StoreStats {
  bytes?: number;
  entries?: number;
  evictions: number;
  /** A tiered store's tiers, front first (`memory`, then the back store's name). */
  tiers?: Array<{ name: string; bytes?: number; entries?: number; evictions: number }>;
}

/**
 * A byte-level key/value store with optional expiry. Stores know nothing of
 * tags, serialization or single-flight: the Cache adds those uniformly.
 */
export interface CacheStore {
  /** Engine name as written in config: `memory`, `disk`, `redis`, `memcached`, `tiered`. */
  readonly kind: string;
  get(key: string): Promise<Buffer | undefined>;
  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]>;
  set(key: string, value: Buffer, ttlMs?: number): Promise<void>;
  setMany(entries: readonly StoreEntry[]): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Drop every entry of this store's namespace (not other tenants of a shared engine). */
  clear(): Promise<void>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

/** Options for one write. */
export interface SetOptions {
  /** Time to live in milliseconds; 0 or undefined uses the cache default (0 default = never expires). */
  ttl?: number;
  /** Tags this entry belongs to; `invalidateTag(tag)` makes every entry with that tag a miss. */
  tags?: readonly string[];
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Bytes held, when the store can tell. */
  bytes?: number;
  entries?: number;
  evictions: number;
  /** A tiered store's tiers, front first. */
  tiers?: StoreStats['tiers'];
}

/** The typed cache every capability and user code talks to. */
export interface Cache {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set<T = unknown>(key: string, value: T, options?: SetOptions): Promise<void>;
  delete(key: string): Promise<boolean>;
  has(key: string): Promise<boolean>;
  getOrSet<T = unknown>(key: string, compute: () => T | Promise<T>, options?: SetOptions): Promise<T>;
  invalidateTag(tag: string): Promise<void>;
  mget<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]>;
  mset<T = unknown>(entries: readonly ({ key: string; value: T } & SetOptions)[]): Promise<void>;
  clear(): Promise<void>;
  stats(): Promise<CacheStats>;
  close(): Promise<void>;
}

/**
 * How a tiered store tells the other instances' memory tiers that keys changed.
 * The event bus satisfies it through `busInvalidation()`; tests use an EventEmitter.
 */
export interface InvalidationChannel {
  publish(keys: readonly string[]): void | Promise<void>;
  subscribe(listener: (keys: readonly string[]) => void): () => void;
}
