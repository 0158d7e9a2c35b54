// Memcached store over memjs (binary protocol). Memcached has no namespaces,
// so clear() bumps a generation number kept in memcached itself; keys that are
// long or not plain ASCII are hashed to fit the 250-byte key limit.
import { createHash } from 'node:crypto';
import type { Client } from 'memjs';
import type { CacheStore, StoreEntry, StoreStats } from '../cache-types.js';
import { CacheUnavailableError } from '../errors.js';

export interface MemcachedStoreOptions {
  /** Comma-separated `host:port` list. */
  servers?: string;
  /** An existing client to share (not closed by the store); `servers` is then ignored. */
  client?: Client;
  prefix?: string;
}

export async function memcachedStore(options: MemcachedStoreOptions = {}): Promise<MemcachedStore> {
  let client = options.client;
  const owned = client === undefined;
  if (!client) {
    const memjs = (await import('memjs')).default;
    client = memjs.Client.create(options.servers ?? '127.0.0.1:11211', { retries: 1, timeout: 1, logger: { log: () => {} } });
  }
  const store = new MemcachedStore(client, options.prefix ?? 'strata:', owned);
  await store.loadGeneration();
  return store;
}

export class MemcachedStore implements CacheStore {
  readonly kind = 'memcached';
  private generation = '0';

  constructor(
    private readonly client: Client,
    private readonly prefix: string,
    private readonly owned = true,
  ) {}

  async loadGeneration(): Promise<void> {
    const { value } = await this.call(() => this.client.get(this.genKey()));
    if (value) this.generation = value.toString();
    else await this.call(() => this.client.add(this.genKey(), this.generation, { expires: 0 }));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const { value } = await this.call(() => this.client.get(this.full(key)));
    return value ?? undefined;
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return Promise.all(keys.map((k) => this.get(k))); // memjs pipelines these on one connection
  }

  async set(key: string, value: Buffer, ttlMs?: number): Promise<void> {
    // Memcached expiry is in whole seconds; the Cache checks the exact expiry on read.
    await this.call(() => this.client.set(this.full(key), value, { expires: ttlMs ? Math.ceil(ttlMs / 1000) : 0 }));
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    await Promise.all(entries.map((e) => this.set(e.key, e.value, e.ttlMs)));
  }

  async delete(key: string): Promise<boolean> {
    return this.call(() => this.client.delete(this.full(key)));
  }

  async clear(): Promise<void> {
    const next = await this.call(() => this.client.increment(this.genKey(), 1, { initial: 1 }));
    this.generation = String(next.value ?? Number(this.generation) + 1);
  }

  async stats(): Promise<StoreStats> {
    return { evictions: 0 };
  }

  async close(): Promise<void> {
    if (this.owned) this.client.quit();
  }

  private genKey(): string {
    return `${this.prefix}__gen`;
  }

  private full(key: string): string {
    const k = `${this.prefix}${this.generation}:${key}`;
    return k.length <= 200 && /^[\x21-\x7e]+$/.test(k) ? k : `${this.prefix}${this.generation}#${createHash('sha256').update(key).digest('base64url')}`;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new CacheUnavailableError(undefined, err);
    }
  }
}
