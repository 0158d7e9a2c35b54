// Fastify hooks that authenticate each request (bearer JWT, bearer API key, or session cookie) and apply the
// CSRF defence to cookie-authenticated unsafe requests (Origin/Sec-Fetch-Site, plus a token for form posts).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { assertSameOrigin, CsrfError, issuedMs, parseSubject, subjectOf, type AuthServices, type RequestAuth } from '../../auth/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; null when anonymous. Set by `authHooks`. */
    auth: RequestAuth | null;
  }
}

export interface AuthHookOptions {
  services: Pick<AuthServices, 'accessTokens' | 'apiKeys' | 'sessions' | 'sessionCookie' | 'csrf'> & Partial<Pick<AuthServices, 'revocations'>>;
  /** Extra origins trusted for cookie-authenticated unsafe requests (`auth.sessions.trustedOrigins`). */
  trustedOrigins?: string[];
  /**
   * Requests whose Authorization header and cookies are someone else's (gateway routes to a site or
   * upstream that did not opt in to Strata's auth): left anonymous, their credentials unread.
   */
  skip?: (request: FastifyRequest) => boolean;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Content types a cross-site HTML form can send without a CORS preflight.
const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;

function csrfTokenOf(request: FastifyRequest): string | undefined {
  const h = request.headers['x-csrf-token'];
  if (typeof h === 'string') return h;
  const body = request.body as Record<string, unknown> | null | undefined;
  return body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined;
}

/**
 * Root-scope hooks (like fastify-plugin). Invalid credentials are 401, a refused cross-site request is 403;
 * an unknown or expired session cookie just means anonymous.
 *
 * @example
 * await app.register(authHooks({ services: auth.services, trustedOrigins: config.auth.sessions.trustedOrigins }));
 * app.get('/me', (req) => req.auth ?? { anonymous: true });
 */
export function authHooks(opts: AuthHookOptions): FastifyPluginAsync {
  const { services } = opts;
  const plugin: FastifyPluginAsync = async (app) => {
    app.decorateRequest('auth', null);
    // Callback style with a synchronous fast path: a request carrying neither
    // Authorization nor Cookie is anonymous and costs no promise.
    app.addHook('onRequest', (request, _reply, done) => {
      request.auth = null;
      const authz = request.headers.authorization;
      if ((typeof authz !== 'string' || authz.length === 0) && !request.headers.cookie) return done();
      if (opts.skip?.(request)) return done();
      authenticate(request).then(() => done(), done);
    });
    async function authenticate(request: FastifyRequest): Promise<void> {
      const authz = request.headers.authorization;
      if (typeof authz === 'string' && authz.length > 0) {
        const m = /^Bearer +(\S+)$/i.exec(authz);
        const credential = m?.[1] ?? '';
        if (credential.startsWith('sk_')) {
          const key = await services.apiKeys.verify(credential);
          const owner = parseSubject(key.userId);
          // Whole seconds: a key made in the mark's own second is given the benefit of the doubt
          // (revoking marks also revoke the keys made before them in the store).
          await services.revocations?.assertCurrent(key.userId, key.createdAt * 1000 + 999);
          request.auth = { kind: 'apiKey', userId: owner.id, collection: owner.collection, keyId: key.id, scopes: key.scopes };
        } else {
          const claims = await services.accessTokens.verify(credential);
          // One cache get per request: the account's "valid after" mark (logout-all, password, deletion...).
          await services.revocations?.assertCurrent(subjectOf(claims.col ?? 'users', claims.sub), issuedMs(claims));
          request.auth = { kind: 'token', userId: claims.sub, collection: claims.col, scopes: claims.scope?.split(' ').filter(Boolean) ?? [], claims };
        }
        return;
      }
      const cookie = services.sessionCookie(request.protocol === 'https');
      const session = await services.sessions.get(cookie.read(request.headers.cookie));
      if (!session) return;
      if (UNSAFE.has(request.method)) {
        assertSameOrigin({ method: request.method, headers: request.headers, selfOrigin: `${request.protocol}://${request.host}` }, { trustedOrigins: opts.trustedOrigins });
      }
      request.auth = { kind: 'session', userId: parseSubject(session.userId).id, collection: session.collection, sessionId: session.id };
    }
    // Form posts also carry a session-bound token (checked once the body is parsed).
    app.addHook('preValidation', (request, _reply, done) => {
      const a = request.auth;
      if (a?.kind !== 'session' || !UNSAFE.has(request.method)) return done();
      if (!FORM_TYPES.test(request.headers['content-type'] ?? '') && request.headers['x-csrf-token'] === undefined) return done();
      if (!services.csrf.verify(a.sessionId, csrfTokenOf(request))) return done(new CsrfError('Missing or invalid CSRF token.'));
      done();
    });
  };
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
