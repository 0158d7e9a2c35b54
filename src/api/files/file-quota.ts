// Per-collection quotas of file storage (`files.quotas`): the total bytes and the number of files a
// collection's records may hold (thumbnails not counted). A write that would go past a quota is refused,
// and what it uploaded is deleted: 413 for bytes, 409 for the number of files.
//
// The count lives in the data database (data/file-usage-store.ts), shared by every instance: an upload's
// files reach storage first (they stream there), then its check admits them in one conditional UPDATE,
// so of concurrent uploads that do not all fit, on any instances, the first admitted are kept and the
// rest refused. Until admitted a file counts for no one; a deleted file stops counting; the sweep
// reconciles the count with storage (files deleted behind Strata's back, files from before the quota).
import type { Collection, FileUsageStore } from '../../data/index.js';
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

/** What a collection's files take in storage (record files only: `<collection>/<record>/<name>`). */
export async function quotaUsage(store: BlobStore, collection: string): Promise<QuotaUsage> {
  let bytes = 0;
  let files = 0;
  for (const b of await store.list(`${collection}/`)) {
    if (b.key.split('/').length !== 3) continue;
    bytes += b.bytes;
    files++;
  }
  return { bytes, files };
}

/**
 * Throws FileQuotaError when the collection's usage plus `add` passes its quota; `own` are the keys the
 * calling write put in storage (counted from then on when the check passes), `except` the keys it drops.
 */
export type QuotaCheck = (c: Collection, add: QuotaUsage, except?: ReadonlySet<string>, own?: readonly string[]) => Promise<void>;

export interface FileQuotas {
  readonly check: QuotaCheck;
  /** The store uploads go through: deleting a counted file of a collection with a quota stops counting it. */
  track(store: BlobStore): BlobStore;
  /** Makes each quota's count match storage; files younger than `graceMs` are not added. */
  reconcile(graceMs: number, now?: number): Promise<{ released: number; added: number }>;
}

/**
 * @example
 * const quotas = fileQuotas([{ collection: 'docs', maxBytes: 10_000_000, maxFiles: 0 }], () => usageStore);
 * const store = quotas.track(blobStore);
 * await store.put(key, body);
 * await quotas.check(c, { bytes: 0, files: 0 }, new Set(), [key]);
 */
export function fileQuotas(quotas: readonly FileQuota[], usage: () => FileUsageStore): FileQuotas {
  const by = new Map(quotas.filter((q) => q.maxBytes > 0 || q.maxFiles > 0).map((q) => [q.collection, q]));
  let inner: BlobStore | undefined;
  let tracked: BlobStore | undefined;
  const quotaOf = (key: string) => {
    const parts = key.split('/');
    return parts.length === 3 ? by.get(parts[0]!) : undefined;
  };

  const check: QuotaCheck = async (c, add, except = new Set(), own = []) => {
    const q = by.get(c.name);
    if (!q || !inner) return;
    const store = inner;
    const sized: { key: string; bytes: number }[] = [];
    for (const key of new Set(own)) {
      const b = await store.head(key);
      if (b) sized.push({ key, bytes: b.bytes });
    }
    const r = await usage().admit(c.name, q, sized, [...except], add);
    if (r.admitted) return;
    if (r.over === 'bytes') throw new FileQuotaError(413, c.name, `bytes (${r.used.bytes} used of ${q.maxBytes})`);
    throw new FileQuotaError(409, c.name, `files (${r.used.files} held of ${q.maxFiles})`);
  };

  return {
    check,
    track(store) {
      if (store === inner && tracked) return tracked;
      inner = store;
      tracked = {
        kind: store.kind,
        where: store.where,
        put: (key, body, opts) => store.put(key, body, opts),
        get: (key, range) => store.get(key, range),
        head: (key) => store.head(key),
        list: (prefix) => store.list(prefix),
        async delete(key) {
          await store.delete(key);
          if (quotaOf(key)) await usage().release([key]);
        },
        ...(store.sweepPartial ? { sweepPartial: (ms: number) => store.sweepPartial!(ms) } : {}),
        close: () => store.close(),
      };
      return tracked;
    },
    async reconcile(graceMs, now = Date.now()) {
      let released = 0;
      let added = 0;
      if (!inner) return { released, added };
      for (const collection of by.keys()) {
        const files = (await inner.list(`${collection}/`)).filter((b) => b.key.split('/').length === 3);
        const settled = files.filter((b) => now - b.modified.getTime() >= graceMs).map((b) => ({ key: b.key, bytes: b.bytes }));
        const r = await usage().reconcile(collection, new Set(files.map((b) => b.key)), settled);
        released += r.released;
        added += r.added;
      }
      return { released, added };
    },
  };
}
