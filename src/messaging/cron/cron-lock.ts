// Tick locks so a schedule fires once per tick across instances: the first
// instance to claim `<schedule>@<tick>` enqueues; the others skip.
import type { Redis } from 'ioredis';
import { openSqlite, type SqliteDatabase } from '../backends/sqlite-driver.js';

export interface TickLock {
  /** True for exactly one caller per key while the lock lives (`ttlMs`). */
  tryLock(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** One process only. */
export function memoryLock(): TickLock {
  const held = new Map<string, number>();
  return {
    async tryLock(key, ttlMs) {
      const now = Date.now();
      for (const [k, until] of held) if (until <= now) held.delete(k);
      if (held.has(key)) return false;
      held.set(key, now + ttlMs);
      return true;
    },
    async close() {},
  };
}

/** Instances sharing one SQLite file (the embedded default, several workers on one machine). */
export function sqliteLock(file: string): TickLock {
  const db: SqliteDatabase = openSqlite(file, 'normal');
  db.exec('CREATE TABLE IF NOT EXISTS strata_tick_locks (key TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID');
  const sweep = db.prepare('DELETE FROM strata_tick_locks WHERE until <= ?');
  const take = db.prepare('INSERT OR IGNORE INTO strata_tick_locks (key, until) VALUES (?, ?)');
  return {
    async tryLock(key, ttlMs) {
      const now = Date.now();
      sweep.run(now);
      return take.run(key, now + ttlMs).changes === 1;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** Instances sharing Redis: SET NX PX. A `client` given is shared (not closed by the lock). */
export async function redisLock(options: { url?: string; client?: Redis; prefix?: string } = {}): Promise<TickLock> {
  const owned = options.client === undefined;
  const client: Redis = options.client ?? new (await import('ioredis')).Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  const prefix = options.prefix ?? 'strata:lock:';
  return {
    async tryLock(key, ttlMs) {
      return (await client.set(prefix + key, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}
