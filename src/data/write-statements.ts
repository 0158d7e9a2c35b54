// The write path's statements compiled once per shape (table and columns) and run with fresh
// parameters: no query building per write, and on SQLite no trip through Kysely's connection queue.
import { CompiledQuery } from 'kysely';
import type { Db, RunInTx } from './dialects/dialect.js';

export interface StatementResult {
  rows: Record<string, unknown>[];
  changes: number;
}

/** Runs compiled SQL on `db` (a transaction's connection at once when the engine allows). */
export type RunCompiled = (db: Db, sqlText: string, parameters: readonly unknown[]) => Promise<StatementResult>;

export function compiledRunner(runInTx?: RunInTx): RunCompiled {
  return async (db, text, parameters) => {
    const now = db.isTransaction ? runInTx?.(text, parameters) : undefined;
    if (now) return now;
    const r = await db.executeQuery(CompiledQuery.raw(text, [...parameters]));
    return { rows: r.rows as Record<string, unknown>[], changes: Number(r.numAffectedRows ?? 0) };
  };
}

const MAX_SHAPES = 256;

/**
 * The SQL text of `INSERT INTO table (columns of row) VALUES (...)` (+ `RETURNING *`), built by
 * Kysely once per table and column list; the parameters are the row's values in key order.
 */
export function insertStatements(db: Db): (table: string, row: Record<string, unknown>, returning: boolean) => { sql: string; parameters: unknown[] } {
  const shapes = new Map<string, string | null>();
  return (table, row, returning) => {
    const keys = Object.keys(row);
    const key = `${returning ? 'r' : 'n'}\u0000${table}\u0000${keys.join('\u0000')}`;
    let text = shapes.get(key);
    const parameters = keys.map((k) => row[k]);
    if (text === undefined) {
      const q = db.insertInto(table).values(row);
      const compiled = (returning ? q.returningAll() : q).compile();
      // Only a plain row (every value one parameter, in key order) is reused; anything else (a raw
      // SQL value) is built each time.
      const plain = compiled.parameters.length === parameters.length && compiled.parameters.every((p, i) => p === parameters[i]);
      text = plain ? compiled.sql : null;
      if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value!);
      shapes.set(key, text);
      if (!plain) return { sql: compiled.sql, parameters: [...compiled.parameters] };
    }
    if (text === null) {
      const q = db.insertInto(table).values(row);
      const compiled = (returning ? q.returningAll() : q).compile();
      return { sql: compiled.sql, parameters: [...compiled.parameters] };
    }
    return { sql: text, parameters };
  };
}

/**
 * PostgreSQL: `WITH r AS (INSERT INTO table ... RETURNING *), e AS (INSERT INTO other ...) SELECT * FROM r`,
 * two inserts as one statement (atomic on its own, one round trip), compiled once per shape; the
 * parameters are the first row's values, then the second's.
 */
export function insertWithStatements(db: Db): (table: string, row: Record<string, unknown>, other: string, otherRow: Record<string, unknown>) => { sql: string; parameters: unknown[] } {
  const shapes = new Map<string, string | null>();
  const build = (table: string, row: Record<string, unknown>, other: string, otherRow: Record<string, unknown>) =>
    db
      .with('r', (qb) => qb.insertInto(table).values(row).returningAll())
      .with('e', (qb) => qb.insertInto(other).values(otherRow))
      .selectFrom('r')
      .selectAll()
      .compile();
  return (table, row, other, otherRow) => {
    const keys = Object.keys(row);
    const otherKeys = Object.keys(otherRow);
    const key = `${table}\u0000${keys.join('\u0000')}\u0001${other}\u0000${otherKeys.join('\u0000')}`;
    const parameters = [...keys.map((k) => row[k]), ...otherKeys.map((k) => otherRow[k])];
    let text = shapes.get(key);
    if (text === undefined) {
      const compiled = build(table, row, other, otherRow);
      const plain = compiled.parameters.length === parameters.length && compiled.parameters.every((p, i) => p === parameters[i]);
      text = plain ? compiled.sql : null;
      if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value!);
      shapes.set(key, text);
      if (!plain) return { sql: compiled.sql, parameters: [...compiled.parameters] };
    }
    if (text === null) {
      const compiled = build(table, row, other, otherRow);
      return { sql: compiled.sql, parameters: [...compiled.parameters] };
    }
    return { sql: text, parameters };
  };
}
