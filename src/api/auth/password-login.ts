// Password login (POST .../auth/login: tokens or a cookie session) and its second step (POST .../auth/mfa) when
// the account has TOTP: a short-lived MFA token from the first step plus a TOTP or recovery code.
import type { FastifyInstance } from 'fastify';
import { ForbiddenError } from '../../core/index.js';
import type { Account } from '../../data/index.js';
import { InvalidCredentialsError, InvalidTokenError, parseSubject, subjectOf } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, MfaEnrollmentRequiredError, MfaRequiredError, str, type AuthFlow } from './auth-flow.js';

export function passwordLoginRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, loginFor, signIn, secondFactor } = f;
  app.post(`${AUTH_BASE}/login`, async (req, reply) => {
    const c = authCollection(req);
    const body = bodyObject(req);
    const mode = body.mode === 'session' ? 'session' : 'token';
    const identity = typeof body.identity === 'string' ? body.identity : typeof body.email === 'string' ? body.email : '';
    let account: Account;
    try {
      account = await loginFor(c).login(identity.trim().toLowerCase(), typeof body.password === 'string' ? body.password : '', req.ip);
    } catch (e) {
      // Name the account when there is one (never the identity typed for an unknown one: it may be a password).
      const known = await deps.accounts().findByEmail(c.name, identity.trim().toLowerCase()).catch(() => undefined);
      await deps.audit?.(req, 'auth.login.failure', { collection: c.name, subject: known?.id, outcome: 'failure', details: { reason: (e as Error).name } });
      throw e;
    }
    if (c.auth!.requireVerified && !account.verified) throw new ForbiddenError('Verify your email address before signing in.');
    if (account.mfa) {
      const mfaToken = await services.oneTimeTokens.issue('mfa-login', `${subjectOf(c.name, account.id)}|${mode}`, 300);
      throw new MfaRequiredError(mfaToken);
    }
    if (c.auth!.mfa === 'required') {
      const t = await services.accessTokens.issue({ sub: account.id, col: c.name, scope: 'mfa:enroll', extra: { auth_time: Math.floor(Date.now() / 1000) } });
      throw new MfaEnrollmentRequiredError(t.token);
    }
    await deps.audit?.(req, 'auth.login.success', { collection: c.name, subject: account.id, outcome: 'success', details: { mode } });
    return signIn(req, reply, c, account.id, mode);
  });

  app.post(`${AUTH_BASE}/mfa`, async (req, reply) => {
    const c = authCollection(req);
    const body = bodyObject(req);
    const subject = await services.oneTimeTokens.consume('mfa-login', str(body, 'mfaToken', 128));
    const [who, mode] = subject.split('|');
    const { collection, id } = parseSubject(who);
    if (collection !== c.name) throw new InvalidTokenError();
    if (!(await secondFactor(req, c, id, str(body, 'code', 64).replace(/\s+/g, '')))) {
      await deps.audit?.(req, 'auth.mfa.failure', { collection: c.name, subject: id, outcome: 'failure' });
      throw new InvalidCredentialsError('The code is not valid; sign in again.');
    }
    await deps.audit?.(req, 'auth.login.success', { collection: c.name, subject: id, outcome: 'success', details: { mode, mfa: true } });
    return signIn(req, reply, c, id, mode === 'session' ? 'session' : 'token');
  });
}
