// Per-collection quotas of file storage (`files.quotas`): the total bytes and the number of files a
// collection's records may hold, counted from storage (thumbnails not counted). A write that would go
// past a quota is refused, and what it uploaded is deleted: 413 for bytes, 409 for the number of files.
//
// Uploads reach storage before their check (they stream there), so the check must tell an upload another
// request is still checking from a file a record holds. Within one process: a file put into a collection
// with a quota is "unadmitted" until its own request's check admits it; checks of one collection run one
// at a time; a check counts what storage holds less others' unadmitted files, plus its own. So of two
// concurrent uploads that do not both fit, the first checked is admitted (and counted from then on) and
// the second is refused. Across instances there is no shared ledger: each counts storage as it finds it.
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

/** What a collection's files use now, leaving out `except` (keys a write is about to drop) and `skip` (keys not counted). */
export async function quotaUsage(store: BlobStore, collection: string, except: ReadonlySet<string> = new Set(), skip?: (key: string) => boolean): Promise<QuotaUsage> {
  let bytes = 0;
  let files = 0;
  for (const b of await store.list(`${collection}/`)) {
    const parts = b.key.split('/');
    if (parts.length !== 3 || except.has(b.key) || skip?.(b.key)) continue;
    bytes += b.bytes;
    files++;
  }
  return { bytes, files };
}

/**
 * Throws FileQuotaError when the collection's usage plus `add` passes its quota; `own` are the keys the
 * calling write put in storage (counted, and admitted when the check passes), `except` the keys it drops.
 */
export type QuotaCheck = (c: Collection, add: QuotaUsage, except?: ReadonlySet<string>, own?: readonly string[]) => Promise<void>;

export interface FileQuotas {
  readonly check: QuotaCheck;
  /** The store uploads go through: a record file it puts into a collection with a quota is unadmitted until checked (or deleted). */
  track(store: BlobStore): BlobStore;
}

/**
 * @example
 * const quotas = fileQuotas([{ collection: 'docs', maxBytes: 10_000_000, maxFiles: 0 }]);
 * const store = quotas.track(blobStore);
 * await store.put(key, body);
 * await quotas.check(c, { bytes: 0, files: 0 }, new Set(), [key]);
 */
export function fileQuotas(quotas: readonly FileQuota[]): FileQuotas {
  const by = new Map(quotas.filter((q) => q.maxBytes > 0 || q.maxFiles > 0).map((q) => [q.collection, q]));
  /** Keys put by writes whose check has not admitted them yet (nor have they been deleted). */
  const unadmitted = new Set<string>();
  /** The tail of each collection's queue of checks. */
  const queues = new Map<string, Promise<unknown>>();
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
    const mine = new Set(own);
    const run = async () => {
      const used = await quotaUsage(store, c.name, except, (k) => unadmitted.has(k) && !mine.has(k));
      if (q.maxBytes > 0 && used.bytes + add.bytes > q.maxBytes) throw new FileQuotaError(413, c.name, `bytes (${used.bytes} used of ${q.maxBytes})`);
      if (q.maxFiles > 0 && used.files + add.files > q.maxFiles) throw new FileQuotaError(409, c.name, `files (${used.files} held of ${q.maxFiles})`);
      for (const k of mine) unadmitted.delete(k); // admitted: counted as storage by the checks that follow
    };
    const prev = queues.get(c.name) ?? Promise.resolve();
    const next = prev.then(run, run);
    const tail = next.catch(() => undefined);
    queues.set(c.name, tail);
    void tail.then(() => {
      if (queues.get(c.name) === tail) queues.delete(c.name);
    });
    return next;
  };

  return {
    check,
    track(store) {
      if (store === inner && tracked) return tracked;
      inner = store;
      tracked = {
        kind: store.kind,
        where: store.where,
        async put(key, body, opts) {
          if (!quotaOf(key)) return store.put(key, body, opts);
          unadmitted.add(key);
          try {
            return await store.put(key, body, opts);
          } catch (e) {
            unadmitted.delete(key);
            throw e;
          }
        },
        get: (key, range) => store.get(key, range),
        head: (key) => store.head(key),
        list: (prefix) => store.list(prefix),
        async delete(key) {
          await store.delete(key);
          unadmitted.delete(key);
        },
        ...(store.sweepPartial ? { sweepPartial: (ms: number) => store.sweepPartial!(ms) } : {}),
        close: () => store.close(),
      };
      return tracked;
    },
  };
}

