// What each collection's files take in storage, kept in the data database so every instance sharing it
// admits uploads against one count (files.quotas). A ledger row per counted file (its key and size) and a
// usage row per collection (the ledger's totals); admission is one conditional UPDATE of the usage row
// (`bytes + n <= max`): the database orders concurrent admissions, and one that does not fit changes nothing.
import { sql } from 'kysely';
import type { Db, SqlDialect } from './dialects/dialect.js';
import type { TableNames } from './table-names.js';

export interface FileUsage {
  bytes: number;
  files: number;
}

export interface FileUsageLimits {
  /** 0 = no limit. */
  maxBytes: number;
  maxFiles: number;
}

export type FileAdmission = { admitted: true } | { admitted: false; used: FileUsage; over: 'bytes' | 'files' };

export interface FileUsageStore {
  /** Creates the tables when missing (idempotent; several instances may race at start). */
  ensure(): Promise<void>;
  usage(collection: string): Promise<FileUsage>;
  /**
   * Counts `own` (new files, with their sizes) against the limits in one step, leaving out `except`
   * (counted files the write drops) and adding `extra` (bytes/files not stored yet, checked only).
   * Nothing is counted when it does not fit.
   */
  admit(collection: string, limits: FileUsageLimits, own: readonly { key: string; bytes: number }[], except: readonly string[], extra?: FileUsage): Promise<FileAdmission>;
  /** Stops counting these keys (their files were deleted); keys not counted are ignored. */
  release(keys: readonly string[]): Promise<void>;
  /**
   * Makes the collection's count match storage: counted keys not in `stored` are released, `settled`
   * keys (files records hold) not counted are added, and the usage row is recomputed from the ledger.
   */
  reconcile(collection: string, stored: ReadonlySet<string>, settled: readonly { key: string; bytes: number }[]): Promise<{ released: number; added: number }>;
}

export const fileUsageTables = (names: TableNames) => ({ usage: `${names.prefix}_strata_file_usage`, ledger: `${names.prefix}_strata_file_ledger` });

const NO_LIMIT = Number.MAX_SAFE_INTEGER;
const collectionOf = (key: string) => key.slice(0, key.indexOf('/'));

/**
 * @example
 * const usage = sqlFileUsageStore(() => ({ db: data.db, dialect: data.dialect, names: data.names }));
 * await usage.ensure();
 * const r = await usage.admit('docs', { maxBytes: 1e9, maxFiles: 0 }, [{ key: 'docs/abc12/a_0123456789.pdf', bytes: 1500 }], []);
 */
