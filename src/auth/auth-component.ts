// Composition of the auth building blocks from the `auth` config section, as a Component for src/server.
// Storage (SQL tables on the data layer's database) and the field cipher come from the composition root.
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { Component, Logger } from '../core/index.js';
import type { AuthSchema } from '../config/schema-auth.js';
import type { Cache } from '../cache/index.js';
import { enginesOrOwn, type Engines } from '../engines/index.js';
import { loadOrCreateSecret, type FieldCipher } from '../crypto/index.js';
import { createAuditLog, type AuditLog, type AuditStore } from '../ops/index.js';
import { createApiKeys, type ApiKeys, type ApiKeyStore } from './keys/api-keys.js';
import { createMailer, type MailOutbox, type Mailer } from './mail/mailer.js';
import { mailSender, smtpTransport } from './mail/mailer-sender.js';
import { createRecoveryCodes, type RecoveryCodes, type RecoveryCodeStore } from './mfa/mfa-recovery.js';
import { createTotp, type Totp, type TotpStepStore } from './mfa/mfa-totp.js';
import { createPasswordHasher, type PasswordHasher } from './passwords/password-hash.js';
import { createPasswordPolicy, type PasswordPolicy } from './passwords/password-policy.js';
import { createCsrfTokens, type CsrfTokens } from './sessions/csrf.js';
import { createSessionCookie, type SessionCookie } from './sessions/session-cookie.js';
import { createCacheSessionStore } from './sessions/session-store-cache.js';
import { createMemorySessionStore } from './sessions/session-store.js';
import { createSessions, type Sessions } from './sessions/sessions.js';
import { createMemoryAttemptStore, type AttemptStore } from './throttle/throttle-store.js';
import { createRedisAttemptStore } from './throttle/throttle-store-redis.js';
import { createLoginThrottle, type LoginThrottle } from './throttle/throttle.js';
import { createOneTimeTokens, type OneTimeTokens, type OneTimeTokenStore } from './tokens/one-time-tokens.js';
import { createRefreshTokens, type RefreshTokens } from './tokens/refresh-tokens.js';
import type { RefreshTokenStore } from './tokens/refresh-store.js';
import { createAccessTokens, type AccessTokens } from './tokens/token-access.js';
import { createKeyRing, type KeyRing } from './tokens/token-keys.js';
import { createRevocations, type Revocations } from './tokens/token-revocation.js';
import { createAccountRevocation, type AccountRevocation } from './account-revocation.js';

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
  /** Per-account "valid after" marks, checked on every access token and API key (in the shared cache when given). */
  revocations: Revocations;
  /** Ends an account's access at once: the mark, its API keys and (by default) its sessions and refresh families. */
  accountRevocation: AccountRevocation;
}

/** The rows auth keeps (the SQL implementation is data's `sqlAuthStorage`). */
export interface AuthStores {
  refresh: RefreshTokenStore;
  apiKeys: ApiKeyStore;
  oneTime: OneTimeTokenStore;
  totpSteps: TotpStepStore;
  recoveryCodes: RecoveryCodeStore;
  outbox: MailOutbox;
  audit: AuditStore;
}

/** Opened by start() (creating the tables if missing), closed by stop(). */
export interface AuthStorage {
  open(): Promise<AuthStores>;
  close(): Promise<void>;
}

export interface AuthDeps {
  /** Signing keys and the CSRF secret live here (crypto's `keyDirectory(config)`). */
  keyDir: string;
  storage: AuthStorage;
  /** The one field cipher (built by the composition root); accounts seal TOTP secrets with it. */
  fieldCipher: FieldCipher;
  /** Sessions go through this cache when given (Redis in scale-out); memory otherwise. */
  cache?: Cache;
  /** Product name shown in authenticator apps. */
  totpIssuer?: string;
  logger?: Logger;
  /** Shared engine clients (the composition root's); without it, the Redis throttle store opens its own client and closes it. */
  engines?: Engines;
}

/**
 * @example
 * const auth = authComponent(config.auth, { keyDir: keyDirectory(config), fieldCipher, storage: sqlAuthStorage({ dataDir, data: () => data }) });
 * await auth.start();
 */
