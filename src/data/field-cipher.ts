// Field encryption at rest as the data layer sees it: a tiny cipher contract (crypto's AES-256-GCM
// FieldCipher satisfies it), value sealing bound to collection/field/record id, and the start-up key check.
import { sql } from 'kysely';
import { StrataError } from '../core/index.js';
import type { Collection, Field } from './collection-model.js';
import type { Db } from './dialects/dialect.js';
import { QueryParamError } from './errors.js';
import type { TableNames } from './table-names.js';

/** What the records service needs to encrypt field values; `aad` binds a ciphertext to its place. */
export interface ValueCipher {
  encrypt(plaintext: string, aad?: string): string;
  /** Throws on a wrong key, a wrong `aad` or any tampering. */
  decrypt(stored: string, aad?: string): string;
  /** Key id of a stored value (for error messages and rotation), undefined if it is not one. */
  keyIdOf?(stored: string): string | undefined;
}

/** Stored values of encrypted fields start with this (crypto's `enc:v1:<kid>:...` format). */
export const SEALED_PREFIX = 'enc:v1:';

/** Field types that may be encrypted: those stored as text (json as its JSON text). */
export const ENCRYPTABLE = new Set(['text', 'email', 'url', 'select', 'json']);

/** Associated data of one value: a ciphertext copied to another record, field or collection does not decrypt. */
export const aadOf = (collection: string, field: string, id: string): string => `${collection}/${field}/${id}`;

/** A start-up or run-time refusal about encryption keys or an unusable cipher. */
export class FieldEncryptionError extends StrataError {
  constructor(detail: string) {
    super(500, 'strata/field-encryption', 'Field Encryption Error', detail);
    this.name = 'FieldEncryptionError';
  }
}

function need(cipher: ValueCipher | undefined, c: Collection, f: Field): ValueCipher {
  if (!cipher) throw new FieldEncryptionError(`${c.name}.${f.name} is encrypted but no field encryption key is configured.`);
  return cipher;
}

/** The column value of an encrypted field (the value is already in its stored text form). */
export function sealValue(cipher: ValueCipher | undefined, c: Collection, f: Field, id: string, text: string): string {
  return need(cipher, c, f).encrypt(text, aadOf(c.name, f.name, id));
}

/**
 * The stored text of an encrypted field. Values written before the field was marked `encrypted` are still
 * plaintext and pass through until `strata keys rotate` encrypts them.
 */
export function openValue(cipher: ValueCipher | undefined, c: Collection, f: Field, id: string, stored: string): string {
  if (!stored.startsWith(SEALED_PREFIX)) return stored;
  return need(cipher, c, f).decrypt(stored, aadOf(c.name, f.name, id));
}

/** 400 for a query that would need the plaintext of an encrypted field inside the database. */
export function refuseEncrypted(param: string, f: Field, what: string, position?: number): never {
  throw new QueryParamError(param, `"${f.name}" is encrypted at rest, so it cannot be ${what} (the database only holds ciphertext)`, position);
}

/**
 * Start-up check: the first and last stored value of every encrypted field must decrypt with the configured
 * keys, so a lost key file or a wrong STRATA_ENCRYPTION_KEY stops start-up instead of failing every read.
 *
 * @example
 * await checkFieldKeys(db, names, collections, cipher);
 */
export async function checkFieldKeys(db: Db, names: TableNames, collections: readonly Collection[], cipher: ValueCipher | undefined): Promise<void> {
  for (const c of collections) {
    for (const f of c.fields.filter((x) => x.encrypted)) {
      if (!cipher) throw new FieldEncryptionError(`${c.name}.${f.name} is encrypted but no field encryption key is configured.`);
      for (const dir of ['asc', 'desc'] as const) {
        const row = await db
          .selectFrom(names.record(c.name))
          .select(['id', sql.ref(f.name).as('v')])
          .where(sql.ref(f.name), 'like', `${SEALED_PREFIX}%`)
          .orderBy('id', dir)
          .limit(1)
          .executeTakeFirst();
        if (!row) break;
        try {
          cipher.decrypt(String(row.v), aadOf(c.name, f.name, String(row.id)));
        } catch {
          const kid = cipher.keyIdOf?.(String(row.v));
          throw new FieldEncryptionError(
            `cannot decrypt stored values of ${c.name}.${f.name}${kid ? ` (encrypted with key id ${kid})` : ''} with the configured field encryption keys: ` +
              'restore the key file (auth.encryption.keyFile, default <dataDir>/keys/encryption.json) or set STRATA_ENCRYPTION_KEY to the right key(s)',
          );
        }
      }
    }
  }
}

/**
 * A record as events carry it (outbox, bus, webhooks): encrypted fields sealed again (a fresh nonce, the
 * same record-bound `aad`), so their plaintext never leaves a response to a caller allowed to view it.
 */
export function sealRecord(c: Collection, rec: Record<string, unknown>, cipher: ValueCipher | undefined): Record<string, unknown> {
  if (c.type !== 'base' || !c.fields.some((f) => f.encrypted)) return rec;
  const out = { ...rec };
  for (const f of c.fields) {
    const v = out[f.name];
    if (!f.encrypted || v === null || v === undefined) continue;
    const text = f.type === 'json' ? JSON.stringify(v) : String(v);
    if (!text.startsWith(SEALED_PREFIX)) out[f.name] = sealValue(cipher, c, f, String(rec.id), text);
  }
  return out;
}

/** The plaintext record of an event's sealed record (the inverse of sealRecord). */
export function openRecord(c: Collection, rec: Record<string, unknown>, cipher: ValueCipher | undefined): Record<string, unknown> {
  if (c.type !== 'base' || !c.fields.some((f) => f.encrypted)) return rec;
  const out = { ...rec };
  for (const f of c.fields) {
    const v = out[f.name];
    if (!f.encrypted || typeof v !== 'string' || !v.startsWith(SEALED_PREFIX)) continue;
    const text = openValue(cipher, c, f, String(rec.id), v);
    out[f.name] = f.type === 'json' ? (JSON.parse(text) as unknown) : text;
  }
  return out;
}
