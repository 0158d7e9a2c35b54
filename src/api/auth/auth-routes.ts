// The auth REST flows of every auth collection, under /api/collections/:collection/auth/...:
// login (bearer tokens or a cookie session), MFA, refresh, logout, me, API keys; plus the write
// hook (auth-write-hook.ts) makes record writes on auth collections take passwords safely.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, NotFoundError, StrataError, UnauthorizedError, ValidationError, type Principal } from '../../core/index.js';
import type { Collection, RecordData, RecordsService } from '../../data/index.js';
import type { Accounts, Account } from '../../data/auth-tables/accounts.js';
import type { AuthServices } from '../../auth/auth-component.js';
import { InvalidCredentialsError, InvalidTokenError } from '../../auth/errors.js';
import { passwordResetMessage, tokenLink } from '../../auth/mail/mailer-templates.js';
import { createPasswordLogin } from '../../auth/passwords/password-login.js';
import { parseSubject, principalOf, subjectOf } from './request-auth.js';
import { RESET_TTL, verificationMail } from './auth-write-hook.js';

export interface AuthRoutesDeps {
  services: AuthServices;
  /** `auth.email`: link base, paths and app name for verification and reset emails. */
  email?: { linkBase: string; verifyPath: string; resetPath: string; appName: string };
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  accounts: () => Accounts;
  records: () => RecordsService;
  /** Called for every auth event (the audit log); never given secrets. */
  audit?: (request: FastifyRequest, action: string, entry: { collection: string; subject?: string; outcome: 'success' | 'failure'; details?: Record<string, unknown> }) => Promise<void> | void;
}

/** 401 with the token that continues a login once the second factor is given. */
export class MfaRequiredError extends StrataError {
  constructor(mfaToken: string) {
    super(401, 'strata/mfa-required', 'Second Factor Required', 'Give a TOTP code or a recovery code to finish signing in.', { extensions: { mfaToken } });
    this.name = 'MfaRequiredError';
  }
}

/** 403 with a token that may only enrol a second factor (the collection requires MFA). */
export class MfaEnrollmentRequiredError extends StrataError {
  constructor(enrollmentToken: string) {
    super(403, 'strata/mfa-enrollment-required', 'Second Factor Enrolment Required', 'This account must enrol a TOTP authenticator before signing in.', { extensions: { enrollmentToken } });
    this.name = 'MfaEnrollmentRequiredError';
  }
}


function bodyObject(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new ValidationError('The body must be a JSON object.', [{ field: '', message: 'must be an object' }]);
  return b as Record<string, unknown>;
}

