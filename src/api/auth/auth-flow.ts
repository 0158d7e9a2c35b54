// What every auth flow under /api/collections/:collection/auth/... shares: the deps, the auth collection of the
// URL, body checks, the signed-in caller, finishing a login (tokens or a cookie session) and the second factor.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, NotFoundError, StrataError, UnauthorizedError, ValidationError, type Principal } from '../../core/index.js';
import type { Account, Accounts, Collection, RecordData, RecordsService } from '../../data/index.js';
import { createPasswordLogin, principalOf, subjectOf, type AuthServices } from '../../auth/index.js';

/** URL prefix of every auth flow. */
export const AUTH_BASE = '/api/collections/:collection/auth';

export interface AuthRoutesDeps {
  services: AuthServices;
  /** `auth.email`: link base, paths and app name for verification and reset emails. */
  email?: { linkBase: string; verifyPath: string; resetPath: string; emailChangePath?: string; appName: string };
  /** `auth.recentLogin`: seconds after a login during which account-security changes need no new sign-in (default 900). */
  recentLoginSeconds?: number;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  accounts: () => Accounts;
  records: () => RecordsService;
  /** Called for every auth event (the audit log); never given secrets. */
  audit?: (request: FastifyRequest, action: string, entry: { collection: string; subject?: string; outcome: 'success' | 'failure'; details?: Record<string, unknown>; ip?: string }) => Promise<void> | void;
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

/** 403: account-security changes need a login younger than `auth.recentLogin` (or, where asked, the current password). */
export class RecentLoginRequiredError extends StrataError {
  constructor(seconds: number) {
    super(403, 'strata/recent-login-required', 'Recent Login Required', `Sign in again (within the last ${seconds} seconds) to change account security.`);
    this.name = 'RecentLoginRequiredError';
  }
}

export function bodyObject(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new ValidationError('The body must be a JSON object.', [{ field: '', message: 'must be an object' }]);
  return b as Record<string, unknown>;
}

export function str(body: Record<string, unknown>, name: string, max = 1024): string {
  const v = body[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new ValidationError(`${name} is required.`, [{ field: name, message: `must be a non-empty string of at most ${max} characters` }]);
  return v;
}

/** The caller, who must be signed in to `collection` (superusers may act on any). */
export function caller(req: FastifyRequest, collection?: string, allowEnroll = false): Principal {
  const p = principalOf(req.auth);
  if (!p) throw new UnauthorizedError();
  if (!allowEnroll && p.scopes.includes('mfa:enroll')) throw new ForbiddenError('Enrol a second factor first.');
  if (collection !== undefined && p.collection !== collection) throw new ForbiddenError(`Signed in to ${p.collection}, not ${collection}.`);
  return p;
}

export type AuthFlow = ReturnType<typeof authFlow>;

/** The helpers the flow files share (one per `authRoutes` registration: the login throttle state is per collection). */
export function authFlow(deps: AuthRoutesDeps) {
  const { services } = deps;
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

  const recentLoginSeconds = deps.recentLoginSeconds ?? 900;
  /** Seconds since the caller signed in with a password (or MFA); undefined when unknown (refreshed tokens, API keys). */
  async function loginAge(req: FastifyRequest): Promise<number | undefined> {
    const a = req.auth;
    if (a?.kind === 'session') {
      const s = await services.sessions.get(a.sessionId);
      return s ? (Date.now() - s.createdAt) / 1000 : undefined;
    }
    if (a?.kind === 'token' && typeof a.claims.auth_time === 'number') return Date.now() / 1000 - a.claims.auth_time;
    return undefined;
  }

  /**
   * The caller of an account-security route (password, email, MFA, API keys, logout-all): the account itself,
   * through a session or an access token, never an API key (whatever its scopes), and signed in recently —
   * unless `currentPasswordOk` says the request proved the current password instead.
   */
  async function securityCaller(req: FastifyRequest, c: Collection, opts: { allowEnroll?: boolean; currentPasswordOk?: boolean } = {}): Promise<Principal> {
    const p = caller(req, c.name, opts.allowEnroll);
    if (req.auth?.kind === 'apiKey') throw new ForbiddenError('API keys cannot change account security; sign in as the account.');
    if (opts.currentPasswordOk) return p;
    const age = await loginAge(req);
    if (age === undefined || age > recentLoginSeconds) throw new RecentLoginRequiredError(recentLoginSeconds);
    return p;
  }

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
    // auth_time (OpenID Connect Core §2): when the password/MFA login happened, for the recent-login check.
    const access = await services.accessTokens.issue({ sub: id, col: c.name, extra: { auth_time: Math.floor(Date.now() / 1000) } });
    const refresh = await services.refreshTokens.issue(subjectOf(c.name, id));
    return { token: access.token, expiresAt: access.expiresAt, refreshToken: refresh.token, record };
  }

  /**
   * A TOTP or recovery code check, throttled per account like passwords (its own counter, so a password login
   * does not clear it): counted before the code is checked, 429 once the account is locked.
   */
  async function throttledCode(req: FastifyRequest, c: Collection, id: string, check: () => Promise<boolean>): Promise<boolean> {
    const attempt = await services.throttle.acquire(`mfa:${subjectOf(c.name, id)}`, req.ip);
    const ok = await check();
    await (ok ? attempt.succeed() : attempt.fail());
    return ok;
  }

  async function secondFactor(req: FastifyRequest, c: Collection, id: string, code: string): Promise<boolean> {
    return throttledCode(req, c, id, async () => {
      const creds = await deps.accounts().credentials(c.name, id);
      if (!creds?.mfa || !creds.totpSecret) return false;
      if (/^\d{6}$/.test(code)) return services.totp.verify(subjectOf(c.name, id), creds.totpSecret, code);
      return services.recoveryCodes.use(subjectOf(c.name, id), code);
    });
  }

  // The request routes answer 204 at once whatever the address, and do the work afterwards,
  // so neither the answer nor its timing tells whether an account exists.
  const later = (req: FastifyRequest, what: string, fn: () => Promise<void>) => {
    setImmediate(() => fn().catch((err) => deps.log?.error({ err, reqId: req.id }, `${what} failed`)));
  };

  return { deps, services, authCollection, loginFor, publicRecord, signIn, secondFactor, throttledCode, securityCaller, loginAge, later };
}
