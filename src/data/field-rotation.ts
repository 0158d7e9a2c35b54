// The SQL side of `strata keys rotate`: the collections with encrypted values stored, the check that the present
// keys read them, and per collection a count, id-ordered pages and batch writes fenced on the value read.
import { sql } from 'kysely';
import type { Collection } from './collection-model.js';
import { openDatabase } from './database-open.js';
import type { Db } from './dialects/dialect.js';
import { checkFieldKeys, type ValueCipher } from './field-cipher.js';
import { storedCollections } from './admin-collection-store.js';
import { existingTables } from './table-list.js';
import { tableNames } from './table-names.js';
import { credentialsTable, totpAad } from './auth-tables/accounts.js';

/** The encrypted fields of one collection's table. */
export interface EncryptedRows {
  readonly fields: string[];
  /** Rows in the table; with `upTo`, those with an id up to it. */
  count(upTo?: string): Promise<number>;
  /** Up to `limit` rows after the id `after`, by id; values as stored text (JSON text for non-strings). */
  page(after: string | null, limit: number): Promise<Array<{ id: string; values: Record<string, string | null> }>>;
  /** One transaction; each value is written only where it is still the one read (a concurrent write is newer and wins). */
  write(rows: Array<{ id: string; values: Record<string, string>; read: Record<string, string | null> }>): Promise<void>;
}

export interface FieldRotationSource {
  /** Declared collections, then stored ones not declared. */
  readonly collections: Collection[];
  /** Fails when stored values do not decrypt with `cipher` (a lost key file, a wrong env key). */
  checkKeys(cipher: ValueCipher): Promise<void>;
  /** Undefined when the collection has no encrypted field or no table yet (not migrated: nothing stored). */
  rows(c: Collection): EncryptedRows | undefined;
  /**
   * Re-encrypt every sealed TOTP secret of every auth collection not under `cipher`'s current key (`strata keys
   * rotate` would otherwise leave them under the old key). Each row is written only where it is still the value read.
   */
  totpSecrets(cipher: ValueCipher & { currentKid: string }): Promise<{ scanned: number; rewritten: number }>;
  close(): Promise<void>;
}

export interface FieldRotationOptions {
  data: { url: string; busyTimeout: number; tablePrefix: string };
  dataDir: string;
  declared: Collection[];
  /** Collections kept outside strata.yaml (default: the admin API's, from the database). */
  extraCollections?: (db: Db) => Promise<Collection[]>;
}

/**
 * @example
 * const source = await openFieldRotation({ data: config.data, dataDir, declared: normalizeCollections(config.collections) });
 */
export async function openFieldRotation(o: FieldRotationOptions): Promise<FieldRotationSource> {
  const { db } = await openDatabase({ url: o.data.url, dataDir: o.dataDir, poolSize: 2, busyTimeout: o.data.busyTimeout });
  const names = tableNames(o.data.tablePrefix);
  try {
    const extra = await (o.extraCollections ?? ((d: Db) => storedCollections(d, o.data.tablePrefix)))(db);
    const collections = [...o.declared, ...extra.filter((c) => !o.declared.some((d) => d.name === c.name))];
    const tables = await existingTables(db, collections.map((c) => names.record(c.name)));
    return {
      collections,
      checkKeys: (cipher) => checkFieldKeys(db, names, collections.filter((c) => tables.has(names.record(c.name))), cipher),
      rows(c) {
        const fields = c.fields.filter((f) => f.encrypted).map((f) => f.name);
        const table = names.record(c.name);
        if (fields.length === 0 || !tables.has(table)) return undefined;
        return {
          fields,
          async count(upTo) {
            let q = db.selectFrom(table).select(sql<number>`COUNT(*)`.as('n'));
            if (upTo !== undefined) q = q.where('id', '<=', upTo);
            return Number((await q.executeTakeFirstOrThrow()).n);
          },
          async page(after, limit) {
            let q = db.selectFrom(table).select(['id', ...fields]).orderBy('id').limit(limit);
            if (after !== null) q = q.where('id', '>', after);
            const page = (await q.execute()) as Array<Record<string, unknown>>;
            return page.map((r) => {
              const values: Record<string, string | null> = {};
              for (const f of fields) {
                const v = r[f];
                values[f] = v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
              }
              return { id: String(r.id), values };
            });
          },
          async write(rows) {
            await db.transaction().execute(async (tx) => {
              for (const r of rows) {
                for (const [f, v] of Object.entries(r.values)) {
                  await tx.updateTable(table).set({ [f]: v }).where('id', '=', r.id).where(f, '=', r.read[f]).execute();
                }
              }
            });
          },
        };
      },
      async totpSecrets(cipher) {
        const table = credentialsTable(o.data.tablePrefix);
        const out = { scanned: 0, rewritten: 0 };
        if (!(await existingTables(db, [table])).has(table)) return out;
        const rows = (await db.selectFrom(table).select(['collection', 'record_id', 'totp_secret']).where('totp_secret', 'is not', null).execute()) as Array<Record<string, unknown>>;
        for (const r of rows) {
          out.scanned++;
          const stored = String(r.totp_secret);
          if (cipher.keyIdOf?.(stored) === cipher.currentKid) continue;
          const aad = totpAad(String(r.collection), String(r.record_id));
          const next = cipher.encrypt(cipher.decrypt(stored, aad), aad);
          await db.updateTable(table).set({ totp_secret: next }).where('collection', '=', r.collection as string).where('record_id', '=', r.record_id as string).where('totp_secret', '=', stored).execute();
          out.rewritten++;
        }
        return out;
      },
      close: () => db.destroy(),
    };
  } catch (e) {
    await db.destroy();
    throw e;
  }
}
