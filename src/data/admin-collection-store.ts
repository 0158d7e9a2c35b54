// Collections managed over the admin API, kept in the data database beside the records: one row per collection
// (its `collections:` entry as JSON, extra keys passed through untouched) and a schema version every change
// bumps, which other instances poll to pick the change up.
import { sql } from 'kysely';
import type { CollectionConfig } from '../config/schema-data.js';
import { normalizeCollections, type Collection } from './collection-model.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import { tableNames, type TableNames } from './table-names.js';
import { existingTables } from './table-list.js';

export const storeTables = (names: TableNames) => ({ defs: `${names.prefix}_strata_collections`, version: `${names.prefix}_strata_schema` });

/** Creates the two tables when missing (idempotent; safe under the migration lock or outside it). */
export async function ensureStore(db: Db, dialect: SqlDialect, names: TableNames): Promise<void> {
  const t = storeTables(names);
  const long = dialect.name === 'mysql' ? 'LONGTEXT' : 'TEXT';
  const big = dialect.name === 'sqlite' ? 'INTEGER' : 'BIGINT';
  await sql`CREATE TABLE IF NOT EXISTS ${sql.table(t.defs)} (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    definition ${sql.raw(long)} NOT NULL,
    updated_at ${sql.raw(dialect.dateType)} NOT NULL
  )${sql.raw(dialect.tableOptions)}`.execute(db);
  await sql`CREATE TABLE IF NOT EXISTS ${sql.table(t.version)} (
    id INTEGER NOT NULL PRIMARY KEY,
    version ${sql.raw(big)} NOT NULL
  )${sql.raw(dialect.tableOptions)}`.execute(db);
}

async function tableExists(db: Db, name: string): Promise<boolean> {
  return (await existingTables(db, [name])).has(name);
}

/** The stored entries, by name order; [] when the store was never created. */
export async function loadStored(db: Db, names: TableNames): Promise<CollectionConfig[]> {
  const t = storeTables(names);
  if (!(await tableExists(db, t.defs))) return [];
  const rows = await db.selectFrom(t.defs).select(['name', 'definition']).orderBy('name').execute();
  return rows.map((r) => JSON.parse(String(r.definition)) as CollectionConfig);
}

/** Current schema version (0 before any API change). */
export async function schemaVersion(db: Db, names: TableNames): Promise<number> {
  const row = await db.selectFrom(storeTables(names).version).select('version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.version ?? 0);
}

/** Writes (or with `definition` undefined, deletes) one entry and bumps the version; run inside the migration lock. */
export async function saveStored(db: Db, names: TableNames, name: string, definition: CollectionConfig | undefined): Promise<number> {
  const t = storeTables(names);
  await db.deleteFrom(t.defs).where('name', '=', name).execute();
  if (definition) await db.insertInto(t.defs).values({ name, definition: JSON.stringify(definition), updated_at: new Date().toISOString() }).execute();
  const next = (await schemaVersion(db, names)) + 1;
  const r = await db.updateTable(t.version).set({ version: next }).where('id', '=', 1).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) await db.insertInto(t.version).values({ id: 1, version: next }).execute();
  return next;
}

/**
 * The API-managed collections, normalized (for tools such as `strata keys rotate` that open the database alone).
 *
 * @example
 * const extra = await storedCollections(db, config.data.tablePrefix);
 */
export async function storedCollections(db: Db, tablePrefix: string): Promise<Collection[]> {
  const stored = await loadStored(db, tableNames(tablePrefix));
  if (stored.length === 0) return [];
  // Relations may point at strata.yaml collections: resolve against stubs of any name referenced.
  const known = new Set(stored.map((c) => c.name));
  // (`_`-prefixed names are system collections, which normalizeCollections adds itself.)
  const stubs = [...new Set(stored.flatMap((c) => (c.fields ?? []).flatMap((f) => (f.collection && !known.has(f.collection) && !f.collection.startsWith('_') ? [f.collection] : []))))].map((name) => ({ name }));
  return normalizeCollections([...stored, ...stubs] as CollectionConfig[]).filter((c) => known.has(c.name));
}
