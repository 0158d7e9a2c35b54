// Migration steps as DDL for one dialect. Identifiers come only from validated declarations
// and go through sql.id / sql.table; no user value is ever spliced into the text.
import { sql, type RawBuilder } from 'kysely';
import { hasColumn, type Collection, type Field } from './collection-model.js';
import type { SqlDialect } from './dialects/dialect.js';
import type { IndexSpec, MigrationStep } from './migration-plan.js';
import { isDestructive } from './migration-plan.js';
import type { TableNames } from './table-names.js';
import { addFullTextDdl, dropFullTextDdl } from './full-text.js';
import { jsonOperand, jsonSegments } from './filter-json.js';
import { sqliteDropColumn } from './sqlite-rebuild.js';
import type { Db } from './dialects/dialect.js';

/** A DDL statement, or a procedure that needs to read the catalog first (SQLite table rebuild). */
export type DdlStatement = RawBuilder<unknown> | ((db: Db) => Promise<void>);

const ON_DELETE = { cascade: 'CASCADE', restrict: 'RESTRICT', setNull: 'SET NULL' } as const;

export interface DdlContext {
  dialect: SqlDialect;
  names: TableNames;
}

function versionType(d: SqlDialect): string {
  return d.name === 'sqlite' ? 'INTEGER' : 'BIGINT';
}

function columnDef(ctx: DdlContext, f: Field): RawBuilder<unknown> {
  return sql`${sql.id(f.name)} ${sql.raw(ctx.dialect.columnType(f))} NULL`;
}

function createTable(ctx: DdlContext, c: Collection): RawBuilder<unknown>[] {
  const { dialect: d, names } = ctx;
  const cols: RawBuilder<unknown>[] = [
    sql`id ${sql.raw(d.idType)} NOT NULL PRIMARY KEY`,
    sql`created ${sql.raw(d.dateType)} NOT NULL`,
    sql`updated ${sql.raw(d.dateType)} NOT NULL`,
    sql`_version ${sql.raw(versionType(d))} NOT NULL DEFAULT 1`,
  ];
  if (c.type === 'document') cols.push(sql`data ${sql.raw(d.columnType({ type: 'json' } as Field))} NOT NULL`);
  else for (const f of c.fields) if (hasColumn(f) && f.type !== 'relation') cols.push(columnDef(ctx, f));
  return [sql`CREATE TABLE ${sql.table(names.record(c.name))} (${sql.join(cols)})${sql.raw(d.tableOptions)}`];
}

function linkTable(ctx: DdlContext, owner: string, f: Field): RawBuilder<unknown>[] {
  const { dialect: d, names } = ctx;
  const t = names.link(owner, f.name);
  const targetDelete = f.onDelete === 'restrict' ? 'RESTRICT' : 'CASCADE';
  return [
    sql`CREATE TABLE ${sql.table(t)} (
      owner_id ${sql.raw(d.idType)} NOT NULL,
      target_id ${sql.raw(d.idType)} NOT NULL,
      pos ${sql.raw(versionType(d))} NOT NULL,
      PRIMARY KEY (owner_id, target_id),
      CONSTRAINT ${sql.id(names.foreignKey(t, 'owner'))} FOREIGN KEY (owner_id) REFERENCES ${sql.table(names.record(owner))} (id) ON DELETE CASCADE,
      CONSTRAINT ${sql.id(names.foreignKey(t, 'target'))} FOREIGN KEY (target_id) REFERENCES ${sql.table(names.record(f.collection!))} (id) ON DELETE ${sql.raw(targetDelete)}
    )${sql.raw(d.tableOptions)}`,
    sql`CREATE INDEX ${sql.id(names.index(t, ['target_id'], false))} ON ${sql.table(t)} (target_id)`,
  ];
}

function addField(ctx: DdlContext, collection: string, f: Field): RawBuilder<unknown>[] {
  const { dialect: d, names } = ctx;
  if (f.type === 'relation' && f.multiple) return linkTable(ctx, collection, f);
  const t = sql.table(names.record(collection));
  if (f.type !== 'relation') return [sql`ALTER TABLE ${t} ADD COLUMN ${columnDef(ctx, f)}`];
  const ref = sql`${sql.table(names.record(f.collection!))} (id) ON DELETE ${sql.raw(ON_DELETE[f.onDelete])}`;
  if (d.name === 'mysql') {
    return [
      sql`ALTER TABLE ${t} ADD COLUMN ${columnDef(ctx, f)}, ADD CONSTRAINT ${sql.id(names.foreignKey(names.record(collection), f.name))} FOREIGN KEY (${sql.id(f.name)}) REFERENCES ${ref}`,
    ];
  }
  return [sql`ALTER TABLE ${t} ADD COLUMN ${columnDef(ctx, f)} REFERENCES ${ref}`];
}

