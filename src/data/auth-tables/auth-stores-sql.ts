// The auth stores (refresh tokens, API keys, one-time tokens, TOTP steps, recovery codes) over Kysely on the
// data layer's database. Every check-and-set is one conditional statement whose affected-row count decides
// the winner, so it stays atomic across connections and instances (PostgreSQL, MySQL) as on SQLite.
import type {
  ApiKeyRecord, ApiKeyStore, OneTimeTokenRecord, OneTimeTokenStore, RecoveryCodeStore, RefreshTokenRecord, RefreshTokenStore, TotpStepStore,
} from '../../auth/index.js';
import type { CompiledQuery } from 'kysely';
import { affected, authTableNames, int, intOrNull, type AuthDb } from './auth-store-schema.js';

type Row = Record<string, unknown>;

/** @example const store = createSqlRefreshStore({ db: data.db, dialect: data.dialect, names: data.names }); */
export function createSqlRefreshStore(ctx: AuthDb): RefreshTokenStore {
  const t = authTableNames(ctx.names).refresh;
  const { db } = ctx;
  const toRecord = (r: Row): RefreshTokenRecord => ({
    hash: String(r.hash), familyId: String(r.family_id), userId: String(r.user_id), createdAt: int(r.created_at),
    expiresAt: int(r.expires_at), usedAt: intOrNull(r.used_at), revokedAt: intOrNull(r.revoked_at),
  });
  return {
    async insert(r) {
      await db.insertInto(t).values({
        hash: r.hash, family_id: r.familyId, user_id: r.userId, created_at: r.createdAt, expires_at: r.expiresAt, used_at: r.usedAt, revoked_at: r.revokedAt,
      }).execute();
    },
    async get(hash) {
      const row = await db.selectFrom(t).selectAll().where('hash', '=', hash).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async markUsed(hash, at) {
      // The conditional UPDATE is the reuse detector: of two exchanges of one token, exactly one changes the row.
      return affected(await db.updateTable(t).set({ used_at: at }).where('hash', '=', hash).where('used_at', 'is', null).executeTakeFirst()) === 1;
    },
    async revokeFamily(familyId, at) {
      await db.updateTable(t).set({ revoked_at: at }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
    },
    async revokeUser(userId, at) {
      await db.updateTable(t).set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },
    async deleteExpired(now) {
      return affected(await db.deleteFrom(t).where('expires_at', '<=', now).executeTakeFirst());
    },
  } satisfies RefreshTokenStore;
}

/** @example const store = createSqlApiKeyStore(authDb); */
export function createSqlApiKeyStore(ctx: AuthDb): ApiKeyStore {
  const t = authTableNames(ctx.names).apiKeys;
  const { db } = ctx;
  let byId: CompiledQuery | undefined;
  const toRecord = (r: Row): ApiKeyRecord => ({
    id: String(r.id), userId: String(r.user_id), name: String(r.name), scopes: JSON.parse(String(r.scopes)) as string[],
    secretHash: String(r.secret_hash), createdAt: int(r.created_at), expiresAt: intOrNull(r.expires_at),
    revokedAt: intOrNull(r.revoked_at), lastUsedAt: intOrNull(r.last_used_at),
  });
  return {
    async insert(r) {
      await db.insertInto(t).values({
        id: r.id, user_id: r.userId, name: r.name, scopes: JSON.stringify(r.scopes), secret_hash: r.secretHash,
        created_at: r.createdAt, expires_at: r.expiresAt, revoked_at: r.revokedAt, last_used_at: r.lastUsedAt,
      }).execute();
    },
    // Every request carrying an API key reads its row: the query is built and compiled once, run with the id.
    async get(id) {
      const row = (await db.executeQuery<Row>({ ...(byId ??= db.selectFrom(t).selectAll().where('id', '=', '').compile()), parameters: [id] })).rows[0];
      return row ? toRecord(row) : undefined;
    },
    async listForUser(userId) {
      const rows = await db.selectFrom(t).selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toRecord);
    },
    async revoke(id, at) {
      await db.updateTable(t).set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },
    async touch(id, at) {
      await db.updateTable(t).set({ last_used_at: at }).where('id', '=', id).execute();
    },
  } satisfies ApiKeyStore;
}

/** @example const store = createSqlOneTimeTokenStore(authDb); */
export function createSqlOneTimeTokenStore(ctx: AuthDb): OneTimeTokenStore {
  const t = authTableNames(ctx.names).oneTime;
  const { db } = ctx;
  return {
    async insert(r) {
      await db.insertInto(t).values({ hash: r.hash, purpose: r.purpose, subject: r.subject, expires_at: r.expiresAt }).execute();
    },
    async consume(hash, purpose, now) {
      // Read, then delete conditionally (MySQL has no DELETE ... RETURNING): only the caller whose DELETE
      // removed the row gets it, so concurrent consumers of one token see it once.
      const row = await db.selectFrom(t).select(['subject', 'expires_at']).where('hash', '=', hash).where('purpose', '=', purpose).executeTakeFirst();
      if (!row) return undefined;
      const gone = affected(await db.deleteFrom(t).where('hash', '=', hash).where('purpose', '=', purpose).executeTakeFirst());
      if (gone !== 1) return undefined;
      const rec: OneTimeTokenRecord = { hash, purpose, subject: String(row.subject), expiresAt: int(row.expires_at) };
      return rec.expiresAt > now ? rec : undefined;
    },
    async deleteFor(subject, purpose) {
      await db.deleteFrom(t).where('subject', '=', subject).where('purpose', '=', purpose).execute();
    },
  } satisfies OneTimeTokenStore;
}

/** @example const steps = createSqlTotpStepStore(authDb); */
export function createSqlTotpStepStore(ctx: AuthDb): TotpStepStore {
  const t = authTableNames(ctx.names).totpSteps;
  const { db, dialect } = ctx;
  const raise = async (accountId: string, step: number) =>
    affected(await db.updateTable(t).set({ step }).where('account_id', '=', accountId).where('step', '<', step).executeTakeFirst()) === 1;
  return {
    async advance(accountId, step) {
      // Portable upsert-if-greater: raise the stored step; if no row was raised, insert one; if a concurrent
      // insert won that race, try raising once more (its step may be smaller than ours).
      if (await raise(accountId, step)) return true;
      try {
        await db.insertInto(t).values({ account_id: accountId, step }).execute();
        return true;
      } catch (e) {
        if (!dialect.isUniqueViolation(e)) throw e;
        return raise(accountId, step);
      }
    },
    async reset(accountId) {
      await db.deleteFrom(t).where('account_id', '=', accountId).execute();
    },
  } satisfies TotpStepStore;
}

/** @example const codes = createSqlRecoveryCodeStore(authDb); */
export function createSqlRecoveryCodeStore(ctx: AuthDb): RecoveryCodeStore {
  const t = authTableNames(ctx.names).recoveryCodes;
  const { db } = ctx;
  return {
    async replace(accountId, hashes) {
      const unique = [...new Set(hashes)];
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom(t).where('account_id', '=', accountId).execute();
        if (unique.length) await trx.insertInto(t).values(unique.map((hash) => ({ account_id: accountId, hash }))).execute();
      });
    },
    async consume(accountId, hash) {
      return affected(await db.deleteFrom(t).where('account_id', '=', accountId).where('hash', '=', hash).executeTakeFirst()) === 1;
    },
    async remaining(accountId) {
      const row = await db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirst();
      return int(row?.n ?? 0);
    },
  } satisfies RecoveryCodeStore;
}

/** Every auth store on one database. */
export function createSqlAuthStores(ctx: AuthDb) {
  return {
    refresh: createSqlRefreshStore(ctx),
    apiKeys: createSqlApiKeyStore(ctx),
    oneTime: createSqlOneTimeTokenStore(ctx),
    totpSteps: createSqlTotpStepStore(ctx),
    recoveryCodes: createSqlRecoveryCodeStore(ctx),
  };
}
