// Shared bits of the temporary SQLite auth stores: open or share a better-sqlite3 handle, validate table names.
import Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

export function openSqlite(db: string | SqliteDb): { db: SqliteDb; close(): void } {
  if (typeof db !== 'string') return { db, close: () => undefined };
  const handle = new Database(db);
  handle.pragma('journal_mode = WAL');
  handle.pragma('busy_timeout = 5000');
  return { db: handle, close: () => handle.close() };
}

export function tableName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new RangeError(`invalid table name ${JSON.stringify(name)}`);
  return `"${name}"`;
}
