// Full-text search on a collection's `fullText` fields, per engine: SQLite FTS5 (external content
// table kept in sync by triggers, bm25 rank), PostgreSQL tsvector generated column + GIN index
// (ts_rank), MySQL/MariaDB FULLTEXT index on a lower-cased generated column (MATCH ... AGAINST, boolean mode).
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Collection } from './collection-model.js';
import type { SqlDialect } from './dialects/dialect.js';
import type { TableNames } from './table-names.js';

export interface FullTextMatch {
  where: RawBuilder<SqlBool>;
  /** Higher is more relevant; undefined when the search has no words (it matches nothing). */
  rank?: RawBuilder<unknown>;
}

const ftsTable = (names: TableNames, c: string) => `${names.record(c)}__fts`;
const ftsIndex = (names: TableNames, c: string) => names.index(names.record(c), ['fts'], false);

/** Words of a search, reduced to letters and digits (nothing reaches the engine's query syntax). */
export function searchWords(query: string): string[] {
  return (query.normalize('NFKC').match(/[\p{L}\p{N}_]+/gu) ?? []).slice(0, 16);
}

export function fullTextFor(d: SqlDialect, names: TableNames) {
  return (c: Collection, alias: string, query: string): FullTextMatch => {
    const words = searchWords(query);
    // No letters or digits: a defined empty match (no rank: a constant ORDER BY term is a column position in SQL).
    if (words.length === 0) return { where: sql<SqlBool>`1 = 0` };
    if (d.name === 'sqlite') {
      const fts = sql.table(ftsTable(names, c.name));
      const match = words.map((w) => `"${w}"`).join(' ');
      return {
        where: sql<SqlBool>`${sql.ref(`${alias}.rowid`)} IN (SELECT rowid FROM ${fts} WHERE ${fts} MATCH ${match})`,
        rank: sql`(SELECT -bm25(${fts}) FROM ${fts} WHERE ${fts} MATCH ${match} AND rowid = ${sql.ref(`${alias}.rowid`)})`,
      };
    }
    if (d.name === 'postgres') {
      const tsq = sql`plainto_tsquery('simple', ${words.join(' ')})`;
      return { where: sql<SqlBool>`${sql.ref(`${alias}._fts`)} @@ ${tsq}`, rank: sql`ts_rank(${sql.ref(`${alias}._fts`)}, ${tsq})` };
    }
    const against = words.map((w) => `+${w.toLowerCase()}`).join(' ');
    const m = sql`MATCH (${sql.ref(`${alias}._fts`)}) AGAINST (${against} IN BOOLEAN MODE)`;
    return { where: sql<SqlBool>`${m}`, rank: m };
  };
}

/** DDL that creates the full-text structures of a collection (after its columns exist). */
export function addFullTextDdl(d: SqlDialect, names: TableNames, c: Collection): RawBuilder<unknown>[] {
  if (c.fullText.length === 0) return [];
  const t = names.record(c.name);
  const cols = c.fullText;
  if (d.name === 'sqlite') {
    const fts = ftsTable(names, c.name);
    const list = sql.join(cols.map((f) => sql.id(f)));
    const nw = sql.join(cols.map((f) => sql.ref(`new.${f}`)));
    const old = sql.join(cols.map((f) => sql.ref(`old.${f}`)));
    const trg = (s: string) => sql.id(`${fts}_${s}`);
    return [
      sql`CREATE VIRTUAL TABLE ${sql.table(fts)} USING fts5(${list}, content=${sql.lit(t)}, content_rowid='rowid')`,
      sql`CREATE TRIGGER ${trg('ai')} AFTER INSERT ON ${sql.table(t)} BEGIN INSERT INTO ${sql.table(fts)} (rowid, ${list}) VALUES (new.rowid, ${nw}); END`,
      sql`CREATE TRIGGER ${trg('ad')} AFTER DELETE ON ${sql.table(t)} BEGIN INSERT INTO ${sql.table(fts)} (${sql.table(fts)}, rowid, ${list}) VALUES ('delete', old.rowid, ${old}); END`,
      sql`CREATE TRIGGER ${trg('au')} AFTER UPDATE ON ${sql.table(t)} BEGIN INSERT INTO ${sql.table(fts)} (${sql.table(fts)}, rowid, ${list}) VALUES ('delete', old.rowid, ${old}); INSERT INTO ${sql.table(fts)} (rowid, ${list}) VALUES (new.rowid, ${nw}); END`,
      sql`INSERT INTO ${sql.table(fts)} (${sql.table(fts)}) VALUES ('rebuild')`,
    ];
  }
  if (d.name === 'postgres') {
    const doc = sql.join(cols.map((f) => sql`coalesce(${sql.id(f)}, '')`), sql` || ' ' || `);
    return [
      sql`ALTER TABLE ${sql.table(t)} ADD COLUMN _fts tsvector GENERATED ALWAYS AS (to_tsvector('simple', ${doc})) STORED`,
      sql`CREATE INDEX ${sql.id(ftsIndex(names, c.name))} ON ${sql.table(t)} USING GIN (_fts)`,
    ];
  }
  // tables are utf8mb4_bin (case-sensitive), so index a lower-cased copy and search lower-case words
  return [
    sql`ALTER TABLE ${sql.table(t)} ADD COLUMN _fts LONGTEXT AS (LOWER(CONCAT_WS(' ', ${sql.join(cols.map((f) => sql.id(f)))}))) STORED`,
    sql`CREATE FULLTEXT INDEX ${sql.id(ftsIndex(names, c.name))} ON ${sql.table(t)} (_fts)`,
  ];
}

export function dropFullTextDdl(d: SqlDialect, names: TableNames, c: Collection): RawBuilder<unknown>[] {
  if (c.fullText.length === 0) return [];
  const t = names.record(c.name);
  if (d.name === 'sqlite') {
    const fts = ftsTable(names, c.name);
    return [...['ai', 'ad', 'au'].map((s) => sql`DROP TRIGGER IF EXISTS ${sql.id(`${fts}_${s}`)}`), sql`DROP TABLE IF EXISTS ${sql.table(fts)}`];
  }
  if (d.name === 'postgres') return [sql`ALTER TABLE ${sql.table(t)} DROP COLUMN IF EXISTS _fts`];
  return [sql`ALTER TABLE ${sql.table(t)} DROP COLUMN _fts`];
}
