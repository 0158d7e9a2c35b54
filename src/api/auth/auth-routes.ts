// The auth REST flows of every auth collection, under /api/collections/:collection/auth/...: one file per flow
// (password login + MFA step, refresh, logout, me, email verification and change, password reset, TOTP, API keys), in one
// plugin scope; sign-up and password changes go through the records API's write hook (record-write-hook.ts).
import type { FastifyPluginAsync } from 'fastify';
import { apiKeyRoutes } from './api-keys.js';
import { authFlow, type AuthRoutesDeps } from './auth-flow.js';
import { emailChangeRoutes } from './email-change.js';
import { emailVerificationRoutes } from './email-verification.js';
import { logoutRoutes } from './logout.js';
import { meRoutes } from './me.js';
import { mfaTotpRoutes } from './mfa-totp.js';
import { passwordLoginRoutes } from './password-login.js';
import { passwordResetRoutes } from './password-reset.js';
import { tokenRefreshRoutes } from './token-refresh.js';

/**
 * @example
 * await app.register(authRoutes({ services: auth.services, accounts: () => accounts, records: () => data.records }));
 */
export function authRoutes(deps: AuthRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    const f = authFlow(deps);
    passwordLoginRoutes(app, f);
    tokenRefreshRoutes(app, f);
    logoutRoutes(app, f);
    meRoutes(app, f);
    emailVerificationRoutes(app, f);
    emailChangeRoutes(app, f);
    passwordResetRoutes(app, f);
    mfaTotpRoutes(app, f);
    apiKeyRoutes(app, f);
  };
}