export function sqlFileUsageStore(data: () => { db: Db; dialect: SqlDialect; names: TableNames }): FileUsageStore {
  const t = () => fileUsageTables(data().names);
  const num = (v: unknown) => Number(v ?? 0);

  /** The usage row exists before any statement updates it (a failed INSERT would end a PostgreSQL transaction). */
  async function ensureRow(collection: string): Promise<void> {
    const { db } = data();
    const has = await db.selectFrom(t().usage).select('collection').where('collection', '=', collection).executeTakeFirst();
    if (has) return;
    await db.insertInto(t().usage).values({ collection, bytes: 0, files: 0 }).execute().catch(() => undefined); // another instance made it
  }

  async function usage(collection: string, db: Db = data().db): Promise<FileUsage> {
    const r = await db.selectFrom(t().usage).select(['bytes', 'files']).where('collection', '=', collection).executeTakeFirst();
    return { bytes: num(r?.bytes), files: num(r?.files) };
  }

  const store: FileUsageStore = {
    async ensure() {
      const { db, dialect } = data();
      const statements = [
        sql`CREATE TABLE IF NOT EXISTS ${sql.table(t().usage)} (
          collection VARCHAR(200) NOT NULL PRIMARY KEY,
          bytes BIGINT NOT NULL,
          files BIGINT NOT NULL
        )${sql.raw(dialect.tableOptions)}`,
        sql`CREATE TABLE IF NOT EXISTS ${sql.table(t().ledger)} (
          file_key VARCHAR(700) NOT NULL PRIMARY KEY,
          collection VARCHAR(200) NOT NULL,
          bytes BIGINT NOT NULL
        )${sql.raw(dialect.tableOptions)}`,
      ];
      for (const create of statements) {
        try {
          await create.execute(db);
        } catch (err) {
          // PostgreSQL: two instances creating the same table at once; the loser sees a duplicate type. Retry once.
          await create.execute(db).catch(() => Promise.reject(err));
        }
      }
    },
    usage: (collection) => usage(collection),
    async admit(collection, limits, own, except, extra = { bytes: 0, files: 0 }) {
      await ensureRow(collection);
      const maxBytes = limits.maxBytes > 0 ? limits.maxBytes : NO_LIMIT;
      const maxFiles = limits.maxFiles > 0 ? limits.maxFiles : NO_LIMIT;
      const refused = (used: FileUsage, dropped: FileUsage): FileAdmission | undefined => {
        const newBytes = own.reduce((a, o) => a + o.bytes, 0);
        if (used.bytes - dropped.bytes + newBytes + extra.bytes > maxBytes) return { admitted: false, used, over: 'bytes' };
        if (used.files - dropped.files + own.length + extra.files > maxFiles) return { admitted: false, used, over: 'files' };
        return undefined;
      };
      const droppedBy = async (db: Db): Promise<FileUsage> => {
        if (except.length === 0) return { bytes: 0, files: 0 };
        const r = await db.selectFrom(t().ledger).select([sql<number>`COALESCE(SUM(bytes), 0)`.as('bytes'), sql<number>`COUNT(*)`.as('files')]).where('collection', '=', collection).where('file_key', 'in', [...except]).executeTakeFirst();
        return { bytes: num(r?.bytes), files: num(r?.files) };
      };
      if (own.length === 0) {
        const db = data().db;
        return refused(await usage(collection, db), await droppedBy(db)) ?? { admitted: true };
      }
      class Refused extends Error {
        constructor(readonly answer: FileAdmission) {
          super('refused');
        }
      }
      // The dropped files are counted ones (stable while the write that drops them runs): read before the transaction.
      const dropped = await droppedBy(data().db);
      try {
        await data().db.transaction().execute(async (trx) => {
          const newBytes = own.reduce((a, o) => a + o.bytes, 0);
          // One statement decides: the row changes only when the files fit, whatever other instances do meanwhile.
          const r = await trx
            .updateTable(t().usage)
            .set({ bytes: sql`bytes + ${newBytes}`, files: sql`files + ${own.length}` })
            .where('collection', '=', collection)
            .where(sql<boolean>`bytes + ${newBytes + extra.bytes - dropped.bytes} <= ${maxBytes}`)
            .where(sql<boolean>`files + ${own.length + extra.files - dropped.files} <= ${maxFiles}`)
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) !== 1) throw new Refused(refused(await usage(collection, trx), dropped) ?? { admitted: false, used: await usage(collection, trx), over: 'bytes' });
          await trx.insertInto(t().ledger).values(own.map((o) => ({ file_key: o.key, collection, bytes: o.bytes }))).execute();
        });
      } catch (e) {
        if (e instanceof Refused) return e.answer;
        throw e;
      }
      return { admitted: true };
    },
    async release(keys) {
      for (const key of keys) {
        const row = await data().db.selectFrom(t().ledger).select(['collection', 'bytes']).where('file_key', '=', key).executeTakeFirst();
        if (!row) continue;
        await data().db.transaction().execute(async (trx) => {
          // Two instances deleting the same file: only the one whose DELETE removed the row gives its bytes back.
          const d = await trx.deleteFrom(t().ledger).where('file_key', '=', key).executeTakeFirst();
          if (Number(d.numDeletedRows) !== 1) return;
          await trx
            .updateTable(t().usage)
            .set({ bytes: sql`bytes - ${num(row.bytes)}`, files: sql`files - 1` })
            .where('collection', '=', String(row.collection))
            .execute();
        });
      }
    },
    async reconcile(collection, stored, settled) {
      await ensureRow(collection);
      const counted = await data().db.selectFrom(t().ledger).select('file_key').where('collection', '=', collection).execute();
      const have = new Set(counted.map((r) => String(r.file_key)));
      const gone = [...have].filter((k) => !stored.has(k));
      await store.release(gone);
      const missing = settled.filter((s) => !have.has(s.key) && collectionOf(s.key) === collection);
      for (const m of missing) await data().db.insertInto(t().ledger).values({ file_key: m.key, collection, bytes: m.bytes }).execute().catch(() => undefined);
      // The totals again from the ledger, the usage row locked first (a no-op write) so no admission interleaves.
      await data().db.transaction().execute(async (trx) => {
        await trx.updateTable(t().usage).set({ bytes: sql`bytes` }).where('collection', '=', collection).execute();
        const sum = await trx.selectFrom(t().ledger).select([sql<number>`COALESCE(SUM(bytes), 0)`.as('bytes'), sql<number>`COUNT(*)`.as('files')]).where('collection', '=', collection).executeTakeFirst();
        await trx.updateTable(t().usage).set({ bytes: num(sum?.bytes), files: num(sum?.files) }).where('collection', '=', collection).execute();
      });
      return { released: gone.length, added: missing.length };
    },
  };
  return store;
}
