// The backup archive: a two-line plain header (format, Strata version, how the key is derived), then a
// tar of the parts (databases, keys, config) and a manifest of their SHA-256, gzip-compressed and encrypted
// in authenticated frames. Written to `<name>.partial` and renamed once complete and synced, so a crash
// never leaves a partial archive under a good name. Reading checks every frame, every part's size and
// digest and that nothing is missing or added, before the caller may use a byte of it.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { archiveKey, decryptFrames, encryptFrames, headerDigest, newArchiveKey, type CipherHeader, type KeySource } from '../../crypto/index.js';

export const MAGIC = 'STRATA-BACKUP 1';
export const FORMAT = 1;
const MAX_HEADER = 4096;

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface ManifestPart {
  /** Path inside the archive: `db/data.db`, `db/postgres.dump`, `keys/encryption.json`, `config/strata.yaml`. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: number;
  strata: string;
  createdAt: string;
  /** Where the records live: `sqlite` (data.db in the data directory), `postgres` or `mysql` (MariaDB/MySQL). */
  engine: 'sqlite' | 'postgres' | 'mysql';
  tablePrefix: string;
  parts: ManifestPart[];
  /** Rows per table at the backup's point, `<file or engine>:<table>`. */
  counts: Record<string, number>;
}

export interface PlainHeader {
  format: number;
  strata: string;
  createdAt: string;
  cipher: CipherHeader;
}

/** What a long step reports: a phase name and done/total in its own unit (bytes, pages, parts). */
export type Progress = (phase: string, done: number, total: number) => void;

/** Archive paths are relative, forward-slashed, inside one of the known folders: nothing can land outside the staging folder. */
const SAFE_PATH = /^(db|keys|tls|config|files)\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
export function safePartPath(p: string): boolean {
  return SAFE_PATH.test(p) && !p.split('/').some((s) => s === '.' || s === '..');
}

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/**
 * Writes `parts` (files on disk, by archive path) and the manifest into an encrypted archive at `file`.
 * @example
 * await writeArchive('/backups/strata-backup-2026-12-07T05-00-00Z.sbk', parts, manifest, { kind: 'passphrase', passphrase });
 */
export async function writeArchive(file: string, parts: { path: string; file: string }[], base: Omit<Manifest, 'parts'>, key: KeySource, progress?: Progress): Promise<Manifest> {
  for (const p of parts) if (!safePartPath(p.path)) throw new BackupError(`bad part path ${p.path}`);
  const { key: k, header } = await newArchiveKey(key);
  const plain: PlainHeader = { format: FORMAT, strata: base.strata, createdAt: base.createdAt, cipher: header };
  const headerBytes = Buffer.from(`${MAGIC}\n${JSON.stringify(plain)}\n`);
  const partial = `${file}.partial`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const fh = await open(partial, 'wx', 0o600);
  const total = (await Promise.all(parts.map((p) => stat(p.file)))).reduce((s, x) => s + x.size, 0);
  let done = 0;
  const manifest: Manifest = { ...base, parts: [] };
  try {
    await fh.write(headerBytes);
    const pack = tar.pack();
    const out = createWriteStream('', { fd: fh.fd, autoClose: false, start: headerBytes.length });
    const written = pipeline(pack, createGzip({ level: 3 }), encryptFrames(k, header, headerDigest(headerBytes)), out);
    for (const p of parts) {
      const size = (await stat(p.file)).size;
      const hash = createHash('sha256');
      const entry = pack.entry({ name: p.path, size, mode: 0o600, mtime: new Date(base.createdAt) });
      await pipeline(
        createReadStream(p.file),
        counter((n) => {
          done += n;
          progress?.('archive', done, total);
        }),
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            hash.update(chunk);
            cb(null, chunk);
          },
        }),
        entry,
      );
      manifest.parts.push({ path: p.path, bytes: size, sha256: hash.digest('hex') });
    }
    const m = Buffer.from(JSON.stringify(manifest, null, 2));
    pack.entry({ name: 'manifest.json', size: m.length, mode: 0o600, mtime: new Date(base.createdAt) }, m);
    pack.finalize();
    await written;
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw e;
  }
  await fh.close();
  await rename(partial, file);
  // The rename is durable once the folder is synced.
  const dir = await open(dirname(file), 'r');
  await dir.sync().catch(() => undefined);
  await dir.close();
  return manifest;
}

/** The plain header of an archive (no key needed): format and the Strata version that wrote it. */
export async function readHeader(file: string): Promise<{ header: PlainHeader; bytes: Buffer }> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new BackupError(e.code === 'ENOENT' ? `no archive at ${file}` : `cannot read ${file}: ${e.message}`);
  });
  try {
    const buf = Buffer.alloc(MAX_HEADER);
    const { bytesRead } = await fh.read(buf, 0, MAX_HEADER, 0);
    const text = buf.subarray(0, bytesRead).toString('latin1');
    const first = text.indexOf('\n');
    const second = first < 0 ? -1 : text.indexOf('\n', first + 1);
    if (first < 0 || text.slice(0, first) !== MAGIC || second < 0) throw new BackupError(`${file} is not a Strata backup archive (or its header is damaged)`);
    let header: PlainHeader;
    try {
      header = JSON.parse(text.slice(first + 1, second)) as PlainHeader;
    } catch {
      throw new BackupError(`${file}: the archive header is damaged`);
    }
    if (header.format !== FORMAT || typeof header.cipher !== 'object' || header.cipher === null) throw new BackupError(`${file}: archive format ${String(header.format)} is not one this Strata reads`);
    return { header, bytes: buf.subarray(0, second + 1) };
  } finally {
    await fh.close();
  }
}

