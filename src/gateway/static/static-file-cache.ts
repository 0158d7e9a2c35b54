// A short-lived cache of stat results, validators and small file bodies for static sites,
// so a hot file costs no syscalls; entries expire after `ttlMs` so edits show up quickly.
import { promises as fsp } from 'node:fs';
import { extname } from 'node:path';
import { LRUCache } from 'lru-cache';
import mime from 'mime-types';
import { insideRoot } from './static-path.js';

export interface FileVariant {
  /** Content-Encoding token: `br` or `gzip`. */
  encoding: 'br' | 'gzip';
  path: string;
  size: number;
  etag: string;
}

export interface FileEntry {
  kind: 'file';
  path: string;
  size: number;
  mtimeMs: number;
  etag: string;
  lastModified: string;
  type: string;
  compressible: boolean;
  /** Precompressed siblings found on disk (`file.br`, `file.gz`). */
  variants: FileVariant[];
  /** Key of the identity body in the body cache (made once per stat, not per request). */
  bodyKey: string;
}

export type FileLookup = FileEntry | { kind: 'dir'; path: string } | { kind: 'missing' };

export interface FileCacheOptions {
  root: string;
  ttlMs: number;
  /** Files up to this size are kept in memory. */
  maxFileBytes: number;
  /** Memory budget for bodies (identity and compressed). */
  maxBytes: number;
  mimeOverrides: Record<string, string>;
}

const COMPRESSIBLE = /^(?:text\/|application\/(?:json|javascript|ecmascript|xml|wasm|manifest\+json|ld\+json|x-javascript|xhtml\+xml|rss\+xml|atom\+xml|x-font-ttf|vnd\.ms-fontobject)|image\/(?:svg\+xml|x-icon|vnd\.microsoft\.icon|bmp)|font\/(?:ttf|otf|eot))|\+json\b|\+xml\b/;

export function isCompressible(type: string): boolean {
  return COMPRESSIBLE.test(type);
}

export function contentTypeFor(path: string, overrides: Record<string, string>): string {
  const ext = extname(path).toLowerCase();
  const t = overrides[ext] ?? mime.lookup(ext);
  if (!t) return 'application/octet-stream';
  return mime.contentType(t) || t;
}

function etagOf(size: number, mtimeMs: number, suffix = ''): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}${suffix}"`;
}

export class StaticFileCache {
  readonly #opts: FileCacheOptions;
  readonly #meta: LRUCache<string, FileLookup>;
  readonly #bodies: LRUCache<string, Buffer>;
  readonly #pending = new Map<string, Promise<FileLookup>>();
  #realRoot: string | undefined;

  constructor(opts: FileCacheOptions) {
    this.#opts = opts;
    this.#meta = new LRUCache({ max: 10_000, ttl: Math.max(1, opts.ttlMs), ttlAutopurge: false });
    this.#bodies = new LRUCache({ maxSize: Math.max(1, opts.maxBytes), sizeCalculation: (b) => b.length + 64 });
  }

  /** Stat `file` (an absolute path already proven inside the root) and return what is there. */
  lookup(file: string): Promise<FileLookup> | FileLookup {
    if (this.#opts.ttlMs > 0) {
      const hit = this.#meta.get(file);
      if (hit) return hit;
    }
    let p = this.#pending.get(file);
    if (!p) {
      p = this.#load(file).finally(() => this.#pending.delete(file));
      this.#pending.set(file, p);
    }
    return p;
  }

  async #load(file: string): Promise<FileLookup> {
    const result = await this.#stat(file);
    if (this.#opts.ttlMs > 0) this.#meta.set(file, result);
    return result;
  }

  async #stat(file: string): Promise<FileLookup> {
    this.#realRoot ??= await fsp.realpath(this.#opts.root);
    let real: string;
    try {
      real = await fsp.realpath(file);
    } catch {
      return { kind: 'missing' };
    }
    if (!insideRoot(this.#realRoot, real)) return { kind: 'missing' };
    const st = await fsp.stat(real).catch(() => undefined);
    if (!st) return { kind: 'missing' };
    if (st.isDirectory()) return { kind: 'dir', path: file };
    if (!st.isFile()) return { kind: 'missing' };
    const type = contentTypeFor(file, this.#opts.mimeOverrides);
    const variants: FileVariant[] = [];
    for (const [encoding, ext] of [['br', '.br'], ['gzip', '.gz']] as const) {
      const vp = real + ext;
      const vs = await fsp.stat(vp).catch(() => undefined);
      // A variant older than its source is stale; serving it would show old content.
      if (vs?.isFile() && vs.mtimeMs >= st.mtimeMs) {
        variants.push({ encoding, path: vp, size: vs.size, etag: etagOf(st.size, st.mtimeMs, encoding === 'br' ? '-br' : '-gz') });
      }
    }
    const etag = etagOf(st.size, st.mtimeMs);
    return {
      kind: 'file',
      bodyKey: `${real}\0${etag}`,
      path: real,
      size: st.size,
      mtimeMs: st.mtimeMs,
      etag,
      lastModified: new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString(),
      type,
      compressible: isCompressible(type),
      variants,
    };
  }

  /** The whole body of a small file (or variant), from memory when possible; undefined when too big. */
  async body(path: string, size: number, etag: string): Promise<Buffer | undefined> {
    if (size > this.#opts.maxFileBytes) return undefined;
    const key = `${path}\0${etag}`;
    const hit = this.#bodies.get(key);
    if (hit) return hit;
    const buf = await fsp.readFile(path);
    if (buf.length !== size) return undefined; // changed under us: let the caller stream
    this.#bodies.set(key, buf);
    return buf;
  }

  /** The identity body when it is already in memory (no await on the hot path). */
  peekBody(entry: FileEntry): Buffer | undefined {
    return this.#bodies.get(entry.bodyKey);
  }

  cachedBody(key: string): Buffer | undefined {
    return this.#bodies.get(key);
  }

  storeBody(key: string, body: Buffer): void {
    if (body.length <= this.#opts.maxFileBytes) this.#bodies.set(key, body);
  }

  clear(): void {
    this.#meta.clear();
    this.#bodies.clear();
  }
}
