// Streamed authenticated encryption for archives (backups): AES-256-GCM over 64 KiB frames, each with its
// own nonce (a random prefix and the frame's counter) and tag, bound to the archive's header and to its
// position, the last one marked final. A frame changed, dropped, reordered or cut off, or a wrong key,
// fails the read with ArchiveCipherError before any of its bytes are passed on.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (password: string | Buffer, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

const FRAME = 64 * 1024;
const TAG = 16;
/** Frame head: plaintext length (uint32 BE) and a final flag (1 byte). */
const HEAD = 5;

export class ArchiveCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveCipherError';
  }
}

/** How the archive key was made: from a passphrase (scrypt, parameters kept) or a 32-byte key file. */
export type KeySource = { kind: 'passphrase'; passphrase: string } | { kind: 'key'; key: Buffer };

export interface CipherHeader {
  /** `scrypt` (passphrase) or `key` (raw 32-byte key). */
  kdf: 'scrypt' | 'key';
  salt?: string;
  N?: number;
  r?: number;
  p?: number;
  /** HMAC of a fixed label under the key: a wrong key or passphrase is told apart from a damaged archive. */
  check: string;
  /** The 4 random bytes every frame nonce starts with (base64). */
  nonce: string;
}

const CHECK_LABEL = 'strata-archive-key-check';
const checkOf = (key: Buffer) => createHmac('sha256', key).update(CHECK_LABEL).digest('base64').slice(0, 22);

/** A new key and the header that lets a reader derive it again. */
export async function newArchiveKey(src: KeySource): Promise<{ key: Buffer; header: CipherHeader }> {
  const nonce = randomBytes(4).toString('base64');
  if (src.kind === 'key') {
    if (src.key.length !== 32) throw new ArchiveCipherError('the backup key must be 32 bytes (base64 in its file)');
    return { key: src.key, header: { kdf: 'key', check: checkOf(src.key), nonce } };
  }
  if (src.passphrase.length < 12) throw new ArchiveCipherError('the backup passphrase must have at least 12 characters');
  const salt = randomBytes(16);
  const params = { N: 1 << 15, r: 8, p: 1 };
  const key = await scrypt(src.passphrase, salt, 32, { ...params, maxmem: 64 * 1024 * 1024 });
  return { key, header: { kdf: 'scrypt', salt: salt.toString('base64'), ...params, check: checkOf(key), nonce } };
}

/** The key of an existing archive; ArchiveCipherError("wrong key") when the source does not match it. */
export async function archiveKey(src: KeySource, h: CipherHeader): Promise<Buffer> {
  let key: Buffer;
  if (h.kdf === 'scrypt') {
    if (src.kind !== 'passphrase') throw new ArchiveCipherError('this archive was encrypted with a passphrase, not a key file');
    if (!h.salt || !h.N || !h.r || !h.p || h.N > 1 << 20 || h.r > 32 || h.p > 16) throw new ArchiveCipherError('the archive header is damaged (key parameters)');
    key = await scrypt(src.passphrase, Buffer.from(h.salt, 'base64'), 32, { N: h.N, r: h.r, p: h.p, maxmem: 256 * 1024 * 1024 });
  } else {
    if (src.kind !== 'key') throw new ArchiveCipherError('this archive was encrypted with a key file, not a passphrase');
    key = src.key;
  }
  const want = Buffer.from(h.check ?? '');
  const got = Buffer.from(checkOf(key));
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw new ArchiveCipherError('wrong key or passphrase for this archive');
  return key;
}

function nonceOf(prefix: Buffer, counter: number): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0, 0, 4);
  n.writeBigUInt64BE(BigInt(counter), 4);
  return n;
}

function aadOf(headerDigest: Buffer, counter: number, final: boolean): Buffer {
  const a = Buffer.alloc(headerDigest.length + 9);
  headerDigest.copy(a);
  a.writeBigUInt64BE(BigInt(counter), headerDigest.length);
  a[headerDigest.length + 8] = final ? 1 : 0;
  return a;
}

/** The digest frames are bound to: the archive's whole plain header (any change to it fails every frame). */
export function headerDigest(headerBytes: Buffer): Buffer {
  return createHash('sha256').update(headerBytes).digest();
}

/** Encrypts a byte stream into frames; the last frame (possibly empty) is marked final. */
export function encryptFrames(key: Buffer, h: CipherHeader, digest: Buffer): Transform {
  const prefix = Buffer.from(h.nonce, 'base64');
  let counter = 0;
  let pending: Buffer[] = [];
  let size = 0;
  const seal = (plain: Buffer, final: boolean): Buffer => {
    const c = createCipheriv('aes-256-gcm', key, nonceOf(prefix, counter));
    c.setAAD(aadOf(digest, counter, final));
    const body = Buffer.concat([c.update(plain), c.final()]);
    const head = Buffer.alloc(HEAD);
    head.writeUInt32BE(plain.length, 0);
    head[4] = final ? 1 : 0;
    counter++;
    return Buffer.concat([head, body, c.getAuthTag()]);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      pending.push(chunk);
      size += chunk.length;
      while (size >= FRAME) {
        const all = Buffer.concat(pending);
        this.push(seal(all.subarray(0, FRAME), false));
        const rest = all.subarray(FRAME);
        pending = rest.length > 0 ? [rest] : [];
        size = rest.length;
      }
      cb();
    },
    flush(cb: TransformCallback) {
      this.push(seal(Buffer.concat(pending), true));
      cb();
    },
  });
}

/** Decrypts frames made by `encryptFrames`; fails on any change, a missing final frame or bytes after it. */
export function decryptFrames(key: Buffer, h: CipherHeader, digest: Buffer): Transform {
  const prefix = Buffer.from(h.nonce, 'base64');
  let counter = 0;
  let buf: Buffer = Buffer.alloc(0);
  let done = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        for (;;) {
          if (buf.length === 0) break;
          if (done) throw new ArchiveCipherError('the archive has bytes after its end (damaged or altered)');
          if (buf.length < HEAD) break;
          const len = buf.readUInt32BE(0);
          const final = buf[4] === 1;
          if (len > FRAME || buf[4] > 1) throw new ArchiveCipherError(`the archive is damaged (frame ${counter})`);
          const total = HEAD + len + TAG;
          if (buf.length < total) break;
          const d = createDecipheriv('aes-256-gcm', key, nonceOf(prefix, counter));
          d.setAAD(aadOf(digest, counter, final));
          d.setAuthTag(buf.subarray(HEAD + len, total));
          let plain: Buffer;
          try {
            plain = Buffer.concat([d.update(buf.subarray(HEAD, HEAD + len)), d.final()]);
          } catch {
            throw new ArchiveCipherError(`the archive is damaged or altered (frame ${counter} fails its check)`);
          }
          counter++;
          buf = buf.subarray(total);
          if (final) done = true;
          if (plain.length > 0) this.push(plain);
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      if (!done || buf.length > 0) cb(new ArchiveCipherError('the archive is truncated (its last part is missing)'));
      else cb();
    },
  });
}
