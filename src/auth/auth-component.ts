// Composition of the auth building blocks from the `auth` config section, as a Component for src/server,
// plus the JWKS route (RFC 7517 §5, served at /.well-known/jwks.json).
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Component } from '../core/index.js';
import type { AuthSchema } from '../config/schema-auth.js';
import type { Cache } from '../cache/index.js';
import { createApiKeys, type ApiKeys } from './api-keys.js';
import { createSqliteApiKeyStore } from './api-key-store-sqlite.js';
import { createCsrfTokens, type CsrfTokens } from './csrf.js';
import { createFieldCipher, type FieldCipher } from './field-crypto.js';
import { loadFieldKeys } from './field-keys.js';
import { createRecoveryCodes, type RecoveryCodes } from './mfa-recovery.js';
import { createSqliteRecoveryCodeStore, createSqliteTotpStepStore } from './mfa-store-sqlite.js';
import { createTotp, type Totp } from './mfa-totp.js';
import { createOneTimeTokens, createSqliteOneTimeTokenStore, type OneTimeTokens } from './one-time-tokens.js';
import { createPasswordHasher, type PasswordHasher } from './password-hash.js';
import { createPasswordPolicy, type PasswordPolicy } from './password-policy.js';
import { createSqliteRefreshStore } from './refresh-store-sqlite.js';
import { createRefreshTokens, type RefreshTokens } from './refresh-tokens.js';
import { loadOrCreateSecret } from './secret-file.js';
import { openSqlite } from './sqlite-table.js';
import { createSessionCookie, type SessionCookie } from './session-cookie.js';
import { createCacheSessionStore } from './session-store-cache.js';
import { createMemorySessionStore } from './session-store.js';
import { createSessions, type Sessions } from './sessions.js';
import { createMemoryAttemptStore, type AttemptStore } from './throttle-store.js';
import { createRedisAttemptStore } from './throttle-store-redis.js';
import { createLoginThrottle, type LoginThrottle } from './throttle.js';
import { createAccessTokens, type AccessTokens } from './token-access.js';
import { createKeyRing, type KeyRing } from './token-keys.js';

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
}

export interface AuthDeps {
  dataDir: string;
  /** Sessions go through this cache when given (Redis in scale-out); memory otherwise. */
  cache?: Cache;
  /** Environment (for STRATA_ENCRYPTION_KEY); default process.env. */
  env?: Record<string, string | undefined>;
  /** Product name shown in authenticator apps. */
  totpIssuer?: string;
}

/**
 * @example
 * const auth = authComponent(config.auth, { dataDir: config.dataDir, cache: cache.cache });
 * await auth.start();
 * app.register(jwksRoutes(auth.services.keys));
 */
export function authComponent(config: AuthConfig, deps: AuthDeps): Component & { readonly services: AuthServices } {
  let services: AuthServices | undefined;
  let closeDb: (() => void) | undefined;
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
      // Until the data layer hosts them, the auth tables live in their own SQLite file.
      const { db, close } = openSqlite(join(deps.dataDir, 'auth.db'));
      closeDb = close;
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
        refreshTokens: createRefreshTokens({ store: createSqliteRefreshStore({ db }), ttlSeconds: config.tokens.refreshTtl }),
        apiKeys: createApiKeys({ store: createSqliteApiKeyStore({ db }) }),
        oneTimeTokens: createOneTimeTokens({ store: createSqliteOneTimeTokenStore({ db }) }),
        totp: createTotp({ issuer: deps.totpIssuer ?? 'Strata', steps: createSqliteTotpStepStore({ db }) }),
        recoveryCodes: createRecoveryCodes({ store: createSqliteRecoveryCodeStore({ db }) }),
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
      };
    },
    async stop() {
      closeDb?.();
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
