// Which tables exist, without Kysely's introspector on PostgreSQL: that reads every column of every table in the
// database and resolves each table by name (pg_get_serial_sequence), so a table another session drops meanwhile
// fails the whole call with 42P01 (instances, tools or test runs sharing one database).
import { PostgresAdapter, sql } from 'kysely';
import type { Db } from './dialects/dialect.js';

/** The names among `wanted` that are tables of the connected database (PostgreSQL: of the current schema). */
export async function existingTables(db: Db, wanted: readonly string[]): Promise<Set<string>> {
  if (wanted.length === 0) return new Set();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const r = await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN (${sql.join(wanted)})`.execute(db);
    return new Set(r.rows.map((x) => x.name));
  }
  const want = new Set(wanted);
  return new Set((await db.introspection.getTables()).map((t) => t.name).filter((n) => want.has(n)));
}
