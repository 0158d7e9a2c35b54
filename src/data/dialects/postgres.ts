// PostgreSQL through pg (pooled). Migrations hold a session advisory lock; DDL is transactional.
import { Kysely, PostgresDialect, sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Field } from '../collection-model.js';
import { errorCode, type Db, type OpenedEngine, type OpenOptions, type SqlDialect } from './dialect.js';

function columnType(f: Field): string {
  if (f.encrypted) return 'text'; // ciphertext: longer than the value, never indexed
  switch (f.type) {
    case 'number':
      return 'double precision';
    case 'integer':
      return 'bigint';
    case 'boolean':
      return 'boolean';
    case 'json':
      return 'jsonb';
    case 'date':
    case 'relation':
      return 'varchar(32) COLLATE "C"';
    default:
      return 'text';
  }
}

/** A stable 31-bit key for pg_advisory_lock from the lock name. */
function lockKey(name: string): number {
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h & 0x7fffffff;
}

export const postgresDialect = {
  name: 'postgres',
  idType: 'varchar(32) COLLATE "C"',
  dateType: 'varchar(32) COLLATE "C"',
  tableOptions: '',
  parsesJson: true,
  transactionalDdl: true,
  insertReturning: true,
  columnType,
  async open(opts: OpenOptions): Promise<OpenedEngine> {
    const pg = (await import('pg')).default;
    const parseInt8 = (v: string) => {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    };
    const types = {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === 20) return parseInt8; // int8: numbers, not strings, when safe
        if (oid === 1700) return Number; // numeric (avg/sum)
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    };
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize, types });
    pool.on('error', () => undefined); // idle client errors surface on the next query instead
    return { db: new Kysely({ dialect: new PostgresDialect({ pool }) }) };
  },
  bool: (v: boolean) => v,
  ilike(col: RawBuilder<unknown>, pattern: string, negate: boolean): RawBuilder<SqlBool> {
    return negate ? sql<SqlBool>`${col}::text NOT ILIKE ${pattern}` : sql<SqlBool>`${col}::text ILIKE ${pattern}`;
  },
  jsonPath(col: RawBuilder<unknown>, path: readonly (string | number)[]) {
    return sql`(${col} #>> ${sql.val(`{${path.map((p) => `"${String(p)}"`).join(',')}}`)}::text[])`;
  },
  isUniqueViolation: (e: unknown) => errorCode(e) === '23505',
  isForeignKeyViolation: (e: unknown) => errorCode(e) === '23503',
  // deadlock_detected, serialization_failure
  isRetryable: (e: unknown) => errorCode(e) === '40P01' || errorCode(e) === '40001',
  async withMigrationLock<T>(db: Db, lockName: string, fn: (db: Db) => Promise<T>): Promise<T> {
    const key = lockKey(lockName);
    return db.connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(${key})`.execute(conn);
      try {
        return await conn.transaction().execute((trx) => fn(trx));
      } finally {
        await sql`SELECT pg_advisory_unlock(${key})`.execute(conn).catch(() => undefined);
      }
    });
  },
} satisfies SqlDialect;
