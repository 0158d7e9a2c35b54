// The auth capability's own tables on the data layer's database (SQLite, PostgreSQL, MySQL/MariaDB):
// refresh tokens, API keys, one-time tokens, TOTP steps, recovery codes, the email outbox and the audit log.
// Created idempotently at start (CREATE TABLE IF NOT EXISTS) under the data layer's migration lock.
import { sql } from 'kysely';
import type { Db, DialectName, SqlDialect } from '../dialects/dialect.js';
import type { TableNames } from '../table-names.js';

/** What the auth stores need from the data layer. */
export interface AuthDb {
  db: Db;
  dialect: SqlDialect;
  names: TableNames;
}

/** Names of the auth tables: system tables under the data layer's prefix, starting with `_` like `_strata_migrations`. */
export function authTableNames(names: TableNames) {
  const p = names.prefix;
  return {
    refresh: `${p}_auth_refresh`,
    apiKeys: `${p}_auth_api_keys`,
    oneTime: `${p}_auth_one_time`,
    totpSteps: `${p}_auth_totp_steps`,
    recoveryCodes: `${p}_auth_recovery_codes`,
    outbox: `${p}_auth_outbox`,
    audit: `${p}_auth_audit`,
  };
}
export type AuthTableNames = ReturnType<typeof authTableNames>;

/** Column kinds: `key` (indexable string), `int` (64-bit), `text`, `long` (message bodies), `serial` (auto-increment primary key). */
type Kind = 'key' | 'int' | 'text' | 'long' | 'serial';
interface Column {
  name: string;
  kind: Kind;
  nullable?: boolean;
}
interface TableSpec {
  name: string;
  columns: Column[];
  /** Omitted when a `serial` column is the key. */
  primaryKey?: string[];
  indexes: string[][];
}

const TYPES: Record<DialectName, Record<Kind, string>> = {
  sqlite: { key: 'TEXT', int: 'INTEGER', text: 'TEXT', long: 'TEXT', serial: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { key: 'varchar(255) COLLATE "C"', int: 'BIGINT', text: 'text', long: 'text', serial: 'BIGSERIAL PRIMARY KEY' },
  mysql: { key: 'VARCHAR(255)', int: 'BIGINT', text: 'TEXT', long: 'MEDIUMTEXT', serial: 'BIGINT AUTO_INCREMENT PRIMARY KEY' },
};

const col = (name: string, kind: Kind, nullable = false): Column => ({ name, kind, nullable });

function specs(t: AuthTableNames): TableSpec[] {
  return [
    {
      name: t.refresh,
      columns: [col('hash', 'key'), col('family_id', 'key'), col('user_id', 'key'), col('created_at', 'int'), col('expires_at', 'int'), col('used_at', 'int', true), col('revoked_at', 'int', true)],
      primaryKey: ['hash'],
      indexes: [['family_id'], ['user_id'], ['expires_at']],
    },
    {
      name: t.apiKeys,
      columns: [
        col('id', 'key'), col('user_id', 'key'), col('name', 'text'), col('scopes', 'text'), col('secret_hash', 'key'),
        col('created_at', 'int'), col('expires_at', 'int', true), col('revoked_at', 'int', true), col('last_used_at', 'int', true),
      ],
      primaryKey: ['id'],
      indexes: [['user_id']],
    },
    {
      name: t.oneTime,
      columns: [col('hash', 'key'), col('purpose', 'key'), col('subject', 'key'), col('expires_at', 'int')],
      primaryKey: ['hash'],
      indexes: [['subject', 'purpose']],
    },
    { name: t.totpSteps, columns: [col('account_id', 'key'), col('step', 'int')], primaryKey: ['account_id'], indexes: [] },
    { name: t.recoveryCodes, columns: [col('account_id', 'key'), col('hash', 'key')], primaryKey: ['account_id', 'hash'], indexes: [] },
    {
      name: t.outbox,
      columns: [
        col('id', 'serial'), col('to_addr', 'text'), col('subject', 'text'), col('body_text', 'long'), col('body_html', 'long', true),
        col('status', 'key'), col('attempts', 'int'), col('next_attempt_at', 'int'), col('lease_until', 'int', true),
        col('last_error', 'text', true), col('created_at', 'int'), col('sent_at', 'int', true),
      ],
      indexes: [['status', 'next_attempt_at']],
    },
    {
      name: t.audit,
      columns: [
        col('id', 'serial'), col('at', 'int'), col('actor_id', 'key', true), col('actor_collection', 'key', true), col('action', 'key'),
        col('target', 'text', true), col('ip', 'key', true), col('user_agent', 'text', true), col('outcome', 'key'), col('details', 'long', true),
      ],
      indexes: [['at'], ['action', 'at'], ['actor_id', 'at']],
    },
  ];
}

function quote(dialect: DialectName, id: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(id)) throw new RangeError(`invalid SQL identifier ${JSON.stringify(id)}`);
  return dialect === 'mysql' ? `\`${id}\`` : `"${id}"`;
}

/** The DDL statements for every auth table, in order. Exported for tests. */
export function authTableDdl(dialect: SqlDialect, names: TableNames): string[] {
  const d = dialect.name;
  const q = (id: string) => quote(d, id);
  const out: string[] = [];
  for (const s of specs(authTableNames(names))) {
    const defs = s.columns.map((c) => `${q(c.name)} ${TYPES[d][c.kind]}${c.kind === 'serial' || c.nullable ? '' : ' NOT NULL'}`);
    if (s.primaryKey) defs.push(`PRIMARY KEY (${s.primaryKey.map(q).join(', ')})`);
    // MySQL has no CREATE INDEX IF NOT EXISTS (MariaDB has): declare its indexes inside the table.
    if (d === 'mysql') for (const ix of s.indexes) defs.push(`INDEX ${q(names.index(s.name, ix, false))} (${ix.map(q).join(', ')})`);
    out.push(`CREATE TABLE IF NOT EXISTS ${q(s.name)} (${defs.join(', ')})${d === 'mysql' ? dialect.tableOptions : ''}`);
    if (d !== 'mysql') for (const ix of s.indexes) out.push(`CREATE INDEX IF NOT EXISTS ${q(names.index(s.name, ix, false))} ON ${q(s.name)} (${ix.map(q).join(', ')})`);
  }
  return out;
}

/**
 * Creates the auth tables that do not exist yet; safe to run on every start and from several instances at once.
 *
 * @example
 * await ensureAuthTables({ db: data.db, dialect: data.dialect, names: data.names });
 */
export async function ensureAuthTables(ctx: AuthDb): Promise<void> {
  const ddl = authTableDdl(ctx.dialect, ctx.names);
  await ctx.dialect.withMigrationLock(ctx.db, `strata_auth_${ctx.names.prefix}`, async (conn) => {
    for (const stmt of ddl) await sql.raw(stmt).execute(conn);
  });
}

/** Rows affected by an UPDATE/DELETE result (Kysely reports bigint). */
export function affected(r: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number {
  return Number(r?.numUpdatedRows ?? r?.numDeletedRows ?? 0n);
}

/** Integer columns come back as strings from pg's BIGINT; null stays null. */
export function int(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
export function intOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : int(v);
}
