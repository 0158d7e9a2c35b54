// The small surface each SQL engine implements: connection, column types, the few
// expressions that differ (case-insensitive contains, JSON paths), error classes and the migration lock.
import type { Kysely, RawBuilder, SqlBool } from 'kysely';
import type { Field } from '../collection-model.js';

// Collections are declared at run time, so the query builder is untyped inside the data layer.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

export interface OpenOptions {
  url: string;
  poolSize: number;
  busyTimeout: number;
}

/**
 * Runs a compiled read at once when the engine allows it (SQLite outside a transaction),
 * skipping the driver's queue; undefined means "use the normal path".
 */
export type ReadNow = (sqlText: string, parameters: readonly unknown[]) => Record<string, unknown>[] | undefined;

/**
 * Runs a compiled statement at once on the connection of the transaction whose callback is running
 * (SQLite: one connection, held by that callback until it returns), skipping the driver's queue.
 */
export type RunInTx = (sqlText: string, parameters: readonly unknown[]) => { rows: Record<string, unknown>[]; changes: number } | undefined;

/** Runs one statement on the connection and returns its rows (none for a write) and changed-row count. */
export type RunSql = (sqlText: string, parameters: readonly unknown[]) => { rows: Record<string, unknown>[]; changes: number };

/**
 * Runs `fn`'s statements as one write transaction at once (SQLite: when no transaction is open, none
 * can start meanwhile, the statements being synchronous); undefined when one is open.
 */
export type WriteNow = <T>(fn: (run: RunSql) => T) => T | undefined;

export interface OpenedEngine {
  db: Db;
  readNow?: ReadNow;
  runInTx?: RunInTx;
  writeNow?: WriteNow;
}

export interface SqlDialect {
  readonly name: DialectName;
  /** Opens a pooled Kysely instance (engines are imported on demand). */
  open(opts: OpenOptions): Promise<OpenedEngine>;
  /** Column type of a declared field (multiple relations have none). */
  columnType(f: Field): string;
  /** Column type for ids and references. */
  readonly idType: string;
  /** Column type for ISO 8601 timestamps. */
  readonly dateType: string;
  /** Appended to CREATE TABLE (engine, charset). */
  readonly tableOptions: string;
  /** Whether the driver returns JSON columns already parsed. */
  readonly parsesJson: boolean;
  /** Turns a boolean into what the driver can bind. */
  bool(v: boolean): unknown;
  /** `col` contains `needle` ignoring ASCII case (`needle` is a LIKE pattern with \ escapes). */
  ilike(col: RawBuilder<unknown>, pattern: string, negate: boolean): RawBuilder<SqlBool>;
  /** The scalar at a JSON path, as text/number comparable with parameters. */
  jsonPath(col: RawBuilder<unknown>, path: readonly (string | number)[]): RawBuilder<unknown>;
  isUniqueViolation(e: unknown): boolean;
  isForeignKeyViolation(e: unknown): boolean;
  /** A deadlock or serialization failure: the engine rolled the transaction back and asks for it to be run again. */
  isRetryable(e: unknown): boolean;
  /** Runs `fn` while holding the cross-instance migration lock. */
  withMigrationLock<T>(db: Db, lockName: string, fn: (db: Db) => Promise<T>): Promise<T>;
  /** Whether DDL may run inside a transaction. */
  readonly transactionalDdl: boolean;
  /** Whether `INSERT ... RETURNING *` is understood (SQLite 3.35+, PostgreSQL; not MySQL). */
  readonly insertReturning: boolean;
}

/** A JSON path as `$.a.b[0]` for SQLite/MySQL; keys are checked to be identifiers by the callers. */
export function jsonPathText(path: readonly (string | number)[]): string {
  return '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `."${p}"`)).join('');
}

export function errorCode(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const o = e as { code?: unknown; errno?: unknown };
    if (typeof o.code === 'string') return o.code;
    if (typeof o.errno === 'number') return String(o.errno);
  }
  return '';
}
