// Composition of the auth building blocks from the `auth` config section, as a Component for src/server,
// plus the JWKS route (RFC 7517 §5, served at /.well-known/jwks.json).
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Component, Logger } from '../core/index.js';
import { openDatabase, tableNames } from '../data/index.js';
import type { AuthSchema } from '../config/schema-auth.js';
import type { Cache } from '../cache/index.js';
import { createApiKeys, type ApiKeys } from './keys/api-keys.js';
import { createAuditLog, type AuditLog } from '../ops/audit/audit-log.js';
import { ensureAuthTables, type AuthDb } from '../data/auth-tables/auth-store-schema.js';
import { createSqlAuthStores } from '../data/auth-tables/auth-stores-sql.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { mailSender, smtpTransport } from './mail/mailer-sender.js';
import { createCsrfTokens, type CsrfTokens } from './sessions/csrf.js';
import { createFieldCipher, type FieldCipher } from '../crypto/field-crypto.js';
import { loadFieldKeys } from '../crypto/field-keys.js';
import { createRecoveryCodes, type RecoveryCodes } from './mfa/mfa-recovery.js';
import { createTotp, type Totp } from './mfa/mfa-totp.js';
import { createOneTimeTokens, type OneTimeTokens } from './tokens/one-time-tokens.js';
import { createPasswordHasher, type PasswordHasher } from './passwords/password-hash.js';
import { createPasswordPolicy, type PasswordPolicy } from './passwords/password-policy.js';
import { createRefreshTokens, type RefreshTokens } from './tokens/refresh-tokens.js';
import { loadOrCreateSecret } from '../crypto/secret-file.js';
import { createSessionCookie, type SessionCookie } from './sessions/session-cookie.js';
import { createCacheSessionStore } from './sessions/session-store-cache.js';
import { createMemorySessionStore } from './sessions/session-store.js';
import { createSessions, type Sessions } from './sessions/sessions.js';
import { createMemoryAttemptStore, type AttemptStore } from './throttle/throttle-store.js';
import { createRedisAttemptStore } from './throttle/throttle-store-redis.js';
import { createLoginThrottle, type LoginThrottle } from './throttle/throttle.js';
import { createAccessTokens, type AccessTokens } from './tokens/token-access.js';
import { createKeyRing, type KeyRing } from './tokens/token-keys.js';

export type AuthConfig = Static<typeof AuthSchema>;

export interface AuthServices {
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  keys: KeyRing;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  apiKeys: ApiKeys;
  /** Password-reset and email-verification tokens. */
  oneTimeTokens: OneTimeTokens;
  totp: Totp;
  recoveryCodes: RecoveryCodes;
  throttle: LoginThrottle;
  sessions: Sessions;
  /** Cookie for HTTPS (`secure: true`, `__Host-` prefix) or plain HTTP in development. */
  sessionCookie(secure: boolean): SessionCookie;
  csrf: CsrfTokens;
  fieldCipher: FieldCipher;
  /** Email outbox: enqueue in the caller's transaction; delivered over SMTP when `auth.email.smtp.host` is set. */
  mailer: Mailer;
  /** Audit log of sign-ups, logins, MFA, password, rule, collection and superuser changes. */
  audit: AuditLog;
}

export interface AuthDeps {
  dataDir: string;
  /** Sessions go through this cache when given (Redis in scale-out); memory otherwise. */
  cache?: Cache;
  /** Environment (for STRATA_ENCRYPTION_KEY); default process.env. */
  env?: Record<string, string | undefined>;
  /** Product name shown in authenticator apps. */
  totpIssuer?: string;
  /**
   * The data layer's database, read at start (the auth tables live there, under its table prefix).
   * Without it, auth opens the data layer's default SQLite file `<dataDir>/data.db` itself.
   */
  data?: () => AuthDb;
  logger?: Logger;
}

/**
 * @example
 * const auth = authComponent(config.auth, { dataDir: config.dataDir, cache: cache.cache });
 * await auth.start();
 * app.register(jwksRoutes(auth.services.keys));
 */
