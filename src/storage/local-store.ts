// Blobs as files under a root folder: written to a temp name, synced, then renamed into place.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { checkKey, StorageNotFoundError, type BlobInfo, type BlobStore } from './blob-store.js';

/**
 * @example
 * const store = localBlobStore('/var/strata/backups');
 * await store.put('strata-backup-2026-12-07T03-00-00Z.sbk', createReadStream(file));
 */
export function localBlobStore(root: string): BlobStore {
  const path = (key: string) => join(root, ...checkKey(key).split('/'));
  async function walk(dir: string, out: BlobInfo[], partial = false): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p, out, partial);
      else if (e.isFile() && e.name.includes('.tmp-') === partial) {
        const s = await stat(p);
        out.push({ key: relative(root, p).split(sep).join('/'), bytes: s.size, modified: s.mtime });
      }
    }
  }
  return {
    kind: 'local',
    where: root,
    async put(key, body) {
      const dest = path(key);
      await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
      const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
      try {
        await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
        const fh = await open(tmp, 'r');
        await fh.sync();
        await fh.close();
        await rename(tmp, dest);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      const s = await stat(dest);
      return { key, bytes: s.size, modified: s.mtime };
    },
    async get(key, range) {
      const p = path(key);
      await stat(p).catch(() => {
        throw new StorageNotFoundError(key);
      });
      return createReadStream(p, range ? { start: range.start, end: range.end } : undefined);
    },
    async head(key) {
      const s = await stat(path(key)).catch(() => undefined);
      return s?.isFile() ? { key, bytes: s.size, modified: s.mtime } : undefined;
    },
    async list(prefix = '') {
      const out: BlobInfo[] = [];
      await walk(root, out);
      return out.filter((b) => b.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
    async sweepPartial(olderThanMs) {
      const parts: BlobInfo[] = [];
      await walk(root, parts, true);
      const old = parts.filter((b) => Date.now() - b.modified.getTime() >= olderThanMs);
      for (const b of old) await rm(join(root, ...b.key.split('/')), { force: true });
      return old.length;
    },
    async close() {},
  };
}
