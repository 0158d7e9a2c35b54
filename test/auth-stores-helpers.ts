// Test helpers for the auth stores, mailer and audit log: one database per engine (SQLite file, PostgreSQL,
// MariaDB), a fresh table prefix per test, every auth table dropped afterwards.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase, tableNames } from '../src/data/index.js';

type OpenedDatabase = Awaited<ReturnType<typeof openDatabase>>;
import { authTableNames, ensureAuthTables, type AuthDb } from '../src/data/auth-tables/auth-store-schema.js';
import { sqlAuthStorage } from '../src/data/index.js';
import type { AuthDeps } from '../src/auth/index.js';
import { fieldKeyFile, keyDirectory, loadFieldCipher } from '../src/crypto/index.js';
import { MYSQL_URL, PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

export interface AuthEngine {
  name: 'sqlite' | 'postgres' | 'mysql';
  /** A skip reason, or false. */
  skip: false | string;
  /** A fresh set of auth tables under a new prefix on this engine's shared connection. */
  fresh(): Promise<AuthDb>;
  close(): Promise<void>;
}

async function engine(name: AuthEngine['name'], url: () => string, skip: false | string): Promise<AuthEngine> {
  let opened: OpenedDatabase | undefined;
  const made: AuthDb[] = [];
  return {
    name,
    skip,
    async fresh() {
      opened ??= await openDatabase({ url: url(), dataDir: '', poolSize: 5, busyTimeout: 5000 });
      const ctx: AuthDb = { db: opened.db, dialect: opened.dialect, names: tableNames(uniquePrefix()) };
      await ensureAuthTables(ctx);
      made.push(ctx);
      return ctx;
    },
    async close() {
      if (!opened) return;
      for (const ctx of made) {
        for (const t of Object.values(authTableNames(ctx.names))) await sql`DROP TABLE IF EXISTS ${sql.table(t)}`.execute(ctx.db);
      }
      await opened.db.destroy();
      opened = undefined;
    },
  };
}

/** SQLite always; PostgreSQL and MariaDB when reachable (always under CI=true). */
export async function authEngines(): Promise<AuthEngine[]> {
  return [
    await engine('sqlite', () => 'sqlite:' + join(mkdtempSync(join(tmpdir(), 'strata-auth-')), 'data.db'), false),
    await engine('postgres', () => PG_URL, await unreachable(5432)),
    await engine('mysql', () => MYSQL_URL, await unreachable(3306)),
  ];
}

/** The auth tables in a fresh SQLite file (for suites that only need SQLite; the handle closes with the process). */
export async function sqliteAuthDb(): Promise<AuthDb> {
  const o = await openDatabase({ url: 'sqlite:' + join(mkdtempSync(join(tmpdir(), 'strata-auth-')), 'data.db'), dataDir: '', poolSize: 1, busyTimeout: 5000 });
  const ctx: AuthDb = { db: o.db, dialect: o.dialect, names: tableNames('') };
  await ensureAuthTables(ctx);
  return ctx;
}

/**
 * authComponent's deps as `strata serve` builds them: keys in `<dataDir>/keys`, the field cipher over the key file
 * there (or `env.STRATA_ENCRYPTION_KEY`), and the SQL stores on `data` (default: the SQLite file in `dataDir`).
 */
export async function authDeps(dataDir: string, o: { env?: Record<string, string | undefined>; data?: () => AuthDb } = {}): Promise<AuthDeps> {
  const paths = { dataDir, auth: { tokens: { keyDir: '' }, encryption: { keyFile: '' } } };
  return {
    keyDir: keyDirectory(paths),
    fieldCipher: await loadFieldCipher({ keyFile: fieldKeyFile(paths), env: o.env?.STRATA_ENCRYPTION_KEY }),
    storage: sqlAuthStorage({ dataDir, data: o.data }),
  };
}