function str(body: Record<string, unknown>, name: string, max = 1024): string {
  const v = body[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new ValidationError(`${name} is required.`, [{ field: name, message: `must be a non-empty string of at most ${max} characters` }]);
  return v;
}

/** The caller, who must be signed in to `collection` (superusers may act on any). */
function caller(req: FastifyRequest, collection?: string, allowEnroll = false): Principal {
  const p = principalOf(req.auth);
  if (!p) throw new UnauthorizedError();
  if (!allowEnroll && p.scopes.includes('mfa:enroll')) throw new ForbiddenError('Enrol a second factor first.');
  if (collection !== undefined && p.collection !== collection) throw new ForbiddenError(`Signed in to ${p.collection}, not ${collection}.`);
  return p;
}

/**
 * @example
 * await app.register(authRoutes({ services: auth.services, accounts: () => accounts, records: () => data.records }));
 */
export function authRoutes(deps: AuthRoutesDeps): FastifyPluginAsync {
  const { services } = deps;
  const base = '/api/collections/:collection/auth';

  const authCollection = (req: FastifyRequest): Collection => {
    const c = deps.records().collection((req.params as { collection: string }).collection);
    if (!c.auth) throw new NotFoundError(`${c.name} is not an auth collection.`);
    return c;
  };
  const logins = new Map<string, ReturnType<typeof createPasswordLogin<Account>>>();
  const loginFor = (c: Collection) => {
    let l = logins.get(c.name);
    if (!l) {
      l = createPasswordLogin<Account>({
        hasher: services.hasher,
        throttle: services.throttle,
        findAccount: (identity) => deps.accounts().findByEmail(c.name, identity),
        saveRehash: (a, hash) => deps.accounts().setPassword(c.name, a.id, hash),
      });
      logins.set(c.name, l);
    }
    return l;
  };

  async function publicRecord(c: Collection, id: string): Promise<RecordData> {
    return (await deps.records().get(c.name, id)).record;
  }

  /** Finishes a login: tokens, or a fresh session (any session id the browser sent is discarded). */
  async function signIn(req: FastifyRequest, reply: FastifyReply, c: Collection, id: string, mode: 'token' | 'session'): Promise<Record<string, unknown>> {
    const record = await publicRecord(c, id);
    if (mode === 'session') {
      const cookie = services.sessionCookie(req.protocol === 'https');
      const session = await services.sessions.create({ userId: subjectOf(c.name, id), collection: c.name }, {}, cookie.read(req.headers.cookie));
      reply.header('set-cookie', cookie.serialize(session.id));
      return { record, csrfToken: services.csrf.issue(session.id) };
    }
    const access = await services.accessTokens.issue({ sub: id, col: c.name });
    const refresh = await services.refreshTokens.issue(subjectOf(c.name, id));
    return { token: access.token, expiresAt: access.expiresAt, refreshToken: refresh.token, record };
  }

  async function secondFactor(c: Collection, id: string, code: string): Promise<boolean> {
    const creds = await deps.accounts().credentials(c.name, id);
    if (!creds?.mfa || !creds.totpSecret) return false;
    if (/^\d{6}$/.test(code)) return services.totp.verify(subjectOf(c.name, id), creds.totpSecret, code);
    return services.recoveryCodes.use(subjectOf(c.name, id), code);
  }

  return async (app) => {
    app.post(`${base}/login`, async (req, reply) => {
      const c = authCollection(req);
      const body = bodyObject(req);
      const mode = body.mode === 'session' ? 'session' : 'token';
      const identity = typeof body.identity === 'string' ? body.identity : typeof body.email === 'string' ? body.email : '';
      let account: Account;
      try {
        account = await loginFor(c).login(identity.trim().toLowerCase(), typeof body.password === 'string' ? body.password : '', req.ip);
      } catch (e) {
        await deps.audit?.(req, 'auth.login.failure', { collection: c.name, outcome: 'failure', details: { reason: (e as Error).name } });
        throw e;
      }
      if (c.auth!.requireVerified && !account.verified) throw new ForbiddenError('Verify your email address before signing in.');
      if (account.mfa) {
        const mfaToken = await services.oneTimeTokens.issue('mfa-login', `${subjectOf(c.name, account.id)}|${mode}`, 300);
        throw new MfaRequiredError(mfaToken);
      }
      if (c.auth!.mfa === 'required') {
        const t = await services.accessTokens.issue({ sub: account.id, col: c.name, scope: 'mfa:enroll' });
        throw new MfaEnrollmentRequiredError(t.token);
      }
      await deps.audit?.(req, 'auth.login.success', { collection: c.name, subject: account.id, outcome: 'success', details: { mode } });
      return signIn(req, reply, c, account.id, mode);
    });

    app.post(`${base}/mfa`, async (req, reply) => {
      const c = authCollection(req);
      const body = bodyObject(req);
      const subject = await services.oneTimeTokens.consume('mfa-login', str(body, 'mfaToken', 128));
      const [who, mode] = subject.split('|');
      const { collection, id } = parseSubject(who);
      if (collection !== c.name) throw new InvalidTokenError();
      if (!(await secondFactor(c, id, str(body, 'code', 64).replace(/\s+/g, '')))) {
        await deps.audit?.(req, 'auth.mfa.failure', { collection: c.name, subject: id, outcome: 'failure' });
        throw new InvalidCredentialsError('The code is not valid; sign in again.');
      }
      await deps.audit?.(req, 'auth.login.success', { collection: c.name, subject: id, outcome: 'success', details: { mode, mfa: true } });
      return signIn(req, reply, c, id, mode === 'session' ? 'session' : 'token');
    });

    app.post(`${base}/refresh`, async (req) => {
      const c = authCollection(req);
      const body = bodyObject(req);
      const next = await services.refreshTokens.rotate(str(body, 'refreshToken', 256));
      const { collection, id } = parseSubject(next.userId);
      if (collection !== c.name) throw new InvalidTokenError();
      let record: RecordData;
      try {
        record = await publicRecord(c, id);
      } catch {
        await services.refreshTokens.revoke(next.token);
        throw new InvalidTokenError();
      }
      const access = await services.accessTokens.issue({ sub: id, col: c.name });
      return { token: access.token, expiresAt: access.expiresAt, refreshToken: next.token, record };
    });

    app.post(`${base}/logout`, async (req, reply) => {
      authCollection(req);
      const a = req.auth;
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      if (typeof body.refreshToken === 'string') await services.refreshTokens.revoke(body.refreshToken).catch(() => undefined);
      if (a?.kind === 'session') {
        await services.sessions.destroy(a.sessionId);
        reply.header('set-cookie', services.sessionCookie(req.protocol === 'https').clear());
      }
      return reply.code(204).send();
    });

    app.post(`${base}/logout-all`, async (req, reply) => {
      const c = authCollection(req);
      const p = caller(req, c.name, true);
      await services.sessions.destroyAllForUser(subjectOf(c.name, p.id));
      await services.refreshTokens.revokeUser(subjectOf(c.name, p.id));
      if (req.auth?.kind === 'session') reply.header('set-cookie', services.sessionCookie(req.protocol === 'https').clear());
      await deps.audit?.(req, 'auth.logout.all', { collection: c.name, subject: p.id, outcome: 'success' });
      return reply.code(204).send();
    });

    app.get(`${base}/me`, async (req) => {
      const c = authCollection(req);
      const p = caller(req, c.name);
      const creds = await deps.accounts().credentials(c.name, p.id);
      return { record: await publicRecord(c, p.id), mfa: creds?.mfa ?? false, auth: req.auth!.kind };
    });

    app.get(`${base}/csrf`, async (req) => {
      authCollection(req);
      const a = req.auth;
      if (a?.kind !== 'session') throw new UnauthorizedError('No session.');
      return { csrfToken: services.csrf.issue(a.sessionId) };
    });

    // --- Email verification and password reset ---------------------------------------------
    // The request routes answer 204 at once whatever the address, and do the work afterwards,
    // so neither the answer nor its timing tells whether an account exists.
    const later = (req: FastifyRequest, what: string, fn: () => Promise<void>) => {
      setImmediate(() => fn().catch((err) => deps.log?.error({ err, reqId: req.id }, `${what} failed`)));
    };

    app.post(`${base}/request-verification`, async (req, reply) => {
      const c = authCollection(req);
      const email = str(bodyObject(req), 'email', 254).trim().toLowerCase();
      later(req, 'verification email', async () => {
        const a = await deps.accounts().findByEmail(c.name, email);
        const m = a && !a.verified ? await verificationMail(deps, c.name, a.id, a.email) : undefined;
        if (m) await services.mailer.enqueue(m);
      });
      return reply.code(204).send();
    });

    app.post(`${base}/confirm-verification`, async (req, reply) => {
      const c = authCollection(req);
      const subject = await services.oneTimeTokens.consume('verify', str(bodyObject(req), 'token', 128));
      const bar = subject.indexOf('|');
      const email = subject.slice(bar + 1);
      const { collection, id } = parseSubject(subject.slice(0, bar));
      if (bar < 0 || collection !== c.name) throw new InvalidTokenError();
      // The link verifies the address it was sent to, not one the account changed to since.
      const rec = await publicRecord(c, id).catch(() => undefined);
      if (!rec || rec.email !== email) throw new InvalidTokenError();
      await deps.accounts().setVerified(c.name, id, true);
      await deps.audit?.(req, 'auth.email.verify', { collection: c.name, subject: id, outcome: 'success' });
      return reply.code(204).send();
    });

    app.post(`${base}/request-password-reset`, async (req, reply) => {
      const c = authCollection(req);
      const email = str(bodyObject(req), 'email', 254).trim().toLowerCase();
      later(req, 'password reset email', async () => {
        const a = await deps.accounts().findByEmail(c.name, email);
        const e = deps.email;
        if (!a) return;
        if (!e?.linkBase) return deps.log?.warn({ collection: c.name }, 'auth.email.linkBase is not set: no password reset email sent');
        const token = await services.oneTimeTokens.issue('reset', subjectOf(c.name, a.id), RESET_TTL);
        await services.mailer.enqueue(passwordResetMessage({ to: a.email, appName: e.appName, link: tokenLink(e.linkBase, e.resetPath, token), ttlMinutes: RESET_TTL / 60 }));
        await deps.audit?.(req, 'auth.password.reset.request', { collection: c.name, subject: a.id, outcome: 'success' });
      });
      return reply.code(204).send();
    });

    app.post(`${base}/confirm-password-reset`, async (req, reply) => {
      const c = authCollection(req);
      const body = bodyObject(req);
      const password = str(body, 'password', 4096);
      if (body.passwordConfirm !== undefined && body.passwordConfirm !== password) throw new ValidationError('The passwords differ.', [{ field: 'passwordConfirm', message: 'does not match password' }]);
      const token = str(body, 'token', 128);
      // The policy first, so a weak password does not burn the link.
      services.policy.assert(password, [], 'password');
      const { collection, id } = parseSubject(await services.oneTimeTokens.consume('reset', token));
      if (collection !== c.name) throw new InvalidTokenError();
      const rec = await publicRecord(c, id).catch(() => undefined);
      if (!rec) throw new InvalidTokenError();
      services.policy.assert(password, [String(rec.email)], 'password');
      await deps.accounts().setPassword(c.name, id, await services.hasher.hash(password));
      await services.sessions.destroyAllForUser(subjectOf(c.name, id));
      await services.refreshTokens.revokeUser(subjectOf(c.name, id));
      await deps.audit?.(req, 'auth.password.reset', { collection: c.name, subject: id, outcome: 'success' });
      return reply.code(204).send();
    });

    // --- TOTP enrolment -------------------------------------------------------------------
    app.post(`${base}/mfa/totp`, async (req) => {
      const c = authCollection(req);
      const p = caller(req, c.name, true);
      const creds = await deps.accounts().credentials(c.name, p.id);
      if (creds?.mfa) throw new StrataError(409, 'strata/conflict', 'Conflict', 'TOTP is already enabled; disable it first.');
      const rec = await publicRecord(c, p.id);
      const { secret, uri } = services.totp.enrol(String(rec.email));
      await deps.accounts().setTotp(c.name, p.id, secret, false);
      return { secret, uri };
    });

    app.post(`${base}/mfa/totp/confirm`, async (req, reply) => {
      const c = authCollection(req);
      const p = caller(req, c.name, true);
      const code = str(bodyObject(req), 'code', 16).replace(/\s+/g, '');
      const creds = await deps.accounts().credentials(c.name, p.id);
      if (!creds?.totpSecret || creds.mfa) throw new StrataError(409, 'strata/conflict', 'Conflict', 'Start an enrolment first.');
      if (!(await services.totp.verify(subjectOf(c.name, p.id), creds.totpSecret, code))) throw new InvalidCredentialsError('The code is not valid.');
      await deps.accounts().setTotp(c.name, p.id, creds.totpSecret, true);
      const recoveryCodes = await services.recoveryCodes.generate(subjectOf(c.name, p.id));
      await deps.audit?.(req, 'auth.mfa.enable', { collection: c.name, subject: p.id, outcome: 'success' });
      const out: Record<string, unknown> = { recoveryCodes };
      // An enrolment-only token becomes a full login once the factor is confirmed.
      if (p.scopes.includes('mfa:enroll')) Object.assign(out, await signIn(req, reply, c, p.id, 'token'));
      return out;
    });

    app.delete(`${base}/mfa/totp`, async (req, reply) => {
      const c = authCollection(req);
      const p = caller(req, c.name);
      if (c.auth!.mfa === 'required' && !p.superuser) throw new ForbiddenError('This collection requires a second factor.');
      const code = str(bodyObject(req), 'code', 64).replace(/\s+/g, '');
      if (!(await secondFactor(c, p.id, code))) throw new InvalidCredentialsError('The code is not valid.');
      await deps.accounts().setTotp(c.name, p.id, null, false);
      await deps.audit?.(req, 'auth.mfa.disable', { collection: c.name, subject: p.id, outcome: 'success' });
      return reply.code(204).send();
    });

    // --- API keys -------------------------------------------------------------------------
    app.post(`${base}/api-keys`, async (req, reply) => {
      const c = authCollection(req);
      const p = caller(req, c.name);
      if (req.auth?.kind === 'apiKey') throw new ForbiddenError('API keys cannot create API keys.');
      const body = bodyObject(req);
      const name = str(body, 'name', 100);
      const scopes = body.scopes === undefined ? [] : body.scopes;
      if (!Array.isArray(scopes) || scopes.length > 32 || !scopes.every((s) => typeof s === 'string' && /^(\*|[a-z][a-z0-9_.:*-]{0,63})$/.test(s))) {
        throw new ValidationError('scopes must be a list of scope names.', [{ field: 'scopes', message: 'like records:read, records:posts:write' }]);
      }
      const ttl = body.ttlSeconds;
      if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > 5 * 365 * 86400)) {
        throw new ValidationError('ttlSeconds must be an integer from 60 to 5 years.', [{ field: 'ttlSeconds', message: 'out of range' }]);
      }
      const made = await services.apiKeys.create({ userId: subjectOf(c.name, p.id), name, scopes: scopes as string[], ttlSeconds: ttl as number | undefined });
      await deps.audit?.(req, 'auth.apikey.create', { collection: c.name, subject: p.id, outcome: 'success', details: { keyId: made.record.id } });
      const { userId: _u, ...record } = made.record;
      return reply.code(201).send({ key: made.key, ...record });
    });
  };
}
