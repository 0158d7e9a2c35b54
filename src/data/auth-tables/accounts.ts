// Accounts of auth collections: the record (email, verified, the app's own fields) lives in the
// collection's table; what must never leave the server (password hash, TOTP secret) lives in one
// credentials table next to it, keyed by collection and record id, on the same database.
import { sql } from 'kysely';
import { ConflictError } from '../../core/index.js';
import type { Collection } from '../collection-model.js';
import type { Db, SqlDialect } from '../dialects/dialect.js';
import type { ValueCipher } from '../field-cipher.js';
import type { RecordsService } from '../record-service.js';
import type { TableNames } from '../table-names.js';
import { authTableNames } from './auth-store-schema.js';

export interface Account {
  id: string;
  collection: string;
  email: string;
  verified: boolean;
  passwordHash: string;
  /** TOTP enabled (a confirmed secret). */
  mfa: boolean;
}

export interface Credentials {
  passwordHash: string | null;
  /** Decrypted TOTP secret: confirmed (`mfa` true) or pending enrolment. */
  totpSecret: string | null;
  mfa: boolean;
}

export interface Accounts {
  ensureSchema(): Promise<void>;
  /** The account with this email (case-insensitive) in an auth collection, with its password hash. */
  findByEmail(collection: string, email: string): Promise<Account | undefined>;
  credentials(collection: string, id: string): Promise<Credentials | undefined>;
  setPassword(collection: string, id: string, hash: string, tx?: Db): Promise<void>;
  setTotp(collection: string, id: string, secret: string | null, enabled: boolean): Promise<void>;
  /** Everything that lets the account act: password, TOTP, API keys, refresh tokens, one-time tokens, recovery codes. */
  deleteCredentials(collection: string, id: string, tx?: Db): Promise<void>;
  setVerified(collection: string, id: string, verified: boolean): Promise<void>;
  count(collection: string): Promise<number>;
}

/** Additional data a TOTP secret is sealed with: bound to its account, so a value moved to another row fails. */
export const totpAad = (collection: string, id: string): string => `${collection}:${id}:totp`;

/** The credentials table (password hashes, sealed TOTP secrets) under a table prefix. */
export const credentialsTable = (prefix: string): string => `${prefix}_auth_credentials`;

export interface AccountsDeps {
  db: Db;
  dialect: SqlDialect;
  names: TableNames;
  records: RecordsService;
  cipher: ValueCipher;
}

/**
 * @example
 * const accounts = createAccounts({ db: data.db, dialect: data.dialect, names: data.names, records: data.records, cipher });
 * await accounts.ensureSchema();
 */
export function createAccounts(deps: AccountsDeps): Accounts {
  const table = credentialsTable(deps.names.prefix);
  const authCollection = (name: string): Collection => {
    const c = deps.records.collection(name);
    if (!c.auth) throw new ConflictError(`${name} is not an auth collection.`);
    return c;
  };
  const aad = totpAad;
  const bool = (v: unknown) => v === true || v === 1 || v === '1';

  async function upsert(db: Db, collection: string, id: string, set: Record<string, unknown>): Promise<void> {
    // One statement: an UPDATE that finds no row and then an INSERT takes InnoDB gap locks that deadlock
    // two concurrent sign-ups (ER_LOCK_DEADLOCK, seen as 500s on MariaDB).
    const now = new Date().toISOString();
    const changes = { ...set, updated: now };
    const insert = db.insertInto(table).values({ collection, record_id: id, password_hash: null, totp_secret: null, mfa: deps.dialect.bool(false), ...changes });
    if (deps.dialect.name === 'mysql') await insert.onDuplicateKeyUpdate(changes).execute();
    else await insert.onConflict((oc) => oc.columns(['collection', 'record_id']).doUpdateSet(changes)).execute();
  }

  return {
    async ensureSchema() {
      const text = deps.dialect.name === 'mysql' ? 'text' : 'text';
      const key = deps.dialect.name === 'mysql' ? 'varchar(64)' : 'text';
      await deps.db.schema
        .createTable(table)
        .ifNotExists()
        .addColumn('collection', sql.raw(key), (c) => c.notNull())
        .addColumn('record_id', sql.raw(key), (c) => c.notNull())
        .addColumn('password_hash', sql.raw(text))
        .addColumn('totp_secret', sql.raw(text))
        .addColumn('mfa', deps.dialect.name === 'postgres' ? 'boolean' : 'integer', (c) => c.notNull())
        .addColumn('updated', sql.raw(key), (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ['collection', 'record_id'])
        .execute();
    },
    async findByEmail(collection, email) {
      const c = authCollection(collection);
      if (typeof email !== 'string' || email.length > 254) return undefined;
      const row = (await deps.db
        .selectFrom(`${deps.names.record(c.name)} as u`)
        .innerJoin(`${table} as k`, (j) => j.onRef('k.record_id', '=', 'u.id').on('k.collection', '=', c.name))
        .select(['u.id as id', 'u.email as email', 'u.verified as verified', 'k.password_hash as password_hash', 'k.mfa as mfa'])
        .where('u.email', '=', email.trim().toLowerCase())
        .executeTakeFirst()) as Record<string, unknown> | undefined;
      if (!row || typeof row.password_hash !== 'string') return undefined;
      return { id: String(row.id), collection: c.name, email: String(row.email), verified: bool(row.verified), passwordHash: row.password_hash, mfa: bool(row.mfa) };
    },
    async credentials(collection, id) {
      const row = (await deps.db.selectFrom(table).selectAll().where('collection', '=', collection).where('record_id', '=', id).executeTakeFirst()) as Record<string, unknown> | undefined;
      if (!row) return undefined;
      const secret = typeof row.totp_secret === 'string' ? deps.cipher.decrypt(row.totp_secret, aad(collection, id)) : null;
      return { passwordHash: (row.password_hash as string | null) ?? null, totpSecret: secret, mfa: bool(row.mfa) };
    },
    setPassword: (collection, id, hash, tx) => upsert(tx ?? deps.db, collection, id, { password_hash: hash }),
    setTotp: (collection, id, secret, enabled) =>
      upsert(deps.db, collection, id, { totp_secret: secret === null ? null : deps.cipher.encrypt(secret, aad(collection, id)), mfa: deps.dialect.bool(enabled) }),
    async deleteCredentials(collection, id, tx) {
      const db = tx ?? deps.db;
      await db.deleteFrom(table).where('collection', '=', collection).where('record_id', '=', id).execute();
      // Auth's own tables name the owner by subject (`<collection>:<id>`); in the same transaction as the record.
      const t = authTableNames(deps.names);
      const subject = `${collection}:${id}`;
      await db.deleteFrom(t.apiKeys).where('user_id', '=', subject).execute();
      await db.deleteFrom(t.refresh).where('user_id', '=', subject).execute();
      await db.deleteFrom(t.oneTime).where('subject', '=', subject).execute();
      await db.deleteFrom(t.recoveryCodes).where('account_id', '=', subject).execute();
      await db.deleteFrom(t.totpSteps).where('account_id', '=', subject).execute();
    },
    async setVerified(collection, id, verified) {
      await deps.db.updateTable(deps.names.record(authCollection(collection).name)).set({ verified: deps.dialect.bool(verified) }).where('id', '=', id).execute();
    },
    async count(collection) {
      const r = await deps.db.selectFrom(deps.names.record(authCollection(collection).name)).select(sql<number>`COUNT(*)`.as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