export function authComponent(config: AuthConfig, deps: AuthDeps): Component & { readonly services: AuthServices } {
  let services: AuthServices | undefined;
  let closeDb: (() => Promise<void>) | undefined;
  let sender: ReturnType<typeof mailSender> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let closeThrottle: (() => Promise<void>) | undefined;
  return {
    name: 'auth',
    get services(): AuthServices {
      if (!services) throw new Error('auth used before start()');
      return services;
    },
    async start() {
      const keyDir = config.tokens.keyDir || join(deps.dataDir, 'keys');
      const env = deps.env ?? process.env;
      const fieldKeys = await loadFieldKeys({ keyFile: config.encryption.keyFile || join(keyDir, 'encryption.json'), env: env.STRATA_ENCRYPTION_KEY });
      const keys = createKeyRing({ dir: keyDir, alg: config.tokens.alg, retainSeconds: config.tokens.accessTtl + 60 });
      await keys.signingKey();
      // The auth tables live on the data layer's database (created if missing).
      let authDb: AuthDb;
      if (deps.data) authDb = deps.data();
      else {
        const opened = await openDatabase({ url: '', dataDir: deps.dataDir, poolSize: 1, busyTimeout: 5000 });
        authDb = { db: opened.db, dialect: opened.dialect, names: tableNames('') };
        closeDb = () => opened.db.destroy();
      }
      await ensureAuthTables(authDb);
      const stores = createSqlAuthStores(authDb);
      const e = config.email;
      const mailer = createMailer({ ...authDb, maxAttempts: e.maxAttempts, retryBaseMs: e.retryBase * 1000, leaseMs: e.leaseSeconds * 1000, logger: deps.logger });
      sender = mailSender({
        mailer,
        pollMs: e.pollInterval,
        logger: deps.logger,
        transport: async () => {
          if (!e.smtp.host) return undefined;
          if (!e.from) throw new Error('auth.email.from must be set when auth.email.smtp.host is set');
          return smtpTransport({ host: e.smtp.host, port: e.smtp.port, security: e.smtp.security, user: e.smtp.user, password: e.smtp.password, from: e.from });
        },
      });
      await sender.start?.();
      const audit = createAuditLog({ ...authDb, retentionDays: config.audit.retentionDays });
      // Hourly: audit entries past their retention, and sent mail older than 30 days.
      const prune = () => {
        audit.prune().catch((err: unknown) => deps.logger?.error({ err }, 'audit log pruning failed'));
        mailer.pruneSent(Date.now() - 30 * 86_400_000).catch((err: unknown) => deps.logger?.error({ err }, 'outbox pruning failed'));
      };
      prune();
      pruneTimer = setInterval(prune, 3_600_000);
      pruneTimer.unref();
      const c = config.sessions;
      const t = config.throttle;
      let attempts: AttemptStore = createMemoryAttemptStore();
      if (t.store === 'redis') {
        const redis = await createRedisAttemptStore({ url: t.redisUrl });
        closeThrottle = () => redis.close();
        attempts = redis;
      }
      services = {
        hasher: createPasswordHasher({ memoryCost: config.passwords.memoryCost, timeCost: config.passwords.timeCost, parallelism: config.passwords.parallelism }),
        policy: createPasswordPolicy({ minLength: config.passwords.minLength, maxLength: config.passwords.maxLength, minScore: config.passwords.minScore as 0 | 1 | 2 | 3 | 4 }),
        keys,
        accessTokens: createAccessTokens({ keys, issuer: config.tokens.issuer, audience: config.tokens.audience, ttlSeconds: config.tokens.accessTtl }),
        refreshTokens: createRefreshTokens({
          store: stores.refresh,
          ttlSeconds: config.tokens.refreshTtl,
          // A replayed refresh token means a stolen one: the family is revoked and the event audited.
          onReuse: ({ familyId, userId }) => {
            audit.record({ action: 'auth.refresh.reuse', target: userId, outcome: 'denied', details: { familyId } })
              .catch((err: unknown) => deps.logger?.error({ err }, 'audit record failed'));
          },
        }),
        apiKeys: createApiKeys({ store: stores.apiKeys }),
        oneTimeTokens: createOneTimeTokens({ store: stores.oneTime }),
        totp: createTotp({ issuer: deps.totpIssuer ?? 'Strata', steps: stores.totpSteps }),
        recoveryCodes: createRecoveryCodes({ store: stores.recoveryCodes }),
        throttle: createLoginThrottle({
          store: attempts,
          account: { freeAttempts: t.accountFreeAttempts, lockoutAfter: t.accountLockoutAfter, lockoutMs: t.lockoutSeconds * 1000 },
          ip: { freeAttempts: t.ipFreeAttempts, lockoutMs: t.lockoutSeconds * 1000 },
        }),
        sessions: createSessions({
          store: deps.cache ? createCacheSessionStore({ cache: deps.cache }) : createMemorySessionStore(),
          idleMs: c.idleTimeout * 1000,
          absoluteMs: c.absoluteTimeout * 1000,
        }),
        sessionCookie: (secure) => createSessionCookie({ secure, name: c.cookieName }),
        csrf: createCsrfTokens({ secret: await loadOrCreateSecret(join(keyDir, 'csrf.key')) }),
        fieldCipher: createFieldCipher(fieldKeys),
        mailer,
        audit,
      };
    },
    async stop() {
      if (pruneTimer) clearInterval(pruneTimer);
      pruneTimer = undefined;
      await sender?.stop?.();
      sender = undefined;
      await closeDb?.();
      closeDb = undefined;
      await closeThrottle?.();
      closeThrottle = undefined;
      services = undefined;
    },
    ready: () => services !== undefined,
  };
}

/** GET /.well-known/jwks.json: the public keys that verify Strata's access tokens. */
export function jwksRoutes(keys: KeyRing): FastifyPluginAsync {
  return async (app) => {
    app.get('/.well-known/jwks.json', async (_req, reply) => {
      reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=300');
      return keys.jwks();
    });
  };
}
