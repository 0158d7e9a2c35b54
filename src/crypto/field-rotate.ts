// Re-encryption of stored field values under the current key (the engine of `strata keys rotate`): pure over an
// async row source, idempotent, resumable from a cursor, reporting progress. Storage stays with the caller.
import { ENCRYPTED_PREFIX, type FieldCipher } from './field-crypto.js';
import { DecryptionError } from './errors.js';

export interface EncryptedRow {
  /** Opaque, ordered position of the row (e.g. its primary key); passed back to resume after it. */
  cursor: string;
  /** Encrypted column values (null/absent values are skipped). */
  fields: Record<string, string | null>;
  /** Associated data per field, as used when the value was written. */
  aad?: Record<string, string>;
}

export interface RotationProgress {
  /** Rows seen so far in this run. */
  scanned: number;
  /** Rows rewritten so far in this run. */
  rewritten: number;
  /** Cursor of the last row fully handled: persist it and pass it as `after` to resume. */
  cursor: string | null;
}

export interface RotationOptions {
  cipher: FieldCipher;
  /** Rows in cursor order strictly after `after` (null = from the start). */
  rows(after: string | null): AsyncIterable<EncryptedRow>;
  /** Persist new values for one row; called only when something changed. */
  write(cursor: string, fields: Record<string, string>): Promise<void>;
  after?: string | null;
  onProgress?: (p: RotationProgress) => void | Promise<void>;
  /** Stop early (e.g. on SIGINT): the returned cursor resumes where it stopped. */
  signal?: AbortSignal;
  /** Also encrypt values that are not encrypted yet (a field newly marked `encrypted`). Default false: left alone. */
  encryptPlaintext?: boolean;
}

/**
 * Re-encrypt every value not yet under the current key. Values already current are left alone, so a run that
 * was interrupted, even without its cursor, is safe to repeat.
 *
 * @example
 * const done = await reencryptRows({ cipher, rows: (after) => db.scanEncrypted(after), write: db.updateFields, after: saved });
 */
export async function reencryptRows(opts: RotationOptions): Promise<RotationProgress & { complete: boolean }> {
  const progress: RotationProgress = { scanned: 0, rewritten: 0, cursor: opts.after ?? null };
  for await (const row of opts.rows(progress.cursor)) {
    if (opts.signal?.aborted) return { ...progress, complete: false };
    const updates: Record<string, string> = {};
    for (const [name, value] of Object.entries(row.fields)) {
      if (value === null || value === undefined) continue;
      const kid = opts.cipher.keyIdOf(value);
      // Looks encrypted but does not parse: corrupt or tampered. Stop rather than skip or wrap it.
      if (kid === undefined && value.startsWith(ENCRYPTED_PREFIX)) throw new DecryptionError();
      if (kid === opts.cipher.currentKid || (kid === undefined && !opts.encryptPlaintext)) continue;
      const aad = row.aad?.[name];
      const plain = kid === undefined ? value : opts.cipher.decrypt(value, aad);
      updates[name] = opts.cipher.encrypt(plain, aad);
    }
    if (Object.keys(updates).length > 0) {
      await opts.write(row.cursor, updates);
      progress.rewritten++;
    }
    progress.scanned++;
    progress.cursor = row.cursor;
    await opts.onProgress?.({ ...progress });
  }
  return { ...progress, complete: true };
}
