// The slice of better-sqlite3 (12.x) the SQLite queue uses, loaded through
// createRequire so the package stays optional at type level (no @types needed).
import { createRequire } from 'node:module';

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
  readonly open: boolean;
}

type DatabaseConstructor = new (file: string, options?: { timeout?: number }) => SqliteDatabase;

export function openSqlite(file: string, synchronous: 'normal' | 'full'): SqliteDatabase {
  const Database = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); FULL also survives power loss.
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  return db;
}
