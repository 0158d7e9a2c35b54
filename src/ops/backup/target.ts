// Where archives end up: the local `backup.dir`, or an S3-compatible bucket (`backup.s3.bucket`), through the
// blob storage interface. An archive is always written locally first (as `.partial`, renamed when whole);
// with a bucket it is then uploaded and the local copy removed.
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { s3BlobStore, type BlobStore } from '../../storage/index.js';
import { archiveTime, keepers, type Keep } from './retention.js';

export interface S3Target {
  bucket: string;
  prefix: string;
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The bucket archives go to, or undefined when they stay in the local folder. */
export async function backupTarget(s3: S3Target): Promise<BlobStore | undefined> {
  if (!s3.bucket) return undefined;
  return s3BlobStore({ bucket: s3.bucket, prefix: s3.prefix, endpoint: s3.endpoint, region: s3.region, forcePathStyle: s3.forcePathStyle, accessKeyId: s3.accessKeyId || undefined, secretAccessKey: s3.secretAccessKey || undefined });
}

/** Uploads a finished archive and removes the local copy; returns where it is now. */
export async function uploadArchive(store: BlobStore, file: string): Promise<string> {
  const name = basename(file);
  await store.put(name, createReadStream(file), { contentType: 'application/octet-stream' });
  await rm(file, { force: true });
  return `${store.where}${name}`;
}

/** Downloads an archive by name from the store into `dest` (for verify and restore). */
export async function downloadArchive(store: BlobStore, name: string, dest: string): Promise<void> {
  await pipeline(await store.get(name), createWriteStream(dest, { mode: 0o600, flags: 'wx' }));
}

/** Archives in the store, newest first. */
export async function storedArchives(store: BlobStore): Promise<{ name: string; bytes: number; createdAt: string }[]> {
  return (await store.list())
    .filter((b) => !b.key.includes('/') && archiveTime(b.key) !== undefined)
    .map((b) => ({ name: b.key, bytes: b.bytes, createdAt: new Date(archiveTime(b.key)!).toISOString() }))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

/** Retention on the store: deletes the archives `keep` does not keep; returns their names. */
export async function pruneStore(store: BlobStore, keep: Keep): Promise<string[]> {
  const names = (await storedArchives(store)).map((a) => a.name);
  const kept = keepers(names, keep);
  const gone = names.filter((n) => !kept.has(n));
  for (const n of gone) await store.delete(n);
  return gone;
}
