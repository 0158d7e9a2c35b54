// Dropping a column that carries a foreign key on SQLite: ALTER TABLE DROP COLUMN refuses such a
// column, so the table is rebuilt (sqlite.org/lang_altertable.html#otheralter: create the new
// table, copy, drop, rename, recreate indexes and triggers). The migration lock runs this with
// foreign_keys OFF (set before its transaction), so dropping the old table cascades nothing, and
// checks `PRAGMA foreign_key_check` before it commits.
import { sql } from 'kysely';
import type { Db } from './dialects/dialect.js';

interface ColumnInfo {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

interface ForeignKeyInfo {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string;
  on_update: string;
  on_delete: string;
}

const ACTIONS = new Set(['CASCADE', 'RESTRICT', 'SET NULL', 'SET DEFAULT', 'NO ACTION']);
const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;

/**
 * Rebuilds `table` without `column`, keeping every other column, primary key, foreign key, index
 * and trigger. Must run inside the migration lock (foreign_keys OFF, one transaction).
 *
 * @example
 * await sqliteDropColumn(conn, 'posts', 'author');
 */
export async function sqliteDropColumn(db: Db, table: string, column: string): Promise<void> {
  const cols = (await sql<ColumnInfo>`SELECT * FROM pragma_table_info(${table})`.execute(db)).rows;
  if (!cols.some((c) => c.name === column)) return;
  const fks = (await sql<ForeignKeyInfo>`SELECT * FROM pragma_foreign_key_list(${table})`.execute(db)).rows;
  if (fks.some((f) => f.seq > 0)) throw new Error(`composite foreign keys on ${table} are not supported by the rebuild`);
  // indexes and triggers go with the old table: keep their text (those naming the dropped column are
  // dropped by the plan before this step, or die with it)
  const extras = (await sql<{ sql: string; name: string }>`SELECT name, sql FROM sqlite_schema WHERE tbl_name = ${table} AND type IN ('index', 'trigger') AND sql IS NOT NULL`.execute(db)).rows;
  const keep = cols.filter((c) => c.name !== column);
  const pk = keep.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const defs = keep.map((c) => {
    let d = `${quote(c.name)} ${c.type}`;
    if (c.notnull) d += ' NOT NULL';
    if (c.dflt_value !== null) d += ` DEFAULT ${c.dflt_value}`; // SQLite's own text of the default expression
    if (pk.length === 1 && c.pk === 1) d += ' PRIMARY KEY';
    const fk = fks.find((f) => f.from === c.name);
    if (fk) {
      const onDelete = ACTIONS.has(fk.on_delete) ? fk.on_delete : 'NO ACTION';
      const onUpdate = ACTIONS.has(fk.on_update) ? fk.on_update : 'NO ACTION';
      d += ` REFERENCES ${quote(fk.table)} (${quote(fk.to ?? 'id')}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}`;
    }
    return d;
  });
  if (pk.length > 1) defs.push(`PRIMARY KEY (${pk.map((c) => quote(c.name)).join(', ')})`);
  const tmp = `${table}__strata_rebuild`;
  const list = keep.map((c) => quote(c.name)).join(', ');
  // identifiers come from the database's own catalog and are quoted; no user value is spliced in
  await sql.raw(`DROP TABLE IF EXISTS ${quote(tmp)}`).execute(db);
  await sql.raw(`CREATE TABLE ${quote(tmp)} (${defs.join(', ')})`).execute(db);
  // rowid kept: the full-text index (FTS5 external content) is keyed by it
  await sql.raw(`INSERT INTO ${quote(tmp)} (rowid, ${list}) SELECT rowid, ${list} FROM ${quote(table)}`).execute(db);
  await sql.raw(`DROP TABLE ${quote(table)}`).execute(db);
  await sql.raw(`ALTER TABLE ${quote(tmp)} RENAME TO ${quote(table)}`).execute(db);
  for (const x of extras) {
    if (new RegExp(`\\b${column}\\b`).test(x.sql.replace(/^[^(]*\(/, ''))) continue; // names the dropped column
    await sql.raw(x.sql).execute(db);
  }
}
