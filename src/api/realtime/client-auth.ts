// Who a realtime client is: the credential authHooks found on the upgrade/SSE request (bearer
// token, API key, or session cookie — the cookie only from a trusted Origin, against cross-site
// WebSocket hijacking), or a token sent later in an `auth` message.
import type { FastifyRequest } from 'fastify';
import { assertSameOrigin, issuedMs, parseSubject, principalOf, subjectOf, type AuthServices } from '../../auth/index.js';
import type { Credential } from './connection.js';

/** `revocations` (the per-account "valid after" marks) is always given by the server; tests may leave it out. */
export type RealtimeAuthServices = Pick<AuthServices, 'accessTokens' | 'apiKeys' | 'sessions'> & Partial<Pick<AuthServices, 'revocations'>>;

/** A bearer credential (access token or `sk_` API key) from an `auth` message or header; throws when invalid. */
export async function credentialFromToken(services: RealtimeAuthServices, token: string): Promise<Credential> {
  if (token.startsWith('sk_')) {
    const key = await services.apiKeys.verify(token);
    const current = () => services.revocations?.assertCurrent(key.userId, key.createdAt * 1000 + 999);
    await current();
    // The key stores its owner as `<collection>:<id>`: the principal is that pair, never a bare id.
    const owner = parseSubject(key.userId);
    return {
      principal: principalOf({ kind: 'apiKey', userId: owner.id, collection: owner.collection, keyId: key.id, scopes: key.scopes }),
      kind: 'apiKey',
      expiresAt: key.expiresAt === null ? undefined : key.expiresAt * 1000,
      recheck: () => services.apiKeys.verify(token).then(current).then(() => true),
      issued: { subject: key.userId, ms: key.createdAt * 1000 + 999 },
    } as Credential;
  }
  const claims = await services.accessTokens.verify(token);
  const subject = subjectOf(claims.col ?? 'users', claims.sub);
  const current = () => services.revocations?.assertCurrent(subject, issuedMs(claims));
  await current();
  return {
    principal: principalOf({ kind: 'token', userId: claims.sub, collection: claims.col, scopes: claims.scope?.split(' ').filter(Boolean) ?? [], claims }),
    kind: 'token',
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
    // A logout-all, password change or deletion closes the connection at the next re-check.
    recheck: () => Promise.resolve(current()).then(() => true),
    // Checked before each event too: a revoked account receives nothing more.
    issued: { subject, ms: issuedMs(claims) },
  } as Credential;
}

/**
 * The credential of the opening request, or undefined when anonymous. A session cookie counts
 * only when the request's Origin (or Sec-Fetch-Site) is this site or a trusted origin: browsers
 * send cookies on cross-site WebSocket handshakes. Throws CsrfError (403) otherwise.
 */
export async function credentialFromRequest(request: FastifyRequest, services: RealtimeAuthServices, trustedOrigins: readonly string[]): Promise<Credential | undefined> {
  const a = request.auth ?? null;
  if (!a) return undefined;
  if (a.kind === 'session') {
    // Checked as if unsafe: a GET that opens a push channel carries the user's authority.
    assertSameOrigin({ method: 'POST', headers: request.headers, selfOrigin: `${request.protocol}://${request.host}` }, { trustedOrigins: [...trustedOrigins] });
    const sessionId = a.sessionId;
    return { principal: principalOf(a)!, kind: 'session', recheck: async () => (await services.sessions.get(sessionId)) !== undefined };
  }
  const authz = request.headers.authorization ?? '';
  const token = /^Bearer +(\S+)$/i.exec(authz)?.[1];
  if (!token) return undefined;
  // authHooks verified it already; this keeps its expiry and how to re-check it.
  return credentialFromToken(services, token);
}
