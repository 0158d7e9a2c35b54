// Reconciles storage with records after a crash: files no record references (an upload whose record
// was never written, a record deleted or updated before its old files went) are deleted once older than
// the grace period, which protects uploads whose record is still being written.
import { NotFoundError } from '../../core/index.js';
import { fileNamesOf, type RecordsService } from '../../data/index.js';
import type { BlobStore } from '../../storage/index.js';

export interface SweepResult {
  checked: number;
  deleted: string[];
}

/**
 * @example
 * const { deleted } = await sweepFiles(store, data.records, 3_600_000);
 */
export async function sweepFiles(store: BlobStore, records: RecordsService, graceMs: number, now = Date.now()): Promise<SweepResult> {
  await store.sweepPartial?.(graceMs);
  const blobs = await store.list();
  const deleted: string[] = [];
  const held = new Map<string, Set<string> | undefined>();
  for (const b of blobs) {
    const parts = b.key.split('/');
    const [collection, record] = parts;
    // `<collection>/<record>/<name>`, or a thumbnail `<collection>/<record>/thumbs/<size>_<name>` (it goes with its file).
    const name = parts.length === 3 ? parts[2] : parts.length === 4 && parts[2] === 'thumbs' ? parts[3]!.slice(parts[3]!.indexOf('_') + 1) : undefined;
    if (!collection || !record || !name) continue; // not a file field's key
    if (now - b.modified.getTime() < graceMs) continue;
    const at = `${collection}/${record}`;
    if (!held.has(at)) {
      const c = records.collections.get(collection);
      let names: Set<string> | undefined;
      if (c) {
        try {
          names = new Set(fileNamesOf(c.fields, (await records.get(collection, record)).record));
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
      }
      held.set(at, names);
    }
    if (held.get(at)?.has(name)) continue;
    await store.delete(b.key);
    deleted.push(b.key);
  }
  return { checked: blobs.length, deleted };
}
