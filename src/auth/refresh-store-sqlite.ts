// SQLite refresh-token store (better-sqlite3). Temporary home until the data layer owns the database.
import type { RefreshTokenRecord, RefreshTokenStore } from './refresh-store.js';
import { openSqlite, type SqliteDb } from './sqlite-table.js';

export interface SqliteRefreshStoreOptions {
  /** Database file path, or an open better-sqlite3 handle to share. */
  db: string | SqliteDb;
  /** Table name (letters, digits, underscore). Default `_auth_refresh_tokens`. */
  table?: string;
}

export function createSqliteRefreshStore(opts: SqliteRefreshStoreOptions): RefreshTokenStore & { close(): void } {
  const table = opts.table ?? '_auth_refresh_tokens';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) throw new RangeError(`invalid table name ${JSON.stringify(table)}`);
  const { db, close } = openSqlite(opts.db);
  db.exec(`CREATE TABLE IF NOT EXISTS "${table}" (
    hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, revoked_at INTEGER);
    CREATE INDEX IF NOT EXISTS "${table}_family" ON "${table}"(family_id);
    CREATE INDEX IF NOT EXISTS "${table}_user" ON "${table}"(user_id);`);
  const q = {
    insert: db.prepare(`INSERT INTO "${table}" (hash, family_id, user_id, created_at, expires_at, used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    get: db.prepare(`SELECT hash, family_id, user_id, created_at, expires_at, used_at, revoked_at FROM "${table}" WHERE hash = ?`),
    markUsed: db.prepare(`UPDATE "${table}" SET used_at = ? WHERE hash = ? AND used_at IS NULL`),
    revokeFamily: db.prepare(`UPDATE "${table}" SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`),
    revokeUser: db.prepare(`UPDATE "${table}" SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`),
    deleteExpired: db.prepare(`DELETE FROM "${table}" WHERE expires_at <= ?`),
  };
  type Row = { hash: string; family_id: string; user_id: string; created_at: number; expires_at: number; used_at: number | null; revoked_at: number | null };

  const store = {
    async insert(r: RefreshTokenRecord) {
      q.insert.run(r.hash, r.familyId, r.userId, r.createdAt, r.expiresAt, r.usedAt, r.revokedAt);
    },
    async get(hash: string) {
      const row = q.get.get(hash) as Row | undefined;
      if (!row) return undefined;
      return { hash: row.hash, familyId: row.family_id, userId: row.user_id, createdAt: row.created_at, expiresAt: row.expires_at, usedAt: row.used_at, revokedAt: row.revoked_at };
    },
    async markUsed(hash: string, at: number) {
      return q.markUsed.run(at, hash).changes === 1;
    },
    async revokeFamily(familyId: string, at: number) {
      q.revokeFamily.run(at, familyId);
    },
    async revokeUser(userId: string, at: number) {
      q.revokeUser.run(at, userId);
    },
    async deleteExpired(now: number) {
      return q.deleteExpired.run(now).changes;
    },
    close,
  };
  return store satisfies RefreshTokenStore;
}
