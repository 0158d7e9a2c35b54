// Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph, R2...): streamed multipart uploads
// (never held whole in memory), paged listings, path-style addressing for self-hosted endpoints.
import type { Readable } from 'node:stream';
import { checkKey, StorageError, StorageNotFoundError, type BlobInfo, type BlobStore } from './blob-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (`backups/`); '' for the root. */
  prefix?: string;
  /** Endpoint of a self-hosted S3 (`http://127.0.0.1:9000`); empty for AWS. */
  endpoint?: string;
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), as most self-hosted S3 servers need. */
  forcePathStyle?: boolean;
  /** Credentials; without them the SDK's default chain (AWS_ACCESS_KEY_ID... environment, profiles, roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * @example
 * const store = await s3BlobStore({ bucket: 'backups', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
 */
export async function s3BlobStore(o: S3StoreOptions): Promise<BlobStore> {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.bucket)) throw new StorageError(`invalid S3 bucket name ${JSON.stringify(o.bucket)}`);
  const prefix = o.prefix ? (o.prefix.endsWith('/') ? o.prefix : `${o.prefix}/`) : '';
  if (prefix) checkKey(prefix.slice(0, -1));
  const s3 = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const client = new s3.S3Client({
    region: o.region || 'us-east-1',
    endpoint: o.endpoint || undefined,
    forcePathStyle: o.forcePathStyle ?? Boolean(o.endpoint),
    credentials: o.accessKeyId && o.secretAccessKey ? { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } : undefined,
  });
  const full = (key: string) => prefix + checkKey(key);
  const missing = (e: unknown) => {
    const x = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    return x.name === 'NoSuchKey' || x.name === 'NotFound' || x.$metadata?.httpStatusCode === 404;
  };
  const store: BlobStore = {
    kind: 's3',
    where: `s3://${o.bucket}/${prefix}`,
    async put(key, body, opts) {
      const up = new Upload({ client, params: { Bucket: o.bucket, Key: full(key), Body: body, ContentType: opts?.contentType ?? 'application/octet-stream' }, queueSize: 2, partSize: 8 * 1024 * 1024 });
      await up.done();
      const h = await store.head(key);
      if (!h) throw new StorageError(`s3://${o.bucket}/${full(key)}: not there after the upload`);
      return h;
    },
    async get(key, range) {
      try {
        const r = await client.send(new s3.GetObjectCommand({ Bucket: o.bucket, Key: full(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
        return r.Body as Readable;
      } catch (e) {
        if (missing(e)) throw new StorageNotFoundError(key);
        throw e;
      }
    },
    async head(key) {
      try {
        const r = await client.send(new s3.HeadObjectCommand({ Bucket: o.bucket, Key: full(key) }));
        return { key, bytes: Number(r.ContentLength ?? 0), modified: r.LastModified ?? new Date(0) };
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    async list(p = '') {
      const out: BlobInfo[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new s3.ListObjectsV2Command({ Bucket: o.bucket, Prefix: prefix + p, ContinuationToken: token }));
        for (const x of r.Contents ?? []) if (x.Key) out.push({ key: x.Key.slice(prefix.length), bytes: Number(x.Size ?? 0), modified: x.LastModified ?? new Date(0) });
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.key < b.key ? -1 : 1));
    },
    async delete(key) {
      await client.send(new s3.DeleteObjectCommand({ Bucket: o.bucket, Key: full(key) }));
    },
    async close() {
      client.destroy();
    },
  };
  return store;
}
