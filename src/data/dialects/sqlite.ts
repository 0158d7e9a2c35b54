// SQLite through better-sqlite3 12: WAL, busy_timeout, foreign_keys=ON, synchronous=NORMAL.
// Every transaction is BEGIN IMMEDIATE (one writer per database file, cluster workers wait their turn).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Field } from '../collection-model.js';
import { errorCode, jsonPathText, type Db, type OpenedEngine, type OpenOptions, type SqlDialect } from './dialect.js';

const STATEMENT_CACHE = 256;

/** A statement that does nothing (what Kysely's ROLLBACK becomes once SQLite has rolled back itself). */
const NO_OP = { reader: false, run: () => ({ changes: 0, lastInsertRowid: 0 }) };

function columnType(f: Field): string {
  if (f.encrypted) return 'TEXT'; // ciphertext: longer than the value, never indexed
  switch (f.type) {
    case 'number':
      return 'REAL';
    case 'integer':
    case 'boolean':
      return 'INTEGER';
    default:
      return 'TEXT';
  }
}

export const sqliteDialect = {
  name: 'sqlite',
  idType: 'TEXT',
  dateType: 'TEXT',
  tableOptions: '',
  parsesJson: false,
  transactionalDdl: true,
  insertReturning: true,
  columnType,
  async open(opts: OpenOptions): Promise<OpenedEngine> {
    const { default: Database } = await import('better-sqlite3');
    const file = opts.url.replace(/^sqlite:(\/\/)?/, '');
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const database = new Database(file);
    database.pragma('journal_mode = WAL');
    database.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeout)}`);
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
    // Kysely prepares every query anew; preparing costs more than running a point query, so keep
    // the most recent statements (SQLite re-prepares them itself after a schema change).
    const statements = new Map<string, ReturnType<typeof database.prepare>>();
    const cached = {
      prepare(text: string) {
        // Kysely opens transactions with a deferred BEGIN: a read-then-write transaction then
        // fails with SQLITE_BUSY_SNAPSHOT when another process (a cluster worker) committed since
        // its first read, and the busy timeout cannot help. BEGIN IMMEDIATE takes the write lock
        // first, so a second writer waits (busy_timeout) instead of failing.
        if (text === 'begin') text = 'BEGIN IMMEDIATE';
        // SQLite rolls a transaction back itself on some errors (SQLITE_FULL, SQLITE_IOERR): Kysely's
        // ROLLBACK would then fail with "no transaction is active" and hide the real error.
        else if (text === 'rollback' && !database.inTransaction) return NO_OP as unknown as ReturnType<typeof database.prepare>;
        let st = statements.get(text);
        if (!st) {
          st = database.prepare(text);
          if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value!);
          statements.set(text, st);
        }
        return st;
      },
      close() {
        statements.clear();
        database.close();
      },
    };
    const db = new Kysely({ dialect: new SqliteDialect({ database: cached }) });
    // Outside a transaction nothing else can be using the one connection (every other query is
    // synchronous inside the driver), so a read may run at once instead of queueing on its mutex.
    const readNow = (text: string, params: readonly unknown[]) =>
      database.inTransaction ? undefined : (cached.prepare(text) as unknown as { all(p: readonly unknown[]): Record<string, unknown>[] }).all(params);
    // Inside a transaction callback its connection is the only one and it is held: statements may
    // run at once (what Kysely's driver would do after its queue and query transformation).
    const run = (text: string, params: readonly unknown[]) => {
      const st = cached.prepare(text) as unknown as { reader: boolean; all(p: readonly unknown[]): Record<string, unknown>[]; run(p: readonly unknown[]): { changes: number } };
      return st.reader ? { rows: st.all(params), changes: 0 } : { rows: [], changes: st.run(params).changes };
    };
    const runInTx = (text: string, params: readonly unknown[]) => (database.inTransaction ? run(text, params) : undefined);
    // A whole write transaction at once (BEGIN IMMEDIATE as Kysely's, see prepare above) when the
    // connection is idle: no Kysely transaction, queue or await between its statements.
    const exec = (text: string) => (cached.prepare(text) as unknown as { run(): unknown }).run();
    const writeNow = <T>(fn: (r: typeof run) => T): T | undefined => {
      if (database.inTransaction) return undefined;
      exec('begin');
      try {
        const out = fn(run);
        exec('commit');
        return out;
      } catch (e) {
        if (database.inTransaction) exec('rollback');
        throw e;
      }
    };
    return { db, readNow, runInTx, writeNow };
  },
  bool: (v: boolean) => (v ? 1 : 0),
  ilike(col: RawBuilder<unknown>, pattern: string, negate: boolean): RawBuilder<SqlBool> {
    return negate ? sql<SqlBool>`${col} NOT LIKE ${pattern} ESCAPE '\\'` : sql<SqlBool>`${col} LIKE ${pattern} ESCAPE '\\'`;
  },
  jsonPath: (col: RawBuilder<unknown>, path: readonly (string | number)[]) => sql`json_extract(${col}, ${jsonPathText(path)})`,
  isUniqueViolation: (e: unknown) => /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(errorCode(e)),
  isForeignKeyViolation: (e: unknown) => errorCode(e).startsWith('SQLITE_CONSTRAINT') && /FOREIGN KEY/.test(String((e as Error).message)),
  // one writer at a time (busy_timeout waits for the lock): no deadlock to retry
  isRetryable: () => false,
  async withMigrationLock<T>(db: Db, _lockName: string, fn: (db: Db) => Promise<T>): Promise<T> {
    // better-sqlite3 has one connection; BEGIN IMMEDIATE takes the file's write lock at once,
    // so a second process waits (busy_timeout) instead of planning from a stale schema.
    return db.connection().execute(async (conn) => {
      // Foreign keys off for the plan (the pragma is a no-op inside a transaction, so before BEGIN):
      // a table rebuild drops the old table, which with them on would cascade to referencing rows.
      // foreign_key_check before COMMIT keeps the guarantee.
      await sql`PRAGMA foreign_keys = OFF`.execute(conn);
      try {
        return await locked(conn);
      } finally {
        await sql`PRAGMA foreign_keys = ON`.execute(conn);
      }
    });
    async function locked(conn: Db): Promise<T> {
      // better-sqlite3 waits synchronously on a busy file, which would freeze this process if the
      // holder is another connection in it; so poll with busy_timeout 0 and yield between tries.
      const { rows } = await sql<{ timeout: number }>`PRAGMA busy_timeout`.execute(conn);
      const timeout = Number(rows[0]?.timeout ?? 5000);
      await sql`PRAGMA busy_timeout = 0`.execute(conn);
      try {
        for (let waited = 0; ; waited += 25) {
          try {
            await sql`BEGIN IMMEDIATE`.execute(conn);
            break;
          } catch (e) {
            if (errorCode(e) !== 'SQLITE_BUSY' || waited > 60_000) throw e;
            await new Promise((r) => setTimeout(r, 25));
          }
        }
      } finally {
        await sql`PRAGMA busy_timeout = ${sql.raw(String(Math.trunc(timeout)))}`.execute(conn);
      }
      try {
        const out = await fn(conn);
        const broken = await sql<{ table: string }>`PRAGMA foreign_key_check`.execute(conn);
        if (broken.rows.length > 0) throw new Error(`migration would leave ${broken.rows.length} dangling reference(s) (first in ${broken.rows[0].table})`);
        await sql`COMMIT`.execute(conn);
        return out;
      } catch (e) {
        await sql`ROLLBACK`.execute(conn).catch(() => undefined);
        throw e;
      }
    }
  },
} satisfies SqlDialect;
