// Tables of the embedded SQLite queue. state: 0 = waiting or delayed (by run_at), 1 = active (leased), 2 = dead.
import type { SqliteDatabase } from './sqlite-driver.js';

export function migrate(db: SqliteDatabase, t: string): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${t}_jobs (
      id INTEGER PRIMARY KEY,
      queue TEXT NOT NULL,
      state INTEGER NOT NULL DEFAULT 0,
      priority INTEGER NOT NULL DEFAULT 0,
      run_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      max_attempts INTEGER NOT NULL,
      lease_until INTEGER,
      token TEXT,
      payload TEXT NOT NULL,
      last_error TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${t}_jobs_claim ON ${t}_jobs (queue, state, priority DESC, run_at, id);
    CREATE TABLE IF NOT EXISTS ${t}_keys (
      queue TEXT NOT NULL,
      key TEXT NOT NULL,
      job_id INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (queue, key)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t}_queues (
      name TEXT PRIMARY KEY,
      paused INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
  `);
}

export interface JobRow {
  id: number;
  queue: string;
  state: number;
  priority: number;
  run_at: number;
  attempts: number;
  max_attempts: number;
  token: string | null;
  payload: string;
  last_error: string | null;
  created_at: number;
}
