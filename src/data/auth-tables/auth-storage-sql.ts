// Auth's storage on the data layer's database: the auth tables (created if missing) and every store over them,
// built by the composition root and handed to auth, which knows only the store interfaces.
import type { AuthStorage } from '../../auth/index.js';
import type { AuditStore } from '../../ops/index.js';
import { openDatabase } from '../database-open.js';
import { tableNames } from '../table-names.js';
import { createSqlAuditStore } from './audit-store-sql.js';
import { ensureAuthTables, type AuthDb } from './auth-store-schema.js';
import { createSqlAuthStores } from './auth-stores-sql.js';
import { createSqlMailOutbox } from './mail-outbox-sql.js';

export interface SqlAuthStorageOptions {
  /**
   * The data layer's database, read at open (the auth tables live there, under its table prefix).
   * Without it, the data layer's default SQLite file `<dataDir>/data.db` is opened (and closed again on close).
   */
  data?: () => AuthDb;
  dataDir: string;
}

/**
 * @example
 * const auth = authComponent(config.auth, { keyDir, fieldCipher, storage: sqlAuthStorage({ dataDir, data: () => data }) });
 */
export function sqlAuthStorage(o: SqlAuthStorageOptions): AuthStorage {
  let closeDb: (() => Promise<void>) | undefined;
  return {
    async open() {
      let ctx: AuthDb;
      if (o.data) ctx = o.data();
      else {
        const opened = await openDatabase({ url: '', dataDir: o.dataDir, poolSize: 1, busyTimeout: 5000 });
        ctx = { db: opened.db, dialect: opened.dialect, names: tableNames('') };
        closeDb = () => opened.db.destroy();
      }
      await ensureAuthTables(ctx);
      return { ...createSqlAuthStores(ctx), outbox: createSqlMailOutbox(ctx), audit: createSqlAuditStore(ctx) };
    },
    async close() {
      await closeDb?.();
      closeDb = undefined;
    },
  };
}

/**
 * The audit log's store on the database `data` names, for operations run outside the server (the CLI's
 * backups and restores), and how to close it again.
 */
export async function openAuditStore(dataDir: string, data: { url: string; tablePrefix: string }): Promise<{ store: AuditStore; close(): Promise<void> }> {
  const opened = await openDatabase({ url: data.url, dataDir, poolSize: 1, busyTimeout: 5000 });
  const ctx: AuthDb = { db: opened.db, dialect: opened.dialect, names: tableNames(data.tablePrefix) };
  try {
    await ensureAuthTables(ctx);
  } catch (e) {
    await opened.db.destroy();
    throw e;
  }
  return { store: createSqlAuditStore(ctx), close: () => opened.db.destroy() };
}
