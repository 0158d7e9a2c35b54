// Who is calling an RPC: the `authorization: Bearer <access token | sk_ API key>` metadata, verified
// with the auth capability's services, as the same Principal REST uses for access rules.
import { UnauthorizedError, type Principal } from '../../core/index.js';
import { parseSubject, principalOf, type AccessTokens, type ApiKeys, type RequestAuth } from '../../auth/index.js';

export interface RpcAuthServices {
  accessTokens: Pick<AccessTokens, 'verify'>;
  apiKeys: Pick<ApiKeys, 'verify'>;
}

/**
 * The caller of an RPC from its `authorization` header; null when there is none. A malformed or
 * refused credential throws (UNAUTHENTICATED).
 *
 * @example
 * const who = await principalFromMetadata(req.header.get('authorization'), auth.services);
 */
export async function principalFromMetadata(authorization: string | null | undefined, services: RpcAuthServices): Promise<Principal | null> {
  if (!authorization) return null;
  const m = /^Bearer +(\S+)$/i.exec(authorization);
  if (!m) throw new UnauthorizedError('The authorization metadata must be "Bearer <token>".');
  const credential = m[1];
  let auth: RequestAuth;
  if (credential.startsWith('sk_')) {
    const key = await services.apiKeys.verify(credential);
    // A key's owner is `<collection>:<id>`, read as REST's request hooks read it (the same principal).
    const owner = parseSubject(key.userId);
    auth = { kind: 'apiKey', userId: owner.id, collection: owner.collection, keyId: key.id, scopes: key.scopes };
  } else {
    const claims = await services.accessTokens.verify(credential);
    auth = { kind: 'token', userId: claims.sub, collection: claims.col, scopes: claims.scope?.split(' ').filter(Boolean) ?? [], claims };
  }
  return principalOf(auth);
}
