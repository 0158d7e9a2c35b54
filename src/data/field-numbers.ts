// Stable wire numbers for declared fields (Protocol Buffers field numbers, and any other format that
// numbers fields): assigned once per (collection, field, kind), kept while the field lives, never
// reused after it is dropped or its kind changes. Stored in `<prefix>_strata_field_numbers`, written
// by the migration (inside its lock), read by the data layer at start.
import { sql, type RawBuilder } from 'kysely';
import type { Collection, Field } from './collection-model.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import type { TableNames } from './table-names.js';

/** The numbering of one collection's declared fields. */
export interface FieldNumbering {
  /** Number of each declared field. */
  readonly numbers: ReadonlyMap<string, number>;
  /** Numbers of dropped (or retyped) fields: never to be used again. */
  readonly reserved: readonly number[];
  /** Names of dropped fields that no declared field uses now. */
  readonly reservedNames: readonly string[];
}

/** 1-3 are id, created, updated; 1000 is `expand`; 19000-19999 are reserved by Protocol Buffers. */
export const FIRST_FIELD_NUMBER = 4;
const SKIP = (n: number) => n === 1000 || (n >= 19000 && n <= 19999);

/** What a field is on the wire: a change of kind gets a new number (old clients must not misread it). */
export const fieldKind = (f: Field): string => `${f.type}${f.multiple ? '[]' : ''}`;

interface Row {
  collection: string;
  field: string;
  kind: string;
  number: number;
  dropped: number;
}

export function fieldNumbersDdl(dialect: SqlDialect, names: TableNames): RawBuilder<unknown> {
  const text = dialect.name === 'mysql' ? 'VARCHAR(64)' : dialect.name === 'postgres' ? 'varchar(64) COLLATE "C"' : 'TEXT';
  return sql`CREATE TABLE IF NOT EXISTS ${sql.table(names.fieldNumbers)} (
    collection ${sql.raw(text)} NOT NULL,
    field ${sql.raw(text)} NOT NULL,
    kind ${sql.raw(text)} NOT NULL,
    number INTEGER NOT NULL,
    dropped INTEGER NOT NULL,
    PRIMARY KEY (collection, number)
  )${sql.raw(dialect.tableOptions)}`;
}

/**
 * Gives every declared field a number (keeping existing ones), and marks fields no longer declared
 * (or declared with another kind) as dropped. Runs inside the migration lock.
 *
 * @example
 * await assignFieldNumbers(conn, { dialect, names }, declared);
 */
export async function assignFieldNumbers(db: Db, ctx: { dialect: SqlDialect; names: TableNames }, declared: readonly Collection[]): Promise<void> {
  await fieldNumbersDdl(ctx.dialect, ctx.names).execute(db);
  const t = ctx.names.fieldNumbers;
  const rows = (await db.selectFrom(t).selectAll().execute()) as Row[];
  for (const c of declared) {
    const mine = rows.filter((r) => r.collection === c.name);
    let next = Math.max(FIRST_FIELD_NUMBER - 1, ...mine.map((r) => Number(r.number))) + 1;
    const live = new Set<number>();
    for (const f of c.fields) {
      const kind = fieldKind(f);
      const hit = mine.find((r) => !Number(r.dropped) && r.field === f.name && r.kind === kind);
      if (hit) {
        live.add(Number(hit.number));
        continue;
      }
      while (SKIP(next)) next++;
      await db.insertInto(t).values({ collection: c.name, field: f.name, kind, number: next, dropped: 0 }).execute();
      live.add(next++);
    }
    const gone = mine.filter((r) => !Number(r.dropped) && !live.has(Number(r.number))).map((r) => Number(r.number));
    if (gone.length > 0) await db.updateTable(t).set({ dropped: 1 }).where('collection', '=', c.name).where('number', 'in', gone).execute();
  }
}

/** The numbering of each collection, or an empty map when no migration has written one yet. */
export async function loadFieldNumbers(db: Db, names: TableNames, collections: readonly Collection[]): Promise<Map<string, FieldNumbering>> {
  let rows: Row[];
  try {
    rows = (await db.selectFrom(names.fieldNumbers).selectAll().execute()) as Row[];
  } catch {
    return new Map(); // table not there (migrations off and never run by this version)
  }
  const out = new Map<string, FieldNumbering>();
  for (const c of collections) {
    const mine = rows.filter((r) => r.collection === c.name);
    const numbers = new Map<string, number>();
    for (const f of c.fields) {
      const hit = mine.find((r) => !Number(r.dropped) && r.field === f.name && r.kind === fieldKind(f));
      if (hit) numbers.set(f.name, Number(hit.number));
    }
    if (numbers.size !== c.fields.length) continue; // not migrated to these declarations: no numbering
    const declaredNames = new Set(c.fields.map((f) => f.name));
    const dropped = mine.filter((r) => Number(r.dropped));
    out.set(c.name, {
      numbers,
      reserved: dropped.map((r) => Number(r.number)).sort((a, b) => a - b),
      reservedNames: [...new Set(dropped.map((r) => r.field).filter((n) => !declaredNames.has(n)))].sort(),
    });
  }
  return out;
}
