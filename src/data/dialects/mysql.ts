// MySQL / MariaDB through mysql2 (pooled). Tables use utf8mb4_bin so comparisons match the other
// engines; migrations hold GET_LOCK. MySQL DDL commits implicitly, so steps are applied one by one.
import { Kysely, MysqlDialect, sql, type RawBuilder, type SqlBool } from 'kysely';
import { INDEXED_TEXT_MAX, type Field } from '../collection-model.js';
import { errorCode, jsonPathText, type Db, type OpenedEngine, type OpenOptions, type SqlDialect } from './dialect.js';

function columnType(f: Field): string {
  if (f.encrypted) return 'MEDIUMTEXT'; // ciphertext: longer than the value, never indexed
  switch (f.type) {
    case 'number':
      return 'DOUBLE';
    case 'integer':
      return 'BIGINT';
    case 'boolean':
      return 'TINYINT(1)';
    case 'json':
      return 'JSON';
    case 'date':
    case 'relation':
      return 'VARCHAR(32)';
    case 'select':
      return 'VARCHAR(200)';
    default: {
      const max = f.maxLength ?? INDEXED_TEXT_MAX;
      return max <= INDEXED_TEXT_MAX || f.unique || f.indexed ? `VARCHAR(${Math.min(max, INDEXED_TEXT_MAX)})` : 'TEXT';
    }
  }
}

export const mysqlDialect = {
  name: 'mysql',
  idType: 'VARCHAR(32)',
  dateType: 'VARCHAR(32)',
  tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  parsesJson: false,
  transactionalDdl: false,
  insertReturning: false,
  columnType,
  async open(opts: OpenOptions): Promise<OpenedEngine> {
    const mysql = await import('mysql2');
    const pool = mysql.createPool({
      uri: opts.url,
      connectionLimit: opts.poolSize,
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: true,
      charset: 'utf8mb4',
      // JSON arrives as text on MariaDB and parsed on MySQL; make both text, decoded in one place.
      typeCast(field, next) {
        if (field.type === 'JSON' || (field as { extendedFormat?: string }).extendedFormat === 'json') return field.string('utf8');
        if (field.type === 'NEWDECIMAL') {
          const s = field.string();
          return s === null ? null : Number(s);
        }
        return next();
      },
    });
    return { db: new Kysely({ dialect: new MysqlDialect({ pool }) }) };
  },
  bool: (v: boolean) => (v ? 1 : 0),
  ilike(col: RawBuilder<unknown>, pattern: string, negate: boolean): RawBuilder<SqlBool> {
    const l = sql`LOWER(${col})`;
    const p = pattern.toLowerCase();
    return negate ? sql<SqlBool>`${l} NOT LIKE ${p}` : sql<SqlBool>`${l} LIKE ${p}`;
  },
  jsonPath: (col: RawBuilder<unknown>, path: readonly (string | number)[]) => sql`JSON_UNQUOTE(JSON_EXTRACT(${col}, ${jsonPathText(path)}))`,
  isUniqueViolation: (e: unknown) => errorCode(e) === 'ER_DUP_ENTRY',
  isForeignKeyViolation: (e: unknown) => /^ER_(NO_REFERENCED_ROW|ROW_IS_REFERENCED)/.test(errorCode(e)),
  // InnoDB rolls the whole transaction back on a deadlock ("try restarting transaction")
  isRetryable: (e: unknown) => errorCode(e) === 'ER_LOCK_DEADLOCK',
  async withMigrationLock<T>(db: Db, lockName: string, fn: (db: Db) => Promise<T>): Promise<T> {
    return db.connection().execute(async (conn) => {
      const r = await sql<{ ok: number | null }>`SELECT GET_LOCK(${lockName}, 60) AS ok`.execute(conn);
      if (r.rows[0]?.ok !== 1) throw new Error('could not take the migration lock within 60 s');
      try {
        return await fn(conn);
      } finally {
        await sql`SELECT RELEASE_LOCK(${lockName})`.execute(conn).catch(() => undefined);
      }
    });
  },
} satisfies SqlDialect;
