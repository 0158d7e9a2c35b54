// multipart/form-data for records (RFC 7578) through busboy: text parts collected, file parts sniffed
// from their first bytes, checked against the field, and streamed to blob storage while their size is
// counted (never held whole in memory). On any problem the files already stored are removed.
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { FieldError } from '../../core/index.js';
import type { Collection, Field } from '../../data/index.js';
import type { BlobStore } from '../../storage/index.js';
import { sniff, SNIFF_BYTES, typeAllowed } from './content-type.js';
import { FileTooLargeError, FileUploadError } from './errors.js';
import { fileKey, storedName } from './file-names.js';

export interface StoredUpload {
  field: string;
  /** `field` replaces the field's files; `field+` appends to them. */
  append: boolean;
  name: string;
  key: string;
  bytes: number;
  mime: string;
}

export interface ParsedUpload {
  /** Text parts by name, in order (repeated names: several values). */
  text: Map<string, string[]>;
  files: StoredUpload[];
  /** Every file part as the client sent it (part name, file name, claimed type), for the WAF. */
  fileParts: { part: string; filename: string; mime: string }[];
}

export interface UploadLimits {
  /** Most file parts in one request. */
  maxFiles: number;
  /** Most text parts in one request. */
  maxFields: number;
  /** Largest text part in bytes. */
  maxFieldBytes: number;
}

/** Reads the first SNIFF_BYTES (or all, when shorter) of `s` and leaves the rest unread (paused). */
function head(s: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const finish = () => {
      s.pause();
      s.off('data', onData);
      s.off('end', finish);
      s.off('error', reject);
      resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      n += c.length;
      if (n >= SNIFF_BYTES) finish();
    };
    s.on('data', onData);
    s.once('end', finish);
    s.once('error', reject);
  });
}

function fileField(c: Collection, part: string): { field: Field | undefined; append: boolean } {
  const append = part.endsWith('+');
  const name = append ? part.slice(0, -1) : part;
  const f = c.fields.find((x) => x.name === name);
  return { field: f?.type === 'file' ? f : undefined, append };
}

/**
 * @example
 * const up = await parseUpload(req.raw, c, store, id, { maxFiles: 100, maxFields: 1000, maxFieldBytes: 1 << 20 });
 */
export async function parseUpload(raw: IncomingMessage, c: Collection, store: BlobStore, recordId: string, limits: UploadLimits): Promise<ParsedUpload> {
  const maxSize = Math.max(1, ...c.fields.map((f) => f.file?.maxSize ?? 0));
  const text = new Map<string, string[]>();
  const files: StoredUpload[] = [];
  const fileParts: ParsedUpload['fileParts'] = [];
  const errors: FieldError[] = [];
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
  };
  const work: Promise<void>[] = [];

  const order = new Map<StoredUpload, number>();
  let parts = 0;
  async function storeFile(part: string, stream: Readable, filename: string): Promise<void> {
    const at = parts++;
    const { field: f, append } = fileField(c, part);
    if (!f) {
      stream.resume();
      errors.push({ field: part, message: 'is not a file field of this collection' });
      return;
    }
    const first = await head(stream);
    if (first.length === 0) {
      stream.resume();
      errors.push({ field: f.name, message: `${JSON.stringify(filename.slice(0, 100))} is empty` });
      return;
    }
    const type = await sniff(first, filename);
    if (!typeAllowed(type.mime, f.file!.mimeTypes)) {
      stream.resume();
      errors.push({ field: f.name, message: `is ${type.mime} by its content; allowed: ${f.file!.mimeTypes.join(', ')}` });
      return;
    }
    if (failure || errors.length > 0) {
      stream.resume();
      return;
    }
    const name = storedName(filename, type.ext);
    const key = fileKey(c.name, recordId, name);
    const max = f.file!.maxSize;
    let bytes = first.length;
    const body = new PassThrough();
    const tooLarge = () => body.destroy(new FileTooLargeError(f.name, max));
    if (bytes > max) {
      stream.resume();
      throw new FileTooLargeError(f.name, max);
    }
    if (stream.readableEnded) body.end(first);
    else {
      body.write(first);
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > max) {
          stream.unpipe(body);
          stream.resume();
          tooLarge();
        }
      });
      stream.on('limit', tooLarge);
      stream.pipe(body);
    }
    try {
      await store.put(key, body, { contentType: type.mime });
      const stored = { field: f.name, append, name, key, bytes, mime: type.mime };
      order.set(stored, at);
      files.push(stored);
    } catch (e) {
      stream.resume();
      await store.delete(key).catch(() => undefined);
      throw e instanceof FileTooLargeError ? e : (body.errored instanceof FileTooLargeError ? body.errored : e);
    }
  }

  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: raw.headers, preservePath: true, limits: { files: limits.maxFiles, fields: limits.maxFields, fieldSize: limits.maxFieldBytes, fileSize: maxSize + 1, parts: limits.maxFiles + limits.maxFields } });
  } catch {
    throw new FileUploadError('The body is not multipart/form-data with a boundary.', [{ field: '', message: 'malformed multipart body' }]);
  }
  const done = new Promise<void>((resolve) => {
    bb.on('file', (part, stream, info) => {
      fileParts.push({ part, filename: info.filename ?? '', mime: info.mimeType ?? '' });
      work.push(storeFile(part, stream, info.filename ?? '').catch(fail));
    });
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) errors.push({ field: name, message: `is longer than ${limits.maxFieldBytes} bytes` });
      else text.set(name, [...(text.get(name) ?? []), value]);
    });
    bb.on('filesLimit', () => errors.push({ field: '', message: `more than ${limits.maxFiles} files in one request` }));
    bb.on('fieldsLimit', () => errors.push({ field: '', message: `more than ${limits.maxFields} text parts in one request` }));
    bb.on('partsLimit', () => errors.push({ field: '', message: `more than ${limits.maxFiles + limits.maxFields} parts in one request` }));
    bb.on('error', (e) => {
      fail(new FileUploadError('The multipart body is malformed.', [{ field: '', message: (e as Error).message.slice(0, 200) }]));
      resolve();
    });
    bb.on('close', resolve);
  });
  raw.pipe(bb);
  await done;
  await Promise.all(work);
  if (failure || errors.length > 0) {
    raw.unpipe(bb);
    raw.resume();
    await Promise.all(files.map((x) => store.delete(x.key).catch(() => undefined)));
    if (failure) throw failure;
    throw new FileUploadError(`${errors.length} problem(s) with the upload.`, errors);
  }
  // In the request's order (S3 uploads may finish out of order).
  files.sort((a, b) => order.get(a)! - order.get(b)!);
  return { text, files, fileParts };
}
