// Persistent store: one file per key, written to a temp file and renamed into
// place (atomic on POSIX), with a SHA-256 checksum so a torn or damaged file
// reads as a miss. Bounded by bytes with least-recently-used eviction.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheStore, StoreEntry, StoreStats } from '../cache-types.js';

const MAGIC = 0x53444331; // "SDC1"
const HEADER = 4 + 8 + 4 + 4 + 16;

export interface DiskStoreOptions {
  dir: string;
  /** Upper bound of bytes on disk (file sizes). */
  maxBytes?: number;
  /** fsync each file before the rename: survives power loss, costs a disk flush per write. */
  fsync?: boolean;
}

/** Open (and create) a disk store; existing entries are indexed so the byte bound holds across restarts. */
export async function diskStore(options: DiskStoreOptions): Promise<DiskStore> {
  const store = new DiskStore(options);
  await store.open();
  return store;
}

export class DiskStore implements CacheStore {
  readonly kind = 'disk';
  /** file name -> size, in least-recently-used first order. */
  private readonly index = new Map<string, number>();
  private bytes = 0;
  private evictions = 0;
  private readonly maxBytes: number;
  private readonly tmpDir: string;

  constructor(private readonly options: DiskStoreOptions) {
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.tmpDir = join(options.dir, 'tmp');
  }

  async open(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    // Leftovers of writes cut short by a crash are never renamed into place: remove them.
    for (const f of await readdir(this.tmpDir)) await rm(join(this.tmpDir, f), { force: true });
    const found: { name: string; size: number; mtime: number }[] = [];
    for (const sub of await readdir(this.options.dir)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const name of await readdir(join(this.options.dir, sub))) {
        const st = await stat(join(this.options.dir, sub, name)).catch(() => undefined);
        if (st?.isFile()) found.push({ name, size: st.size, mtime: st.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.track(f.name, f.size);
    await this.evict();
  }

  async get(key: string): Promise<Buffer | undefined> {
    const name = fileName(key);
    let buf: Buffer;
    try {
      buf = await readFile(this.path(name));
    } catch {
      return undefined;
    }
    const value = parse(buf, key);
    if (value === undefined) {
      await this.remove(name);
      return undefined;
    }
    this.touch(name);
    return value;
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async set(key: string, value: Buffer, ttlMs?: number): Promise<void> {
    const name = fileName(key);
    const file = serialize(key, value, ttlMs ? Date.now() + ttlMs : 0);
    if (file.length > this.maxBytes) {
      await this.remove(name);
      return;
    }
    await mkdir(join(this.options.dir, name.slice(0, 2)), { recursive: true });
    const tmp = join(this.tmpDir, `${name}.${randomBytes(6).toString('hex')}`);
    if (this.options.fsync) {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(file);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } else {
      await writeFile(tmp, file);
    }
    await rename(tmp, this.path(name));
    this.untrack(name);
    this.track(name, file.length);
    await this.evict();
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    for (const e of entries) await this.set(e.key, e.value, e.ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    const name = fileName(key);
    const had = this.index.has(name);
    const removed = await this.remove(name);
    return had || removed;
  }

  async clear(): Promise<void> {
    for (const sub of await readdir(this.options.dir)) {
      if (/^[0-9a-f]{2}$/.test(sub)) await rm(join(this.options.dir, sub), { recursive: true, force: true });
    }
    this.index.clear();
    this.bytes = 0;
  }

  async stats(): Promise<StoreStats> {
    return { bytes: this.bytes, entries: this.index.size, evictions: this.evictions };
  }

  async close(): Promise<void> {}

  private path(name: string): string {
    return join(this.options.dir, name.slice(0, 2), name);
  }

  private track(name: string, size: number): void {
    this.index.set(name, size);
    this.bytes += size;
  }

  private untrack(name: string): void {
    const size = this.index.get(name);
    if (size !== undefined) {
      this.bytes -= size;
      this.index.delete(name);
    }
  }

  private touch(name: string): void {
    const size = this.index.get(name);
    if (size !== undefined) {
      this.index.delete(name);
      this.index.set(name, size);
    }
  }

  private async remove(name: string): Promise<boolean> {
    this.untrack(name);
    try {
      await unlink(this.path(name));
      return true;
    } catch {
      return false;
    }
  }

  private async evict(): Promise<void> {
    while (this.bytes > this.maxBytes) {
      const oldest = this.index.keys().next().value as string;
      await this.remove(oldest);
      this.evictions++;
    }
  }
}

function fileName(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function checksum(parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, 16);
}

/** Layout: magic u32 | expiresAt f64 | keyLen u32 | valueLen u32 | sha256[0..16] of (first 20 bytes, key, value) | key | value. */
export function serialize(key: string, value: Buffer, expiresAt: number): Buffer {
  const k = Buffer.from(key);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(MAGIC, 0);
  head.writeDoubleBE(expiresAt, 4);
  head.writeUInt32BE(k.length, 12);
  head.writeUInt32BE(value.length, 16);
  checksum([head.subarray(0, 20), k, value]).copy(head, 20);
  return Buffer.concat([head, k, value]);
}

/** The value if the file is whole, belongs to `key` and has not expired; otherwise undefined. */
export function parse(buf: Buffer, key: string): Buffer | undefined {
  if (buf.length < HEADER || buf.readUInt32BE(0) !== MAGIC) return undefined;
  const expiresAt = buf.readDoubleBE(4);
  const kl = buf.readUInt32BE(12);
  const vl = buf.readUInt32BE(16);
  if (buf.length !== HEADER + kl + vl) return undefined;
  const k = buf.subarray(HEADER, HEADER + kl);
  const v = buf.subarray(HEADER + kl);
  if (!checksum([buf.subarray(0, 20), k, v]).equals(buf.subarray(20, 36))) return undefined;
  if (k.toString() !== key) return undefined;
  if (expiresAt !== 0 && expiresAt <= Date.now()) return undefined;
  return Buffer.from(v);
}