/**
 * Decrypts, decompresses and unpacks an archive into `into` (a fresh folder), checking every frame and every
 * part against the manifest; throws (and leaves `into` for the caller to remove) on any mismatch.
 */
export async function extractArchive(file: string, key: KeySource, into: string, progress?: Progress): Promise<Manifest> {
  const { header, bytes } = await readHeader(file);
  const k = await archiveKey(key, header.cipher);
  const size = (await stat(file)).size;
  await mkdir(into, { recursive: true, mode: 0o700 });
  const seen = new Map<string, { bytes: number; sha256: string }>();
  let manifestText: string | undefined;
  let read = 0;
  const extract = tar.extract();
  // The entry being written: on a failure it is let settle before the caller removes the folder.
  let current: Promise<unknown> = Promise.resolve();
  let stopped = false;
  extract.on('entry', (h, stream, next) => {
    const name = h.name;
    // A failure elsewhere destroys this entry too, maybe before a pipeline holds it: its error is the pipeline's.
    stream.on('error', () => undefined);
    // After a failure nothing more is written: the caller is removing the folder.
    if (stopped) {
      stream.resume();
      return;
    }
    const fail = (m: string) => {
      stream.resume();
      extract.destroy(new BackupError(m));
    };
    if (h.type !== 'file') return fail(`the archive holds an entry that is not a file (${name})`);
    if (seen.has(name) || (name === 'manifest.json' && manifestText !== undefined)) return fail(`the archive holds ${name} twice`);
    if (name === 'manifest.json') {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        manifestText = Buffer.concat(chunks).toString('utf8');
        next();
      });
      return;
    }
    if (!safePartPath(name)) return fail(`the archive holds an entry outside the known folders (${name.slice(0, 100)})`);
    const dest = normalize(join(into, ...name.split('/')));
    if (!dest.startsWith(normalize(into) + sep)) return fail(`unsafe path ${name}`);
    const hash = createHash('sha256');
    let n = 0;
    // The entry is a tar-stream (streamx) stream: when a failure elsewhere destroys it mid-copy, Node 22 and
    // later's pipeline() does not see that close as premature and never settles (Node 20 does). So its close
    // before its end ends the copy here, with an error.
    let ended = false;
    let cut: (() => void) | undefined;
    stream.once('end', () => (ended = true));
    stream.once('close', () => {
      if (!ended) cut?.();
    });
    current = mkdir(dirname(dest), { recursive: true, mode: 0o700 })
      .then(async () => {
        if (stopped) throw new BackupError('stopped');
        const file = createWriteStream(dest, { mode: 0o600, flags: 'wx' });
        // Settled only once the file is closed: a failed read must not race the caller's cleanup.
        const closed = new Promise<void>((r) => file.once('close', () => r()));
        const hashing = new Transform({
          transform(chunk: Buffer, _e, cb) {
            hash.update(chunk);
            n += chunk.length;
            cb(null, chunk);
          },
        });
        try {
          const entryCut = () => hashing.destroy(new BackupError('stopped'));
          if ((stream as { destroyed?: boolean }).destroyed && !ended) throw new BackupError('stopped');
          cut = entryCut;
          await pipeline(stream, hashing, file);
        } catch (e) {
          file.destroy();
          await closed;
          throw e;
        }
      })
      .then(() => {
        seen.set(name, { bytes: n, sha256: hash.digest('hex') });
        next();
      }, (e: Error) => extract.destroy(e));
  });
  await pipeline(
    createReadStream(file, { start: bytes.length }),
    counter((n) => {
      read += n;
      progress?.('read', read, size - bytes.length);
    }),
    decryptFrames(k, header.cipher, headerDigest(bytes)),
    createGunzip(),
    extract,
  ).catch(async (e: unknown) => {
    stopped = true;
    await current.catch(() => undefined);
    if ((e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' || (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') throw new BackupError('the archive is damaged (its compressed data is corrupt)');
    throw e;
  });
  if (manifestText === undefined) throw new BackupError('the archive has no manifest (incomplete)');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestText) as Manifest;
  } catch {
    throw new BackupError('the archive manifest is damaged');
  }
  if (manifest.format !== FORMAT || !Array.isArray(manifest.parts)) throw new BackupError('the archive manifest is not one this Strata reads');
  for (const p of manifest.parts) {
    const got = seen.get(p.path);
    if (!got) throw new BackupError(`the archive lacks ${p.path}, listed in its manifest`);
    if (got.bytes !== p.bytes || got.sha256 !== p.sha256) throw new BackupError(`${p.path} does not match its checksum in the manifest`);
    seen.delete(p.path);
  }
  if (seen.size > 0) throw new BackupError(`the archive holds parts its manifest does not list: ${[...seen.keys()].join(', ')}`);
  return manifest;
}
