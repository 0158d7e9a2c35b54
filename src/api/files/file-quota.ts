// Per-collection quotas of file storage (`files.quotas`): the total bytes and the number of files a
// collection's records may hold, counted from storage (thumbnails not counted). A write that would go
// past a quota is refused, and what it uploaded is deleted: 413 for bytes, 409 for the number of files.
import type { Collection } from '../../data/index.js';
import type { BlobStore } from '../../storage/index.js';
import { FileQuotaError } from './errors.js';

export interface FileQuota {
  collection: string;
  /** Most bytes of all the collection's files together; 0 = no limit. */
  maxBytes: number;
  /** Most files; 0 = no limit. */
  maxFiles: number;
}

export interface QuotaUsage {
  bytes: number;
  files: number;
}

/** What a collection's files use now, leaving out `except` (keys a write is about to drop). */
export async function quotaUsage(store: BlobStore, collection: string, except: ReadonlySet<string> = new Set()): Promise<QuotaUsage> {
  let bytes = 0;
  let files = 0;
  for (const b of await store.list(`${collection}/`)) {
    const parts = b.key.split('/');
    if (parts.length !== 3 || except.has(b.key)) continue;
    bytes += b.bytes;
    files++;
  }
  return { bytes, files };
}

export type QuotaCheck = (c: Collection, add: QuotaUsage, except?: ReadonlySet<string>) => Promise<void>;

/**
 * Throws FileQuotaError when the collection's usage (from storage, less `except`) plus `add` passes its quota.
 *
 * @example
 * const check = quotaCheck(() => store, [{ collection: 'docs', maxBytes: 10_000_000, maxFiles: 0 }]);
 * await check(c, { bytes: upload.size, files: 1 });
 */
export function quotaCheck(store: () => BlobStore, quotas: readonly FileQuota[]): QuotaCheck {
  const by = new Map(quotas.map((q) => [q.collection, q]));
  return async (c, add, except) => {
    const q = by.get(c.name);
    if (!q || (q.maxBytes === 0 && q.maxFiles === 0)) return;
    const used = await quotaUsage(store(), c.name, except);
    if (q.maxBytes > 0 && used.bytes + add.bytes > q.maxBytes) throw new FileQuotaError(413, c.name, `bytes (${used.bytes} used of ${q.maxBytes})`);
    if (q.maxFiles > 0 && used.files + add.files > q.maxFiles) throw new FileQuotaError(409, c.name, `files (${used.files} held of ${q.maxFiles})`);
  };
}
