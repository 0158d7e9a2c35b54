// Tables of the embedded SQLite queue. state: 0 = waiting or delayed (by run_at), 1 = active (leased), 2 = dead.
// Job ids come from AUTOINCREMENT: a plain INTEGER PRIMARY KEY gives the highest deleted id again
// once that job is acked, and ids must stay unique for the life of the queue (idempotency keys,
// logs and dead-letter retries name jobs by id).
import type { SqliteDatabase } from './sqlite-driver.js';

const jobsTable = (name: string) => `
    CREATE TABLE ${name} (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    )`;

export function migrate(db: SqliteDatabase, t: string): void {
  const old = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(`${t}_jobs`) as { sql: string } | undefined;
  if (!old) db.exec(`${jobsTable(`${t}_jobs`)};`);
  else if (!/AUTOINCREMENT/i.test(old.sql)) {
    // A queue made before ids were unique: rebuild the table with AUTOINCREMENT, keeping every job
    // and id (inserting them sets the sequence to the highest id still present).
    db.exec(`BEGIN IMMEDIATE;
      ${jobsTable(`${t}_jobs_v2`)};
      INSERT INTO ${t}_jobs_v2 SELECT id, queue, state, priority, run_at, attempts, max_attempts, lease_until, token, payload, last_error, created_at FROM ${t}_jobs;
      DROP TABLE ${t}_jobs;
      ALTER TABLE ${t}_jobs_v2 RENAME TO ${t}_jobs;
      COMMIT;`);
    // Ids already handed out and still named by an idempotency key count as used too.
    const keys = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(`${t}_keys`);
    if (keys) db.exec(`UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(job_id) FROM ${t}_keys), 0)) WHERE name = '${t}_jobs'`);
  }
  db.exec(`
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
    CREATE TABLE IF NOT EXISTS ${t}_rate (
      queue TEXT PRIMARY KEY,
      window_end INTEGER NOT NULL,
      used INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${t}_progress (
      queue TEXT NOT NULL,
      job_id TEXT NOT NULL,
      value TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (queue, job_id)
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
