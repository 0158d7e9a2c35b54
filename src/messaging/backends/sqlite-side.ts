// The SQLite queue's side state (rate-limit windows, job progress) in its own database file, so
// every process sharing the file shares the limit; a window is one row updated in a transaction.
import { grantOf, type QueueSideState } from '../queue-side.js';
import type { RateLimit } from '../queue-types.js';
import type { SqliteDatabase } from './sqlite-driver.js';

export function sqliteSideState(db: SqliteDatabase, t: string): QueueSideState {
  const p = (sql: string) => db.prepare(sql);
  const s = {
    window: p(`SELECT window_end, used FROM ${t}_rate WHERE queue = ?`),
    open: p(`INSERT INTO ${t}_rate (queue, window_end, used) VALUES (?, ?, ?) ON CONFLICT (queue) DO UPDATE SET window_end = excluded.window_end, used = excluded.used`),
    use: p(`UPDATE ${t}_rate SET used = used + ? WHERE queue = ?`),
    giveBack: p(`UPDATE ${t}_rate SET used = max(0, used - ?) WHERE queue = ? AND window_end > ?`),
    setProgress: p(`INSERT INTO ${t}_progress (queue, job_id, value, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (queue, job_id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`),
    getProgress: p(`SELECT value FROM ${t}_progress WHERE queue = ? AND job_id = ? AND expires_at > ?`),
    sweepProgress: p(`DELETE FROM ${t}_progress WHERE expires_at <= ?`),
  };
  // BEGIN IMMEDIATE: the read and the update of a window happen under the write lock (several processes share the file).
  const take = immediate(db, (queue: string, want: number, limit: RateLimit, now: number) => {
    let w = s.window.get(queue) as { window_end: number; used: number } | undefined;
    if (!w || w.window_end <= now) {
      w = { window_end: now + limit.perMs, used: 0 };
      s.open.run(queue, w.window_end, 0);
    }
    const granted = grantOf(want, w.used, limit.max);
    if (granted > 0) s.use.run(granted, queue);
    return { granted, retryInMs: w.window_end - now };
  });
  let lastSweep = 0;
  return {
    async take(queue, want, limit) {
      return take(queue, want, limit, Date.now());
    },
    async giveBack(queue, n) {
      s.giveBack.run(n, queue, Date.now());
    },
    async setProgress(queue, id, value, ttlMs) {
      const now = Date.now();
      s.setProgress.run(queue, id, value, now + ttlMs);
      if (now - lastSweep > 60_000) {
        lastSweep = now;
        s.sweepProgress.run(now);
      }
    },
    async getProgress(queue, id) {
      return (s.getProgress.get(queue, id, Date.now()) as { value: string } | undefined)?.value;
    },
  };
}

/** better-sqlite3's `.immediate` variant of a transaction function (the driver slice does not type it). */
function immediate<A extends unknown[], R>(db: SqliteDatabase, fn: (...args: A) => R): (...args: A) => R {
  const tx = db.transaction(fn) as ((...args: A) => R) & { immediate?: (...args: A) => R };
  return tx.immediate ?? tx;
}
