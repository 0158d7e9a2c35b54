// Runtime WAF exclusions (added from the admin UI/API) kept in the data database, so they survive a
// restart and every instance sharing the database reads the same list. The WAF capability owns
// their meaning; here each is an opaque JSON object under its id.
import { sql } from 'kysely';
import type { Db, SqlDialect } from './dialects/dialect.js';
import type { TableNames } from './table-names.js';

export interface StoredWafExclusion {
  id: string;
  /** The exclusion as the WAF describes it (rules, route, parameter, collection, field, note...). */
  value: Record<string, unknown>;
  createdAt: string;
}

export interface WafExclusionStore {
  /** Creates the table when missing (idempotent; several instances may race at start). */
  ensure(): Promise<void>;
  /** Every entry, oldest first. */
  list(): Promise<StoredWafExclusion[]>;
  add(id: string, value: Record<string, unknown>): Promise<StoredWafExclusion>;
  /** false when no entry had this id. */
  remove(id: string): Promise<boolean>;
}

export const wafExclusionTable = (names: TableNames) => `${names.prefix}_strata_waf_exclusions`;

/**
 * @example
 * const store = sqlWafExclusionStore(() => ({ db: data.db, dialect: data.dialect, names: data.names }));
 * await store.ensure();
 */
export function sqlWafExclusionStore(data: () => { db: Db; dialect: SqlDialect; names: TableNames }): WafExclusionStore {
  const table = () => wafExclusionTable(data().names);
  return {
    async ensure() {
      const { db, dialect } = data();
      const long = dialect.name === 'mysql' ? 'LONGTEXT' : 'TEXT';
      const create = sql`CREATE TABLE IF NOT EXISTS ${sql.table(table())} (
        id VARCHAR(40) NOT NULL PRIMARY KEY,
        definition ${sql.raw(long)} NOT NULL,
        created_at VARCHAR(32) NOT NULL
      )${sql.raw(dialect.tableOptions)}`;
      try {
        await create.execute(db);
      } catch (err) {
        // PostgreSQL: two instances creating the same table at once; the loser sees a duplicate type. Retry once.
        await create.execute(db).catch(() => Promise.reject(err));
      }
    },
    async list() {
      const rows = await data().db.selectFrom(table()).select(['id', 'definition', 'created_at']).orderBy('created_at').orderBy('id').execute();
      return rows.map((r) => ({ id: String(r.id), value: JSON.parse(String(r.definition)) as Record<string, unknown>, createdAt: String(r.created_at) }));
    },
    async add(id, value) {
      const createdAt = new Date().toISOString();
      await data().db.insertInto(table()).values({ id, definition: JSON.stringify(value), created_at: createdAt }).execute();
      return { id, value, createdAt };
    },
    async remove(id) {
      const r = await data().db.deleteFrom(table()).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
