// Where resumable (tus 1.0) uploads wait for their last byte. Local storage stages in the data directory
// (@tus/file-store); S3 storage stages in the bucket itself, so any instance can continue any upload.
//
// S3 staging is a tus DataStore over the BlobStore interface (put/get/list/delete), not @tus/s3-store:
// that one needs S3's ListParts and AbortMultipartUpload, which S3-compatible servers do not all have
// (s3rver, the server the tests run, has neither). Each PATCH becomes one object named by its offset;
// the upload's offset is where the contiguous run of those objects from 0 ends; the finished file is
// their concatenation, streamed. Keys live under `_uploads/` (two segments: never a record file's key).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataStore, Upload } from '@tus/server';
import type { FileStore } from '@tus/file-store';
import type { BlobStore } from '../../storage/index.js';

/** A staging area for tus uploads: the tus DataStore plus what finishing and sweeping need. */
export interface UploadStaging {
  readonly datastore: DataStore;
  /** The first `n` staged bytes of a finished upload. */
  head(id: string, n: number): Promise<Buffer>;
  /** The whole staged file, streamed. */
  body(id: string): Promise<Readable>;
  /** Deletes the upload and its bytes (no error when it is gone). */
  remove(id: string): Promise<void>;
  /** Deletes uploads created more than `ttlMs` ago; returns how many. */
  sweep(ttlMs: number, now?: number): Promise<number>;
}

/** Staging in a local folder (`<dataDir>/uploads`) with @tus/file-store. */
export function fileStaging(store: FileStore): UploadStaging {
  return {
    datastore: store,
    async head(id, n) {
      const chunks: Buffer[] = [];
      for await (const c of createReadStream(join(store.directory, id), { start: 0, end: n - 1 })) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    async body(id) {
      return createReadStream(join(store.directory, id));
    },
    async remove(id) {
      await store.remove(id).catch(() => undefined);
    },
    async sweep(ttlMs, now = Date.now()) {
      const ids = (await store.configstore.list?.()) ?? [];
      let n = 0;
      for (const id of ids) {
        const info = await store.configstore.get(id).catch(() => undefined);
        const created = info?.creation_date ? Date.parse(info.creation_date) : NaN;
        if (Number.isFinite(created) && now - created < ttlMs) continue;
        await store.remove(id).catch(() => undefined);
        n++;
      }
      return n;
    },
  };
}

const PREFIX = '_uploads/';
const infoKey = (id: string) => `${PREFIX}${id}.info`;
const chunkKey = (id: string, offset: number) => `${PREFIX}${id}.${String(offset).padStart(15, '0')}`;
/** The staged pieces of an upload, by offset, with their sizes. */
async function pieces(store: BlobStore, id: string): Promise<{ key: string; offset: number; bytes: number }[]> {
  const out = [];
  for (const b of await store.list(`${PREFIX}${id}.`)) {
    const m = /\.(\d{15})$/.exec(b.key);
    if (m) out.push({ key: b.key, offset: Number(m[1]), bytes: b.bytes });
  }
  return out.sort((a, b) => a.offset - b.offset);
}
/** The pieces that continue each other from offset 0 (a piece starting elsewhere is not used). */
function contiguous(ps: { key: string; offset: number; bytes: number }[]) {
  const run = [];
  let at = 0;
  for (const p of ps) {
    if (p.offset !== at || p.bytes === 0) continue;
    run.push(p);
    at += p.bytes;
  }
  return { run, offset: at };
}

/**
 * Staging in blob storage (used with S3). `tmpDir` holds a PATCH's bytes while they arrive, so what a
 * client sent before it went away is kept (put as a piece) as with local staging.
 */
export async function blobStaging(store: BlobStore, tmpDir: string, expirationMs: number): Promise<UploadStaging> {
  const { DataStore, Upload, ERRORS } = await import('@tus/server');
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const readInfo = async (id: string): Promise<Upload> => {
    let text = '';
    try {
      for await (const c of await store.get(infoKey(id))) text += (c as Buffer).toString('utf8');
    } catch {
      throw ERRORS.FILE_NOT_FOUND;
    }
    return new Upload(JSON.parse(text) as ConstructorParameters<typeof Upload>[0]);
  };
  const removeAll = async (id: string) => {
    for (const p of await store.list(`${PREFIX}${id}.`)) await store.delete(p.key);
  };

  class BlobStagingStore extends DataStore {
    constructor() {
      super();
      this.extensions = ['creation', 'expiration', 'termination'];
    }
    override async create(upload: Upload): Promise<Upload> {
      upload.creation_date = new Date().toISOString();
      upload.storage = { type: 'blob', path: `${PREFIX}${upload.id}` };
      await store.put(infoKey(upload.id), Buffer.from(JSON.stringify(upload)), { contentType: 'application/json' });
      return upload;
    }
    override async getUpload(id: string): Promise<Upload> {
      const info = await readInfo(id);
      info.offset = contiguous(await pieces(store, id)).offset;
      return info;
    }
    override async write(src: Readable, id: string, offset: number): Promise<number> {
      const tmp = join(tmpDir, `${id}.${offset}.${process.pid}.${Date.now()}`);
      let failure: unknown;
      try {
        await pipeline(src, createWriteStream(tmp, { mode: 0o600 }));
      } catch (e) {
        failure = e;
      }
      try {
        const bytes = (await stat(tmp).catch(() => undefined))?.size ?? 0;
        if (bytes > 0) await store.put(chunkKey(id, offset), createReadStream(tmp));
        if (failure) throw ERRORS.FILE_WRITE_ERROR;
        return offset + bytes;
      } finally {
        await rm(tmp, { force: true });
      }
    }
    override async remove(id: string): Promise<void> {
      await readInfo(id);
      await removeAll(id);
    }
    override async declareUploadLength(): Promise<void> {
      throw ERRORS.INVALID_LENGTH;
    }
    override getExpiration(): number {
      return expirationMs;
    }
    override async deleteExpired(): Promise<number> {
      return staging.sweep(expirationMs);
    }
  }

  const datastore = new BlobStagingStore();
  const staging: UploadStaging = {
    datastore,
    async head(id, n) {
      const first = contiguous(await pieces(store, id)).run;
      const chunks: Buffer[] = [];
      let got = 0;
      for (const p of first) {
        if (got >= n) break;
        const want = Math.min(n - got, p.bytes);
        for await (const c of await store.get(p.key, { start: 0, end: want - 1 })) chunks.push(c as Buffer);
        got += want;
      }
      return Buffer.concat(chunks);
    },
    async body(id) {
      const { run } = contiguous(await pieces(store, id));
      return Readable.from(
        (async function* () {
          for (const p of run) yield* await store.get(p.key);
        })(),
      );
    },
    async remove(id) {
      await removeAll(id).catch(() => undefined);
    },
    async sweep(ttlMs, now = Date.now()) {
      const ids = new Set<string>();
      for (const b of await store.list(PREFIX)) {
        const m = /^_uploads\/([a-f0-9]{32})\./.exec(b.key);
        if (m) ids.add(m[1]!);
      }
      let n = 0;
      for (const id of ids) {
        const info = await readInfo(id).catch(() => undefined);
        const created = info?.creation_date ? Date.parse(info.creation_date) : NaN;
        if (Number.isFinite(created) && now - created < ttlMs) continue;
        // Pieces without an info are a creation that never completed, or a removal cut short.
        if (!info && (await store.list(`${PREFIX}${id}.`)).some((b) => now - b.modified.getTime() < ttlMs)) continue;
        await removeAll(id).catch(() => undefined);
        n++;
      }
      return n;
    },
  };
  return staging;
}
