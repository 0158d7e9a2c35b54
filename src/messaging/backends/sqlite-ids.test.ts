// A queue file made before job ids were unique (plain INTEGER PRIMARY KEY) is upgraded in place:
// every job and id kept, and no id handed out again after that.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { sqliteQueue } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-qids-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('an old queue table is upgraded: jobs kept, ids never reused afterwards', async () => {
  const file = join(dir, 'old.db');
  const old = new Database(file);
  old.exec(`
    CREATE TABLE strata_queue_jobs (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0, priority INTEGER NOT NULL DEFAULT 0,
      run_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, lease_until INTEGER, token TEXT,
      payload TEXT NOT NULL, last_error TEXT, created_at INTEGER NOT NULL);
    CREATE TABLE strata_queue_keys (queue TEXT NOT NULL, key TEXT NOT NULL, job_id INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (queue, key)) WITHOUT ROWID;
    INSERT INTO strata_queue_jobs (id, queue, run_at, max_attempts, payload, created_at) VALUES (4, 'mail', 0, 3, '"kept"', 0);
    INSERT INTO strata_queue_keys VALUES ('mail', 'k', 9, ${Date.now() + 3_600_000});`);
  old.close();

  const q = sqliteQueue({ file, pollMs: 20 });
  try {
    const kept = await q.peek('mail', 'waiting', 10);
    assert.deepEqual(kept.map((j) => [j.id, j.payload]), [['4', 'kept']]);
    const { id } = await q.enqueue('mail', 'new');
    assert.ok(Number(id) > 9, `new id ${id} must be above every id handed out (4 in the table, 9 named by a key)`);
  } finally {
    await q.close();
  }
  const sql = new Database(file).prepare(`SELECT sql FROM sqlite_master WHERE name = 'strata_queue_jobs'`).get() as { sql: string };
  assert.match(sql.sql, /AUTOINCREMENT/);
});