function dropField(ctx: DdlContext, collection: string, f: Field): DdlStatement[] {
  const { dialect: d, names } = ctx;
  if (f.type === 'relation' && f.multiple) return [sql`DROP TABLE ${sql.table(names.link(collection, f.name))}`];
  const t = sql.table(names.record(collection));
  if (f.type === 'relation' && d.name === 'sqlite') {
    // SQLite cannot drop a column that carries a foreign key: rebuild the table without it (the
    // migration lock turns foreign keys off around the plan, so nothing cascades)
    return [(db) => sqliteDropColumn(db, names.record(collection), f.name)];
  }
  if (f.type === 'relation' && d.name === 'mysql') {
    return [
      sql`ALTER TABLE ${t} DROP FOREIGN KEY ${sql.id(names.foreignKey(names.record(collection), f.name))}`,
      sql`ALTER TABLE ${t} DROP COLUMN ${sql.id(f.name)}`,
    ];
  }
  return [sql`ALTER TABLE ${t} DROP COLUMN ${sql.id(f.name)}`];
}

const SYSTEM = new Set(['id', 'created', 'updated']);
/** MySQL/MariaDB index a JSON path through a virtual generated column (MariaDB has no functional indexes). */
const jsonColumn = (names: TableNames, t: string, path: string) => names.index(t, [path.replace(/[.-]/g, '_')], false).replace(/^ix_/, 'jx_');

function indexDdl(ctx: DdlContext, i: IndexSpec, create: boolean): RawBuilder<unknown>[] {
  const { dialect: d, names } = ctx;
  const t = names.record(i.collection);
  const name = sql.id(names.index(t, i.columns.map((c) => c.replace(/[.-]/g, '_')), i.unique));
  const paths = i.json ? i.columns.filter((c) => !SYSTEM.has(c)) : [];
  if (!create) {
    if (d.name !== 'mysql') return [sql`DROP INDEX ${name}`];
    return [sql`DROP INDEX ${name} ON ${sql.table(t)}`, ...paths.map((p) => sql`ALTER TABLE ${sql.table(t)} DROP COLUMN ${sql.id(jsonColumn(names, t, p))}`)];
  }
  const pre: RawBuilder<unknown>[] = [];
  const cols = i.columns.map((c) => {
    if (!i.json || SYSTEM.has(c)) return sql.id(c);
    const segs = jsonSegments(c.split('.'));
    if (d.name === 'sqlite') return sql`(${jsonOperand(d, sql.id('data'), segs, 'text')})`;
    if (d.name === 'postgres') return sql`(${jsonOperand(d, sql.id('data'), segs, 'text')})`;
    const gen = jsonColumn(names, t, c);
    pre.push(sql`ALTER TABLE ${sql.table(t)} ADD COLUMN ${sql.id(gen)} VARCHAR(255) AS (LEFT(${jsonOperand(d, sql.id('data'), segs, 'text')}, 255)) VIRTUAL`);
    return sql.id(gen);
  });
  const list = sql.join(cols);
  return [...pre, i.unique ? sql`CREATE UNIQUE INDEX ${name} ON ${sql.table(t)} (${list})` : sql`CREATE INDEX ${name} ON ${sql.table(t)} (${list})`];
}

/** The statements of one step, in order. */
export function stepDdl(ctx: DdlContext, s: MigrationStep): DdlStatement[] {
  const { dialect: d, names } = ctx;
  switch (s.kind) {
    case 'createCollection':
      return createTable(ctx, s.collection);
    case 'dropCollection': {
      const links = s.collection.fields.filter((f) => f.type === 'relation' && f.multiple).map((f) => sql`DROP TABLE ${sql.table(names.link(s.collection.name, f.name))}`);
      const cascade = d.name === 'postgres' ? sql` CASCADE` : sql``;
      const fts = d.name === 'sqlite' ? dropFullTextDdl(d, names, s.collection) : [];
      return [...fts, ...links, sql`DROP TABLE ${sql.table(names.record(s.collection.name))}${cascade}`];
    }
    case 'addField':
      return addField(ctx, s.collection, s.field);
    case 'dropField':
      return dropField(ctx, s.collection, s.field);
    case 'alterField': {
      if (isDestructive(s)) return [...dropField(ctx, s.collection, s.from), ...addField(ctx, s.collection, s.to)];
      const t = sql.table(names.record(s.collection));
      const type = sql.raw(d.columnType(s.to));
      if (d.name === 'postgres') return [sql`ALTER TABLE ${t} ALTER COLUMN ${sql.id(s.to.name)} TYPE ${type}`];
      if (d.name === 'mysql') return [sql`ALTER TABLE ${t} MODIFY ${sql.id(s.to.name)} ${type} NULL`];
      return []; // SQLite columns are dynamically typed: widening needs no DDL
    }
    case 'addIndex':
      return indexDdl(ctx, s.index, true);
    case 'dropIndex':
      return indexDdl(ctx, s.index, false);
    case 'addFullText':
      return addFullTextDdl(d, names, s.collection);
    case 'dropFullText':
      return dropFullTextDdl(d, names, s.collection);
  }
}

/** The history table: one row per applied plan, with the collections it left behind. */
export function historyDdl(ctx: DdlContext): RawBuilder<unknown> {
  const long = ctx.dialect.name === 'mysql' ? 'LONGTEXT' : 'TEXT';
  return sql`CREATE TABLE IF NOT EXISTS ${sql.table(ctx.names.history)} (
    id ${sql.raw(ctx.dialect.idType)} NOT NULL PRIMARY KEY,
    applied_at ${sql.raw(ctx.dialect.dateType)} NOT NULL,
    steps ${sql.raw(long)} NOT NULL,
    snapshot ${sql.raw(long)} NOT NULL
  )${sql.raw(ctx.dialect.tableOptions)}`;
}
