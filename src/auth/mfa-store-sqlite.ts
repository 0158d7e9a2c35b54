// SQLite stores for MFA state: last accepted TOTP step per account and recovery-code hashes (better-sqlite3).
// Temporary home until the data layer owns the database. Both updates are single atomic statements.
import type { RecoveryCodeStore } from './mfa-recovery.js';
import type { TotpStepStore } from './mfa-totp.js';
import { openSqlite, tableName, type SqliteDb } from './sqlite-table.js';

export function createSqliteTotpStepStore(opts: { db: string | SqliteDb; table?: string }): TotpStepStore & { close(): void } {
  const t = tableName(opts.table ?? '_auth_totp_steps');
  const { db, close } = openSqlite(opts.db);
  db.exec(`CREATE TABLE IF NOT EXISTS ${t} (account_id TEXT PRIMARY KEY, step INTEGER NOT NULL)`);
  const advance = db.prepare(
    `INSERT INTO ${t} (account_id, step) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET step = excluded.step WHERE excluded.step > ${t}.step`,
  );
  const reset = db.prepare(`DELETE FROM ${t} WHERE account_id = ?`);
  const store = {
    async advance(accountId: string, step: number) {
      return advance.run(accountId, step).changes === 1;
    },
    async reset(accountId: string) {
      reset.run(accountId);
    },
    close,
  };
  return store satisfies TotpStepStore;
}

export function createSqliteRecoveryCodeStore(opts: { db: string | SqliteDb; table?: string }): RecoveryCodeStore & { close(): void } {
  const t = tableName(opts.table ?? '_auth_recovery_codes');
  const { db, close } = openSqlite(opts.db);
  db.exec(`CREATE TABLE IF NOT EXISTS ${t} (account_id TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (account_id, hash))`);
  const del = db.prepare(`DELETE FROM ${t} WHERE account_id = ?`);
  const ins = db.prepare(`INSERT OR IGNORE INTO ${t} (account_id, hash) VALUES (?, ?)`);
  const consume = db.prepare(`DELETE FROM ${t} WHERE account_id = ? AND hash = ?`);
  const count = db.prepare(`SELECT COUNT(*) AS n FROM ${t} WHERE account_id = ?`);
  const replace = db.transaction((accountId: string, hashes: string[]) => {
    del.run(accountId);
    for (const h of hashes) ins.run(accountId, h);
  });
  const store = {
    async replace(accountId: string, hashes: string[]) {
      replace(accountId, hashes);
    },
    async consume(accountId: string, hash: string) {
      return consume.run(accountId, hash).changes === 1;
    },
    async remaining(accountId: string) {
      return (count.get(accountId) as { n: number }).n;
    },
    close,
  };
  return store satisfies RecoveryCodeStore;
}