export function authComponent(config: AuthConfig, deps: AuthDeps): Component & { readonly services: AuthServices } {
  let services: AuthServices | undefined;
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
      const { keyDir } = deps;
      const keys = createKeyRing({ dir: keyDir, alg: config.tokens.alg, retainSeconds: config.tokens.accessTtl + 60 });
      await keys.signingKey();
      // The auth tables live on the data layer's database (created if missing).
      const stores = await deps.storage.open();
      const e = config.email;
      const mailer = createMailer({ outbox: stores.outbox, maxAttempts: e.maxAttempts, retryBaseMs: e.retryBase * 1000, leaseMs: e.leaseSeconds * 1000, logger: deps.logger });
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
      const audit = createAuditLog({ store: stores.audit, retentionDays: config.audit.retentionDays });
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
        const e = enginesOrOwn(deps.engines);
        const redis = await createRedisAttemptStore({ client: await e.engines.redis('commands') }).catch(async (err: unknown) => {
          await e.release();
          throw err;
        });
        closeThrottle = () => redis.close().then(() => e.release());
        attempts = redis;
      }
      // A mark only has to outlive the access tokens issued before it (lifetime + verify tolerance + margin).
      const revocations = createRevocations({ cache: deps.cache, ttlMs: (config.tokens.accessTtl + 30 + 60) * 1000 });
      const refreshTokens = createRefreshTokens({
        store: stores.refresh,
        ttlSeconds: config.tokens.refreshTtl,
        // A replayed refresh token means a stolen one: the family is revoked and the event audited.
        onReuse: ({ familyId, userId }) => {
          audit.record({ action: 'auth.refresh.reuse', target: userId, outcome: 'denied', details: { familyId } })
            .catch((err: unknown) => deps.logger?.error({ err }, 'audit record failed'));
        },
      });
      const sessions = createSessions({
        store: deps.cache ? createCacheSessionStore({ cache: deps.cache }) : createMemorySessionStore(),
        idleMs: c.idleTimeout * 1000,
        absoluteMs: c.absoluteTimeout * 1000,
      });
      services = {
        hasher: createPasswordHasher({ memoryCost: config.passwords.memoryCost, timeCost: config.passwords.timeCost, parallelism: config.passwords.parallelism }),
        policy: createPasswordPolicy({ minLength: config.passwords.minLength, maxLength: config.passwords.maxLength, minScore: config.passwords.minScore as 0 | 1 | 2 | 3 | 4 }),
        keys,
        accessTokens: createAccessTokens({ keys, issuer: config.tokens.issuer, audience: config.tokens.audience, ttlSeconds: config.tokens.accessTtl }),
        refreshTokens,
        apiKeys: createApiKeys({ store: stores.apiKeys }),
        oneTimeTokens: createOneTimeTokens({ store: stores.oneTime }),
        totp: createTotp({ issuer: deps.totpIssuer ?? 'Strata', steps: stores.totpSteps }),
        recoveryCodes: createRecoveryCodes({ store: stores.recoveryCodes }),
        throttle: createLoginThrottle({
          store: attempts,
          account: { freeAttempts: t.accountFreeAttempts, lockoutAfter: t.accountLockoutAfter, lockoutMs: t.lockoutSeconds * 1000 },
          ip: { freeAttempts: t.ipFreeAttempts, lockoutMs: t.lockoutSeconds * 1000 },
        }),
        sessions,
        sessionCookie: (secure) => createSessionCookie({ secure, name: c.cookieName }),
        csrf: createCsrfTokens({ secret: await loadOrCreateSecret(join(keyDir, 'csrf.key')) }),
        fieldCipher: deps.fieldCipher,
        mailer,
        audit,
        revocations,
        accountRevocation: createAccountRevocation({ marks: revocations, apiKeys: stores.apiKeys, sessions, refreshTokens }),
      };
    },
    async stop() {
      if (pruneTimer) clearInterval(pruneTimer);
      pruneTimer = undefined;
      await sender?.stop?.();
      sender = undefined;
      await deps.storage.close();
      await closeThrottle?.();
      closeThrottle = undefined;
      services = undefined;
    },
    ready: () => services !== undefined,
  };
}
