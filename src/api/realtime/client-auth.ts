// Who a realtime client is: the credential authHooks found on the upgrade/SSE request (bearer
// token, API key, or session cookie — the cookie only from a trusted Origin, against cross-site
// WebSocket hijacking), or a token sent later in an `auth` message.
import type { FastifyRequest } from 'fastify';
import { assertSameOrigin, parseSubject, principalOf, type AuthServices } from '../../auth/index.js';
import type { Credential } from './connection.js';

export type RealtimeAuthServices = Pick<AuthServices, 'accessTokens' | 'apiKeys' | 'sessions'>;

/** A bearer credential (access token or `sk_` API key) from an `auth` message or header; throws when invalid. */
export async function credentialFromToken(services: RealtimeAuthServices, token: string): Promise<Credential> {
  if (token.startsWith('sk_')) {
    const key = await services.apiKeys.verify(token);
    // A key's owner is `<collection>:<id>`, read as REST's request hooks read it (the same principal).
    const owner = parseSubject(key.userId);
    return {
      principal: principalOf({ kind: 'apiKey', userId: owner.id, collection: owner.collection, keyId: key.id, scopes: key.scopes }),
      kind: 'apiKey',
      expiresAt: key.expiresAt === null ? undefined : key.expiresAt * 1000,
      recheck: () => services.apiKeys.verify(token).then(() => true),
    } as Credential;
  }
  const claims = await services.accessTokens.verify(token);
  return {
    principal: principalOf({ kind: 'token', userId: claims.sub, collection: claims.col, scopes: claims.scope?.split(' ').filter(Boolean) ?? [], claims }),
    kind: 'token',
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
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
