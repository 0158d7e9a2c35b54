// Blob storage behind one interface: the data directory (default) or an S3-compatible object store.
// Backups use it for their archives, file fields for uploads. Keys are relative paths of
// safe segments (letters, digits, `._-`), never `..`: a key cannot reach outside the store.
import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  bytes: number;
  modified: Date;
}

/** Bytes `start` to `end`, both inclusive (as in HTTP Range). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  /** `local` or `s3`, for messages. */
  readonly kind: 'local' | 's3';
  /** Where it is, for messages (`/var/strata/backups`, `s3://bucket/prefix/`). */
  readonly where: string;
  /** Stores `body` under `key`, streamed; visible to readers only once complete. */
  put(key: string, body: Readable | Buffer, opts?: { contentType?: string }): Promise<BlobInfo>;
  /** The blob's bytes (only `start`..`end`, inclusive, when a range is given); StorageNotFoundError when there is none. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Blobs whose key starts with `prefix`, in key order. */
  list(prefix?: string): Promise<BlobInfo[]>;
  /** Removes the blob (no error when it is not there). */
  delete(key: string): Promise<void>;
  /**
   * Deletes what unfinished puts left (a crash mid-upload) older than `olderThanMs`; returns how many.
   * Local files only: an S3 multipart upload never completed is not an object (a bucket lifecycle rule
   * aborts those).
   */
  sweepPartial?(olderThanMs: number): Promise<number>;
  close(): Promise<void>;
}

export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

export class StorageNotFoundError extends StorageError {
  constructor(key: string) {
    super(`no blob ${key}`);
    this.name = 'StorageNotFoundError';
  }
}

const SEGMENT = /^[A-Za-z0-9._-]{1,200}$/;

/** Throws unless `key` is a relative path of safe segments. */
export function checkKey(key: string): string {
  const parts = typeof key === 'string' ? key.split('/') : [];
  if (parts.length === 0 || parts.length > 16 || key.length > 1024 || !parts.every((p) => SEGMENT.test(p) && p !== '.' && p !== '..')) {
    throw new StorageError(`invalid blob key ${JSON.stringify(String(key).slice(0, 100))}`);
  }
  return key;
}
