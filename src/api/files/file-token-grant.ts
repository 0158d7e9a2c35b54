// Whether the credential a file token was issued on still stands, so a token ends with its session:
// a logged-out session, an access token issued before the account's "valid after" mark (logout-all,
// password change, deletion) or a revoked or expired API key leaves its file tokens refused (401).
import { issuedMs, parseSubject, subjectOf, type AuthServices, type RequestAuth } from '../../auth/index.js';
import type { Principal } from '../../core/index.js';
import type { FileTokenGrant } from './file-token.js';

/** The grant of a request's credential, recorded in the file tokens issued to it. */
export function fileTokenGrant(a: RequestAuth | null): FileTokenGrant | undefined {
  if (!a) return undefined;
  if (a.kind === 'session') return { kind: 'session', sid: a.sessionId };
  if (a.kind === 'apiKey') return { kind: 'apiKey', keyId: a.keyId };
  return a.claims.sid ? { kind: 'token', issuedMs: issuedMs(a.claims), sid: a.claims.sid } : { kind: 'token', issuedMs: issuedMs(a.claims) };
}

/**
 * @example
 * const current = grantCheck(auth.services);
 * if (!(await current(principal, grant))) throw new UnauthorizedError('...');
 */
export function grantCheck(services: Pick<AuthServices, 'sessions' | 'revocations' | 'apiKeys'>): (p: Principal, g: FileTokenGrant | undefined) => Promise<boolean> {
  return async (p, g) => {
    if (!g) return false;
    const subject = subjectOf(p.collection, p.id);
    try {
      if (g.kind === 'session') {
        const s = await services.sessions.get(g.sid);
        return s !== undefined && parseSubject(s.userId).id === p.id && s.collection === p.collection;
      }
      if (g.kind === 'token') {
        await services.revocations.assertCurrent(subject, g.issuedMs);
        return true;
      }
      const key = (await services.apiKeys.list(subject)).find((k) => k.id === g.keyId);
      if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt * 1000 <= Date.now())) return false;
      await services.revocations.assertCurrent(subject, key.createdAt * 1000 + 999);
      return true;
    } catch {
      return false;
    }
  };
}
