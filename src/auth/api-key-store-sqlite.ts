// SQLite API key store (better-sqlite3). Temporary home until the data layer owns the database.
import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';
import { openSqlite, tableName, type SqliteDb } from './sqlite-table.js';

export function createSqliteApiKeyStore(opts: { db: string | SqliteDb; table?: string }): ApiKeyStore & { close(): void } {
  const t = tableName(opts.table ?? '_auth_api_keys');
  const { db, close } = openSqlite(opts.db);
  db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, scopes TEXT NOT NULL, secret_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER, last_used_at INTEGER);
    CREATE INDEX IF NOT EXISTS ${t.slice(0, -1)}_user" ON ${t}(user_id);`);
  const cols = 'id, user_id, name, scopes, secret_hash, created_at, expires_at, revoked_at, last_used_at';
  const q = {
    insert: db.prepare(`INSERT INTO ${t} (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    get: db.prepare(`SELECT ${cols} FROM ${t} WHERE id = ?`),
    list: db.prepare(`SELECT ${cols} FROM ${t} WHERE user_id = ? ORDER BY created_at, id`),
    revoke: db.prepare(`UPDATE ${t} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`),
    touch: db.prepare(`UPDATE ${t} SET last_used_at = ? WHERE id = ?`),
  };
  type Row = { id: string; user_id: string; name: string; scopes: string; secret_hash: string; created_at: number; expires_at: number | null; revoked_at: number | null; last_used_at: number | null };
  const toRecord = (r: Row): ApiKeyRecord => ({
    id: r.id, userId: r.user_id, name: r.name, scopes: JSON.parse(r.scopes) as string[], secretHash: r.secret_hash,
    createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at,
  });
  const store = {
    async insert(r: ApiKeyRecord) {
      q.insert.run(r.id, r.userId, r.name, JSON.stringify(r.scopes), r.secretHash, r.createdAt, r.expiresAt, r.revokedAt, r.lastUsedAt);
    },
    async get(id: string) {
      const row = q.get.get(id) as Row | undefined;
      return row ? toRecord(row) : undefined;
    },
    async listForUser(userId: string) {
      return (q.list.all(userId) as Row[]).map(toRecord);
    },
    async revoke(id: string, at: number) {
      q.revoke.run(at, id);
    },
    async touch(id: string, at: number) {
      q.touch.run(at, id);
    },
    close,
  };
  return store satisfies ApiKeyStore;
}
